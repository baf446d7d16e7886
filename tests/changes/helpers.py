"""What the change-request tests share: an admitted expert, and what their form posts."""

import datetime
import html
import io

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from changes import counts, fields
from changes.models import OPEN, ChangeKind, ChangeRequest, ChangeStatus
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories


def admitted(unit, name=None):
    """An applicant admitted to the pool (审核通过)."""
    user = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    user.refresh_from_db()
    return user


# Which certificate a change of which fields carries (the rule of changes.fields.PROOF_REQUIRED,
# said here on its own).
PROOF_REQUIRED = {"title": ("title", "title_level"), "degree": ("education", "degree")}


def proof_file(name="证书.pdf") -> SimpleUploadedFile:
    """A small, valid PDF as a browser uploads it."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def post_data(user, **overrides) -> dict:
    """What 修改专家信息 posts when the expert changes nothing but `overrides`; a change of 职称
    or 学历 carries its certificate (PROOF_REQUIRED) unless `overrides` name
    that file box (proof_title="" for none)."""
    application = ExpertApplication.objects.select_related("user").get(user=user)
    in_force = fields.current(application)
    open_request = application.change_requests.filter(status__in=OPEN).first()
    carried = set(open_request.attachments.values_list("kind", flat=True)) if open_request else ()
    asked = {**in_force, **(fields.decode(open_request.values) if open_request else {})}
    data = {}
    for kind, names in PROOF_REQUIRED.items():
        box = f"proof_{kind}"
        # A file the open request carries proves only the values it asked (a 职称 asked again
        # otherwise needs its own: ChangeForm.still_proving).
        restated = any(
            name in overrides
            and asked.get(name) != in_force.get(name)
            and overrides[name] != asked.get(name)
            for name in names
        )
        if (
            box not in overrides
            and (kind not in carried or restated)
            and any(
                name in overrides and overrides[name] not in (in_force.get(name), asked.get(name))
                for name in names
            )
        ):
            data[box] = proof_file(f"{kind}.pdf")
    for name, value in in_force.items():
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


def change_form(user, **overrides):
    """The 修改专家信息 form bound to what post_data posts, its files as the request's."""
    from changes.forms import ChangeForm

    posted = post_data(user, **overrides)
    files = {name: value for name, value in posted.items() if isinstance(value, SimpleUploadedFile)}
    data = {name: value for name, value in posted.items() if name not in files}
    return ChangeForm(data, files, instance=application_of(user), user=user)
