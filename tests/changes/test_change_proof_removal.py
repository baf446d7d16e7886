"""The expert's own view of their 信息变更's 证明材料, and 删除 of a wrong file while the request
is still theirs to change (待单位确认): listed on their home page with a link to open each, removed
only from a page that asks first, audited as a 修改 of the request, refused once the unit has
confirmed it, when it is closed, or when a 职称 change would lose its only certificate; another
person's file, or the application's, is a 404. Operators see the files in Django admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from changes import services
from changes.models import ChangeKind, ChangeRequest, ChangeStatus
from experts.models import ApplicationAttachment, ApplicationStatus, ExpertApplication
from tests import factories
from tests.changes.helpers import admitted, application_of, page, proof_file, said, submit

pytestmark = pytest.mark.django_db
S = ChangeStatus


@pytest.fixture
def expert(reference_data, unit, private_storage):
    return admitted(unit, name="王建国")


def stored(private_storage) -> list:
    return [path for path in private_storage.rglob("*") if path.is_file()]


def title_change_with_a_wrong_file(client, expert) -> tuple[ChangeRequest, ApplicationAttachment]:
    """教授 → 研究员 with its 职称证书, and someone else's certificate sent by mistake."""
    submit(
        client,
        expert,
        title="研究员",
        proof_title=proof_file("职称证书.pdf"),
        proof_other=proof_file("别人的证书.pdf"),
    )
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY, requested_by=expert)
    return request, request.attachments.get(kind="other")


def add_file(request, name, kind="other") -> ApplicationAttachment:
    """A file of the request's, stored directly (the query-count tests' arrangement)."""
    return ApplicationAttachment.objects.create(
        change_request=request,
        kind=kind,
        file=SimpleUploadedFile(name, b"%PDF-1.4 x"),
        original_name=name,
        size=2048,
        sha256="0" * 64,
    )


def delete_url(request, attachment) -> str:
    return reverse("changes:attachment_delete", args=[request.pk, attachment.pk])


# --- the expert sees the request's files ----------------------------------------------------


def test_the_home_page_lists_the_open_requests_files_with_delete_while_the_unit_has_not_confirmed(
    client, expert
):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    title = request.attachments.get(kind="title")

    html = page(client.get(reverse("experts:home")))

    assert "本次变更申请的证明材料（2份）" in html
    for attachment in (title, wrong):
        assert attachment.original_name in html
        assert reverse("changes:attachment", args=[request.pk, attachment.pk]) in html
        assert delete_url(request, attachment) in html
    assert title.size_text in html


def test_once_confirmed_the_home_page_lists_the_files_without_delete(client, expert, unit):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    services.confirm_change(request, factories.unit_account(unit))

    html = page(client.get(reverse("experts:home")))

    assert "别人的证书.pdf" in html
    assert reverse("changes:attachment", args=[request.pk, wrong.pk]) in html
    assert delete_url(request, wrong) not in html


def test_the_change_form_offers_delete_beside_each_file_of_the_open_request(client, expert):
    request, wrong = title_change_with_a_wrong_file(client, expert)

    html = page(client.get(reverse("changes:edit")))

    assert delete_url(request, wrong) in html


def test_the_change_history_names_each_requests_files_with_a_link(client, expert, unit):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    services.return_change(request, factories.unit_account(unit), "证书不清晰。")
    submit(client, expert, degree="硕士")  # applied at once: its file joined the application
    degree = ApplicationAttachment.objects.get(kind="degree")
    # A new request open: the returned one is no longer shown above, only in 变更记录.
    submit(client, expert, title="副研究员")

    html = page(client.get(reverse("experts:home")))

    assert reverse("changes:attachment", args=[request.pk, wrong.pk]) in html
    assert reverse("experts:attachment", args=[degree.pk]) in html
    assert "证明材料：职称证书.pdf、别人的证书.pdf" in re.sub(r"<[^>]+>|\n\s*", "", html)
    # A closed request's files open for its expert, and are no longer theirs to delete.
    assert delete_url(request, wrong) not in html
    assert client.get(reverse("changes:attachment", args=[request.pk, wrong.pk])).status_code == 200


def test_the_home_page_lists_the_open_requests_files_once_where_delete_is(client, expert):
    request, _ = title_change_with_a_wrong_file(client, expert)

    html = page(client.get(reverse("experts:home")))

    # In the open request's box, with 删除; its row in 变更记录 does not list them again.
    for attachment in request.attachments.all():
        link = reverse("changes:attachment", args=[request.pk, attachment.pk])
        assert html.count(f'href="{link}"') == 1
    assert 'data-testid="change-proofs"' not in html


