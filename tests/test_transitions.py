"""The decisions of the detail pages are one view (portal.transitions.TransitionView) driven by
each app's table: what is not a row is not served, a row is all an action needs."""

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import include, path, reverse

from accounts import views as account_views
from accounts.forms import CommentForm
from accounts.models import UnitStatus
from accounts.permissions import is_bureau_reviewer
from audit.models import AuditEvent
from experts import views as expert_views
from experts.models import ApplicationStatus, ExpertApplication
from experts.selectors import applications_for
from portal.transitions import Action, TransitionView
from portal.workflow import WorkflowError
from tests import factories

pytestmark = pytest.mark.django_db

DECISION_URLS = {
    "experts:unit_recommend": ("unit", ApplicationStatus.PENDING_UNIT),
    "experts:unit_return": ("unit", ApplicationStatus.PENDING_UNIT),
    "experts:bureau_approve": ("reviewer", ApplicationStatus.PENDING_BUREAU),
    "experts:bureau_reject": ("reviewer", ApplicationStatus.PENDING_BUREAU),
    "experts:bureau_revoke": ("reviewer", ApplicationStatus.APPROVED),
    "accounts:bureau_unit_approve": ("reviewer", None),
    "accounts:bureau_unit_reject": ("reviewer", None),
}


@pytest.mark.parametrize("url_name", DECISION_URLS)
@pytest.mark.parametrize("method", ["get", "head", "put", "options"])
def test_a_decision_is_posted_or_refused_with_405(client, unit, reviewer, url_name, method):
    who, status = DECISION_URLS[url_name]
    if status is None:
        pk = factories.make_unit(UnitStatus.PENDING).pk
    else:
        pk = factories.make_applicant(unit, status).application.pk
    client.force_login(reviewer if who == "reviewer" else factories.unit_account(unit))
    response = getattr(client, method)(reverse(url_name, args=[pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("view", "action"),
    [
        (expert_views.unit_decide, "approve"),  # the bureau's, not on the unit's page
        (expert_views.bureau_decide, "recommend"),
        (expert_views.bureau_decide, "revise"),  # a transition, but no page's decision
        (expert_views.bureau_decide, "revoke"),  # its own URL (bureau_revoke), never in bulk
        (expert_views.bureau_revoke, "approve"),
        (account_views.bureau_unit_decide, "resubmit"),
        (account_views.bureau_unit_decide, "delete"),
    ],
)
def test_an_action_not_in_the_pages_table_is_404(unit, reviewer, view, action):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    request = RequestFactory().post("/", {"comment": "", "reason": "理由"})
    request.user = reviewer
    with pytest.raises(Http404):
        view(request, pk=application.pk, action=action)
    assert (
        ExpertApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING_BUREAU
    )


# One more action, only as a row of a table: served by the same view at a URL of its own.
noted = []


def note(application, actor, comment=""):
    if comment == "refuse":
        raise WorkflowError("已被他人处理。")
    noted.append((application.pk, actor.pk, comment))


NOTE = {"note": Action(is_bureau_reviewer, CommentForm, note, "已记下{obj.user.real_name}。")}


def bad_form_page(request, application, posted=None, status=200):
    return HttpResponse(posted["note"].errors.as_text(), status=status)


urlpatterns = [
    path(
        "note/<int:pk>/",
        TransitionView.as_view(
            actions=NOTE,
            scope=applications_for,
            detail=bad_form_page,
            detail_url="experts:bureau_detail",
        ),
        {"action": "note"},
        name="note",
    ),
    path("", include("portal.urls")),
]


@pytest.fixture
def application(unit):
    noted.clear()
    yield factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="李记").application
    noted.clear()


@pytest.mark.urls(__name__)
def test_a_new_row_is_a_new_action(client, reviewer, application):
    client.force_login(reviewer)
    response = client.post(reverse("note", args=[application.pk]), {"comment": "看过"})
    assert response.status_code == 302
    assert response.url == reverse("experts:bureau_detail", args=[application.pk])
    assert noted == [(application.pk, reviewer.pk, "看过")]
    said = [(m.level, m.message) for m in get_messages(response.wsgi_request)]
    assert said == [(messages.SUCCESS, "已记下李记。")]


@pytest.mark.urls(__name__)
def test_a_new_row_keeps_its_permission_and_scope(client, unit, other_unit, application):
    url = reverse("note", args=[application.pk])
    assert client.post(url).url.startswith(reverse("accounts:login"))
    client.force_login(factories.unit_account(unit))
    assert client.post(url).status_code == 403
    client.force_login(factories.make_applicant(other_unit))
    assert client.post(url).status_code == 403
    client.force_login(factories.make_reviewer())
    assert client.post(reverse("note", args=[10**6])).status_code == 404
    assert noted == []


@pytest.mark.urls(__name__)
def test_a_new_rows_form_errors_show_its_page_with_400(client, reviewer, application):
    client.force_login(reviewer)
    response = client.post(reverse("note", args=[application.pk]), {"comment": "长" * 1001})
    assert response.status_code == 400
    assert "1000" in response.content.decode()
    assert noted == []


@pytest.mark.urls(__name__)
def test_a_new_rows_refusal_is_said_and_audited(client, reviewer, application):
    client.force_login(reviewer)
    response = client.post(reverse("note", args=[application.pk]), {"comment": "refuse"})
    assert response.status_code == 302
    said = [(m.level, m.message) for m in get_messages(response.wsgi_request)]
    assert said == [(messages.ERROR, "已被他人处理。")]
    failure = AuditEvent.objects.get(result=AuditEvent.Result.FAILURE)
    assert failure.detail == "已被他人处理。"


def test_a_bad_form_shows_the_detail_page_with_the_typed_text(client, unit):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT).application
    client.force_login(factories.unit_account(unit))
    typed = "请补充论文。" * 200  # over the 1,000 characters a reason may have
    response = client.post(reverse("experts:unit_return", args=[application.pk]), {"reason": typed})
    assert response.status_code == 400
    page = response.content.decode()
    assert typed in page and "专家信息查看" in page
    assert ExpertApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING_UNIT
