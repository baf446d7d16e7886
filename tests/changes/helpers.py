"""What the change-request tests share: an admitted expert, and what their form posts."""

import datetime
import html

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from changes import counts, fields
from changes.models import ChangeKind, ChangeRequest, ChangeStatus
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories


def admitted(unit, name=None):
    """An applicant admitted to the pool (审核通过)."""
    user = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    user.refresh_from_db()
    return user


def post_data(user, **overrides) -> dict:
    """What 修改专家信息 posts when the expert changes nothing but `overrides`."""
    application = ExpertApplication.objects.select_related("user").get(user=user)
    data = {}
    for name, value in fields.current(application).items():
        if name == "disciplines":
            data[name] = [str(pk) for pk in value]
        elif name == "mobile":
            data[name] = value.removeprefix("+86")
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        elif value is None:
            data[name] = ""
        else:
            data[name] = str(value)
    for name, value in overrides.items():
        if name == "disciplines":
            value = [
                str(pk)
                for pk in Discipline.objects.filter(code__in=value).values_list("pk", flat=True)
            ]
        elif name == "unit" and not isinstance(value, str):
            value = str(value.pk)
        data[name] = value
    return data


def key_request(user, **kwargs) -> ChangeRequest:
    """A 变更申请 in any state, built directly (the matrix's arrangement)."""
    application = ExpertApplication.objects.get(user=user)
    new_unit = kwargs.pop("new_unit", None)
    values = {"title": "研究员"} | ({"unit": new_unit.pk} if new_unit else {})
    request = ChangeRequest(
        application=application,
        kind=ChangeKind.KEY,
        requested_by=user,
        old_unit_id=application.unit_id,
        new_unit=new_unit,
        confirming_unit_id=new_unit.pk if new_unit else application.unit_id,
        **kwargs,
    )
    in_force = fields.current(application)
    request.values = fields.encode(values)
    request.before = fields.snapshot({name: in_force[name] for name in values})
    request.after = fields.snapshot(values)
    request.changed_labels = "、".join(fields.labels(values))
    if request.status in (ChangeStatus.PENDING_BUREAU, ChangeStatus.APPROVED):
        # Confirmed by its unit on the way, as changes.services.confirm_change stamps it.
        request.confirmed_at = kwargs.get("confirmed_at") or timezone.now()
    request.save()
    # As changes.services would have on the way.
    counts.shift(None, request.status, from_unit_id=None, to_unit_id=request.confirming_unit_id)
    return request


def said(response) -> list[str]:
    """The messages a response's request left (django.contrib.messages)."""
    return [m.message for m in get_messages(response.wsgi_request)]


def page(response) -> str:
    return html.unescape(response.content.decode())


def application_of(user) -> ExpertApplication:
    return ExpertApplication.objects.select_related("user").get(user=user)


def submit(client, user, **overrides):
    """The expert's 修改专家信息 form, posted with their values and `overrides`."""
    client.force_login(user)
    return client.post(reverse("changes:edit"), post_data(user, **overrides))