def test_the_home_page_lists_a_returned_requests_files_once_with_its_reason(client, expert, unit):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    services.return_change(request, factories.unit_account(unit), "证书不清晰。")

    html = page(client.get(reverse("experts:home")))

    assert "该申请所附证明材料：" in html
    link = reverse("changes:attachment", args=[request.pk, wrong.pk])
    assert html.count(f'href="{link}"') == 1
    assert 'data-testid="change-proofs"' not in html


# --- 删除, asked first ---------------------------------------------------------------------


def test_the_delete_page_asks_first_and_a_get_deletes_nothing(client, expert):
    request, wrong = title_change_with_a_wrong_file(client, expert)

    response = client.get(delete_url(request, wrong))

    assert response.status_code == 200
    html = page(response)
    assert "别人的证书.pdf" in html and "确认删除" in html
    assert 'name="confirmed" value="yes"' in html
    assert request.attachments.count() == 2


def test_a_post_without_the_pages_confirmation_deletes_nothing(client, expert):
    request, wrong = title_change_with_a_wrong_file(client, expert)

    response = client.post(delete_url(request, wrong))

    assert response.status_code == 302 and response["Location"] == delete_url(request, wrong)
    assert said(response)[-1] == "请在本页确认后再删除证明材料。"
    assert request.attachments.count() == 2


def test_the_expert_deletes_a_wrong_file_audited_as_a_change_of_the_request(
    client, expert, private_storage, django_capture_on_commit_callbacks
):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    assert len(stored(private_storage)) == 2
    due_before = request.due_on

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(request, wrong), {"confirmed": "yes"})

    assert response.status_code == 302
    assert response["Location"] == reverse("experts:home") + "#my-changes"
    assert said(response)[-1] == "证明材料“别人的证书.pdf”已删除，变更申请已更新，等待单位确认。"
    request.refresh_from_db()
    assert [a.kind for a in request.attachments.all()] == ["title"]
    assert len(stored(private_storage)) == 1
    assert request.status == S.PENDING_UNIT and request.due_on >= due_before
    latest = request.history.latest("pk")
    assert (latest.action, latest.actor, latest.comment) == (
        "amend",
        expert,
        "删除证明材料：别人的证书.pdf",
    )
    event = AuditEvent.objects.filter(action=AuditEvent.Action.TRANSITION).latest("pk")
    assert (event.actor, event.object_id, event.result) == (
        expert,
        str(request.pk),
        AuditEvent.Result.SUCCESS,
    )
    # Its kind and number, never its name (a file name may carry personal data).
    assert event.detail == f"修改变更申请：删除证明材料（其他证明材料，编号{wrong.pk}）"
    # Gone from the expert's page.
    assert reverse("changes:attachment", args=[request.pk, wrong.pk]) not in page(
        client.get(reverse("experts:home"))
    )


def test_the_only_title_certificate_of_a_title_change_is_not_deleted(client, expert):
    request, _ = title_change_with_a_wrong_file(client, expert)
    title = request.attachments.get(kind="title")
    why = (
        "申请变更专业技术职称须附职称证书，这是该变更申请唯一的职称证书，不能删除；"
        "请先在“修改专家信息”中上传新的职称证书，再删除此文件。"
    )

    asked = client.get(delete_url(request, title))
    response = client.post(delete_url(request, title), {"confirmed": "yes"})

    assert asked.status_code == 200
    assert why in page(asked) and 'name="confirmed"' not in page(asked)
    assert said(response)[-1] == why
    assert request.attachments.filter(pk=title.pk).exists()
    failed = AuditEvent.objects.get(result=AuditEvent.Result.FAILURE)
    assert (failed.actor, failed.detail) == (expert, why)


def test_a_title_certificate_with_its_replacement_uploaded_is_deleted(client, expert):
    request, _ = title_change_with_a_wrong_file(client, expert)
    old = request.attachments.get(kind="title")
    submit(client, expert, title="研究员", proof_title=proof_file("新职称证书.pdf"))

    response = client.post(delete_url(request, old), {"confirmed": "yes"})

    assert said(response)[-1] == "证明材料“职称证书.pdf”已删除，变更申请已更新，等待单位确认。"
    assert list(request.attachments.values_list("original_name", flat=True)) == [
        "别人的证书.pdf",
        "新职称证书.pdf",
    ]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "confirm",
            "您的变更申请已由单位确认，正在等待市科技局审核，不能再删除证明材料；"
            "如需更换，请先在首页撤回该变更申请。",
        ),
        ("return", "该变更申请为“已退回”，已办结，不能再删除其证明材料。"),
        ("withdraw", "该变更申请为“已撤回”，已办结，不能再删除其证明材料。"),
        # Frozen with a request still open: as 修改专家信息, no change (a second read).
        ("freeze", "您的专家状态为“已冻结”，不能修改变更申请的证明材料。"),
    ],
)
def test_a_request_no_longer_the_experts_to_change_keeps_its_files(
    client, expert, unit, step, message
):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    if step == "confirm":
        services.confirm_change(request, factories.unit_account(unit))
    elif step == "return":
        services.return_change(request, factories.unit_account(unit), "证书不清晰。")
    elif step == "freeze":
        ExpertApplication.objects.filter(user=expert).update(status=ApplicationStatus.FROZEN)
    else:
        services.withdraw_change(request, expert)

    asked = client.get(delete_url(request, wrong))
    response = client.post(delete_url(request, wrong), {"confirmed": "yes"})

    assert message in page(asked) and 'name="confirmed"' not in page(asked)
    assert said(response)[-1] == message
    assert request.attachments.filter(pk=wrong.pk).exists()


# --- another's, forged, or the application's -------------------------------------------------


def test_another_experts_file_and_forged_ids_are_404(client, expert, unit, reviewer):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    other = admitted(unit, name="李四")
    theirs, their_wrong = title_change_with_a_wrong_file(client, other)
    client.force_login(expert)

    urls = [
        delete_url(theirs, their_wrong),  # another expert's request and file
        delete_url(request, their_wrong),  # my request, their file
        delete_url(theirs, wrong),  # their request, my file
        reverse("changes:attachment_delete", args=[request.pk, 999999]),  # no such file
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"confirmed": "yes"}).status_code == 404, url
    assert ApplicationAttachment.objects.count() == 4
    # Not for a unit or the bureau: the page is the expert's.
    for user in (factories.unit_account(unit), reviewer):
        client.force_login(user)
        assert client.post(delete_url(request, wrong), {"confirmed": "yes"}).status_code == 403
    assert ApplicationAttachment.objects.count() == 4


def test_a_file_of_the_application_is_not_deleted_through_a_request(client, expert):
    request, _ = title_change_with_a_wrong_file(client, expert)
    own = ApplicationAttachment.objects.create(
        application=application_of(expert),
        kind="other",
        file=SimpleUploadedFile("申请材料.pdf", b"%PDF-1.4 x"),
        original_name="申请材料.pdf",
        size=10,
        sha256="0" * 64,
    )
    url = reverse("changes:attachment_delete", args=[request.pk, own.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmed": "yes"}).status_code == 404
    assert ApplicationAttachment.objects.filter(pk=own.pk).exists()


# --- Django admin ----------------------------------------------------------------------------


@pytest.fixture
def operator(client):
    return get_user_model().objects.create_superuser(
        "operator", "op@example.com", factories.PASSWORD
    )


def test_the_admin_shows_the_requests_files_read_only(client, expert, operator):
    request, wrong = title_change_with_a_wrong_file(client, expert)
    client.force_login(operator)

    response = client.get(reverse("admin:changes_changerequest_change", args=[request.pk]))

    assert response.status_code == 200
    html = page(response)
    assert "职称证书.pdf" in html and "别人的证书.pdf" in html
    assert reverse("changes:attachment", args=[request.pk, wrong.pk]) in html
    # Read-only: no upload box, no 删除 checkbox.
    assert 'type="file"' not in html and "-DELETE" not in html


# --- queries ---------------------------------------------------------------------------------


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name", ["home", "edit", "admin"])
def test_the_pages_listing_the_files_ask_as_many_queries_for_three_as_for_one(
    client, expert, operator, url_name
):
    request, _ = title_change_with_a_wrong_file(client, expert)
    user, url = {
        "home": (expert, reverse("experts:home")),
        "edit": (expert, reverse("changes:edit")),
        "admin": (operator, reverse("admin:changes_changerequest_change", args=[request.pk])),
    }[url_name]
    client.force_login(user)
    client.get(url)  # warm what a first request caches
    two = queries(client, url)

    for n in range(3):
        add_file(request, f"补充{n}.pdf")
    five = queries(client, url)

    assert five == two
