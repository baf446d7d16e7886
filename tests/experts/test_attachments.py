"""证明材料: the applicant uploads and deletes scans while the form is editable; their unit and
the bureau read and open them; nobody else reaches one; every bad input is refused with a
message and changes nothing."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from audit.models import AuditEvent
from experts import attachments, services
from experts.models import ApplicationAttachment, ApplicationStatus
from tests import factories
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
S = ApplicationStatus
UPLOAD = reverse("experts:attachment_upload")


def pdf_bytes(javascript: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if javascript:
        writer.add_open_action(JavaScript(javascript))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def stored_files() -> set[str]:
    if not default_storage.exists(attachments.FOLDER):
        return set()
    return set(default_storage.listdir(attachments.FOLDER)[1])


@pytest.fixture
def applicant(unit, private_storage):
    return factories.make_applicant(unit, S.DRAFT)


def upload(client, name="职称证书.pdf", content=None, kind="title"):
    content = pdf_bytes() if content is None else content
    return client.post(UPLOAD, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def add(user, name="职称证书.pdf", content=None, kind="title") -> ApplicationAttachment:
    content = pdf_bytes() if content is None else content
    return services.add_attachment(user.application, user, kind, SimpleUploadedFile(name, content))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# The applicant: upload, list, delete, download.


def test_applicant_uploads_a_pdf_and_sees_it_listed(client, applicant):
    client.force_login(applicant)

    response = upload(client)

    assert response.status_code == 302
    assert response.url == reverse("experts:form") + "#attachments"
    stored = ApplicationAttachment.objects.get(application=applicant.application)
    assert (stored.kind, stored.original_name) == ("title", "职称证书.pdf")
    assert stored.size == len(pdf_bytes()) and len(stored.sha256) == 64
    assert stored.file.name.startswith("attachments/") and "职称" not in stored.file.name
    page = client.get(reverse("experts:form")).content.decode()
    assert "职称证书.pdf" in page and reverse("experts:attachment", args=[stored.pk]) in page
    assert "不会保存上方填写的内容" in page


def test_upload_does_not_touch_the_long_form(client, applicant):
    application = applicant.application
    client.force_login(applicant)
    before = (application.resume, application.draft_saved_at, application.updated_at)

    upload(client)

    application.refresh_from_db()
    assert (application.resume, application.draft_saved_at, application.updated_at) == before


def test_applicant_deletes_their_file_and_it_leaves_the_disk(
    client, applicant, django_capture_on_commit_callbacks
):
    stored = add(applicant)
    client.force_login(applicant)
    assert stored_files() == {stored.file.name.removeprefix(attachments.FOLDER)}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:attachment_delete", args=[stored.pk]))

    assert response.status_code == 302
    assert not ApplicationAttachment.objects.exists()
    assert stored_files() == set()


def test_applicant_downloads_their_own_file_unaudited(client, applicant):
    stored = add(applicant)
    client.force_login(applicant)

    response = client.get(reverse("experts:attachment", args=[stored.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ATTACHMENT_DOWNLOAD).exists()


# Bad input: a clear message, nothing changed.

BAD_FILES = [
    ("程序.exe", b"MZ\x90\x00" + b"\x00" * 100, "证明材料仅支持jpg、png或pdf格式。"),
    ("伪装.pdf", b"MZ\x90\x00" + b"\x00" * 100, "文件内容与扩展名不符"),
    ("伪装.jpg", pdf_bytes(), "文件内容与扩展名不符"),
    ("脚本.pdf", pdf_bytes(javascript="app.alert(1);"), "PDF文件含有脚本"),
    ("截断.png", factories.png_bytes()[:-30], "文件末尾含有多余内容或文件不完整"),
    ("空.pdf", b"", "所选文件是空的"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    BAD_FILES,
    ids=["wrong-type", "fake-pdf", "pdf-named-jpg", "pdf-script", "truncated", "empty"],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_stored(
    client, applicant, name, content, message
):
    client.force_login(applicant)

    response = upload(client, name, content)

    assert response.status_code == 400
    shown = messages_of(response)
    assert len(shown) == 1 and shown[0].startswith("证明材料未上传：") and message in shown[0]
    assert message in response.content.decode()  # beside the file box too
    assert not ApplicationAttachment.objects.exists()
    assert stored_files() == set()


def test_a_file_over_the_size_cap_is_refused(client, applicant):
    png = factories.png_bytes()
    over = png + b"\x00" * (attachments.MAX_BYTES + 1 - len(png))
    client.force_login(applicant)

    response = upload(client, "大.png", over)

    assert response.status_code == 400
    assert "证明材料未上传：证明材料不能超过5MB，当前文件为5.00MB，请压缩后上传。" in messages_of(
        response
    )
    assert not ApplicationAttachment.objects.exists() and stored_files() == set()


def test_a_missing_kind_or_file_is_refused(client, applicant):
    client.force_login(applicant)

    no_kind = upload(client, kind="")
    forged_kind = upload(client, kind="passport")
    no_file = client.post(UPLOAD, {"kind": "title"})

    assert "证明材料未上传：请选择材料类型。" in messages_of(no_kind)
    assert "请选择材料类型：职称证书" in messages_of(forged_kind)[0]
    assert "证明材料未上传：请选择要上传的文件。" in messages_of(no_file)
    assert not ApplicationAttachment.objects.exists() and stored_files() == set()


def test_the_eleventh_file_is_refused(client, applicant):
    for n in range(attachments.MAX_FILES):
        add(applicant, f"材料{n}.jpg", jpeg_bytes(), "other")
    before = stored_files()
    client.force_login(applicant)

    response = upload(client)

    assert response.status_code == 400
    assert messages_of(response) == [
        "证明材料未上传：每份申请最多上传10份证明材料，请先删除不需要的文件再上传。"
    ]
    assert ApplicationAttachment.objects.count() == attachments.MAX_FILES
    assert stored_files() == before
    # The page says so instead of offering the upload.
    assert "达到上限" in client.get(reverse("experts:form")).content.decode()


@pytest.mark.parametrize("status", [S.PENDING_UNIT, S.PENDING_BUREAU, S.APPROVED, S.REJECTED])
def test_upload_while_not_editable_is_refused(client, unit, private_storage, status):
    applicant = factories.make_applicant(unit, status)
    client.force_login(applicant)

    response = upload(client)

    assert response.status_code == 302 and response.url == reverse("experts:form")
    shown = messages_of(client.get(response.url))
    assert len(shown) == 1 and shown[0].startswith(f"证明材料未上传：专家状态为“{status.label}”")
    assert not ApplicationAttachment.objects.exists() and stored_files() == set()


@pytest.mark.parametrize("status", [S.PENDING_UNIT, S.PENDING_BUREAU])
def test_delete_while_under_review_is_refused_and_the_list_is_read_only(client, applicant, status):
    stored = add(applicant)
    applicant.application.__class__.objects.filter(pk=applicant.application.pk).update(
        status=status, submitted_at=stored.uploaded_at
    )
    client.force_login(applicant)

    response = client.post(reverse("experts:attachment_delete", args=[stored.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        f"专家状态为“{status.label}”，证明材料已随专家信息提交，不能再上传或删除。"
    ]
    assert ApplicationAttachment.objects.filter(pk=stored.pk).exists()
    assert default_storage.exists(stored.file.name)
    page = response.content.decode()  # the read-only page: listed, openable, no 删除
    assert "职称证书.pdf" in page and "上传证明材料" not in page
    assert reverse("experts:attachment_delete", args=[stored.pk]) not in page


def test_another_applicants_file_or_a_forged_id_is_a_404(client, unit, applicant):
    other = factories.make_applicant(unit, S.DRAFT)
    theirs = add(other)
    client.force_login(applicant)

    for url in (
        reverse("experts:attachment", args=[theirs.pk]),
        reverse("experts:attachment", args=[theirs.pk + 1000]),
    ):
        assert client.get(url).status_code == 404
    for pk in (theirs.pk, theirs.pk + 1000):
        response = client.post(reverse("experts:attachment_delete", args=[pk]))
        assert response.status_code == 404
    assert ApplicationAttachment.objects.filter(pk=theirs.pk).exists()
    assert default_storage.exists(theirs.file.name)


def test_an_upload_rolled_back_leaves_no_file(applicant):
    # Something after the row's INSERT fails (here a receiver; a lost connection at commit
    # alike): the row rolls back, and the file stored before the INSERT goes too.
    def fail(sender, instance, **kwargs):
        raise RuntimeError("later step failed")

    post_save.connect(fail, sender=ApplicationAttachment, dispatch_uid="test-fail")
    try:
        with pytest.raises(RuntimeError):
            add(applicant)
    finally:
        post_save.disconnect(sender=ApplicationAttachment, dispatch_uid="test-fail")

    assert not ApplicationAttachment.objects.exists()
    assert stored_files() == set()


# The unit and the bureau.


@pytest.fixture
def submitted(unit, private_storage):
    applicant = factories.make_applicant(unit, S.DRAFT)
    stored = add(applicant, "学位证书.jpg", jpeg_bytes(), "degree")
    services.submit_application(applicant.application, applicant)
    return applicant, stored


def test_own_unit_sees_the_list_and_downloads_audited(client, unit, submitted):
    applicant, stored = submitted
    client.force_login(factories.unit_account(unit))

    page = client.get(reverse("experts:unit_detail", args=[applicant.application.pk]))
    response = client.get(reverse("experts:attachment", args=[stored.pk]))

    text = page.content.decode()
    assert "学历学位证书" in text and "学位证书.jpg" in text
    assert reverse("experts:attachment", args=[stored.pk]) in text
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == jpeg_bytes()
    assert response["Content-Security-Policy"].startswith("sandbox")
    event = AuditEvent.objects.get(action=AuditEvent.Action.ATTACHMENT_DOWNLOAD)
    assert event.object_id == str(applicant.application.pk)
    assert event.detail == f"学历学位证书（编号{stored.pk}）"
    assert "学位证书.jpg" not in event.detail


def test_reviewer_sees_the_list_and_downloads_audited(client, reviewer, submitted):
    applicant, stored = submitted
    client.force_login(reviewer)

    page = client.get(reverse("experts:bureau_detail", args=[applicant.application.pk]))
    response = client.get(reverse("experts:attachment", args=[stored.pk]))

    assert "学位证书.jpg" in page.content.decode()
    assert response.status_code == 200
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.ATTACHMENT_DOWNLOAD, actor=reviewer
        ).count()
        == 1
    )


def test_another_unit_a_pending_unit_and_a_forged_id_get_a_404(client, other_unit, submitted):
    _, stored = submitted
    pending = factories.make_unit(status="pending")
    for account in (factories.unit_account(other_unit), factories.unit_account(pending)):
        client.force_login(account)
        assert client.get(reverse("experts:attachment", args=[stored.pk])).status_code == 404
        assert client.get(reverse("experts:attachment", args=[stored.pk + 99])).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ATTACHMENT_DOWNLOAD).exists()


def test_a_draft_never_submitted_is_not_the_units_to_open(client, unit, reviewer, applicant):
    stored = add(applicant)
    for account in (factories.unit_account(unit), reviewer):
        client.force_login(account)
        assert client.get(reverse("experts:attachment", args=[stored.pk])).status_code == 404


def test_visitors_are_sent_to_log_in(client, submitted):
    _, stored = submitted
    response = client.get(reverse("experts:attachment", args=[stored.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_a_file_missing_from_disk_is_a_404_not_a_500(client, reviewer, submitted):
    _, stored = submitted
    default_storage.delete(stored.file.name)
    client.force_login(reviewer)
    assert client.get(reverse("experts:attachment", args=[stored.pk])).status_code == 404


# The pages' queries do not grow with the files.


@pytest.mark.parametrize("who", ["unit", "bureau", "applicant"])
def test_detail_pages_ask_the_same_queries_for_one_file_or_five(
    client, unit, reviewer, private_storage, who
):
    counted = []
    for n in (1, 5):
        applicant = factories.make_applicant(unit, S.DRAFT)
        for i in range(n):
            add(applicant, f"材料{i}.jpg", jpeg_bytes(), "other")
        if who == "applicant":
            client.force_login(applicant)
            url = reverse("experts:form")
        else:
            services.submit_application(applicant.application, applicant)
            pk = applicant.application.pk
            if who == "unit":
                client.force_login(factories.unit_account(unit))
                url = reverse("experts:unit_detail", args=[pk])
            else:
                client.force_login(reviewer)
                url = reverse("experts:bureau_detail", args=[pk])
        counted.append(queries_for(client, url))
        assert client.get(url).content.decode().count('data-testid="attachment-row"') == n
    assert counted[0] == counted[1]


# Each 提交 keeps its 证明材料: a resubmission shows them changed.


def test_a_resubmission_shows_a_replaced_file_as_changed(client, unit, private_storage):
    applicant = factories.make_applicant(unit, S.DRAFT)
    application = applicant.application
    first = add(applicant, "职称证书.jpg", jpeg_bytes(), "title")
    services.submit_application(application, applicant)
    account = factories.unit_account(unit)
    services.return_application(application, account, reason="证明材料不清晰")
    application.refresh_from_db()
    # The same name, a clearer scan: told apart by its content.
    services.delete_attachment(first, applicant)
    add(applicant, "职称证书.jpg", factories.png_bytes((300, 200)), "title")
    services.submit_application(application, applicant)
    client.force_login(account)

    response = client.get(reverse("experts:unit_detail", args=[application.pk]))

    changes = {change.label: change for change in response.context["changes"]}
    assert changes["证明材料"].changed
    assert changes["证明材料"].old.startswith("职称证书：职称证书.jpg（")
    assert changes["证明材料"].new.startswith("职称证书：职称证书.jpg（")
    assert [label for label, change in changes.items() if change.changed] == ["证明材料"]
    assert 'data-testid="changed-row"' in response.content.decode()


def test_a_resubmission_with_the_same_files_shows_no_change(client, unit, private_storage):
    applicant = factories.make_applicant(unit, S.DRAFT)
    application = applicant.application
    add(applicant)
    services.submit_application(application, applicant)
    account = factories.unit_account(unit)
    services.return_application(application, account, reason="请核对")
    application.refresh_from_db()
    services.submit_application(application, applicant)
    client.force_login(account)

    response = client.get(reverse("experts:unit_detail", args=[application.pk]))

    changes = {change.label: change for change in response.context["changes"]}
    assert not changes["证明材料"].changed
    assert changes["证明材料"].new.startswith("职称证书：职称证书.pdf（")


# 我的个人信息: the files are the person's data too.


def test_my_personal_data_lists_the_files_and_each_submitted_set(client, applicant):
    stored = add(applicant)
    services.submit_application(applicant.application, applicant)
    client.force_login(applicant)

    data = client.get(reverse("experts:own_data_download")).json()
    page = client.get(reverse("experts:own_data")).content.decode()

    assert data["证明材料"] == [
        {
            "材料类型": "职称证书",
            "文件名": "职称证书.pdf",
            "大小": stored.size_text,
            "上传时间": data["证明材料"][0]["上传时间"],
            "SHA-256": stored.sha256,
            "编号": stored.pk,
            "所属": "专家信息",
            "变更申请编号": None,
        }
    ]
    submitted = data["提交版本"][0]["内容"]
    assert {
        "分组": "证明材料",
        "项目": "职称证书",
        "内容": (f"职称证书.pdf（{stored.size_text}，SHA-256 {stored.sha256}）"),
    } in submitted
    assert reverse("experts:attachment", args=[stored.pk]) in page


def test_someone_elses_download_of_my_file_is_in_my_audit_events(client, unit, submitted):
    applicant, stored = submitted
    client.force_login(factories.unit_account(unit))
    client.get(reverse("experts:attachment", args=[stored.pk]))
    client.force_login(applicant)

    data = client.get(reverse("experts:own_data_download")).json()

    events = [row for row in data["安全审计"] if row["操作"] == "查看证明材料"]
    assert len(events) == 1 and events[0]["操作人角色"] != "申请人"


def test_the_admin_shows_the_files_read_only(client, submitted):
    from django.contrib.auth import get_user_model

    applicant, stored = submitted
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "x")
    client.force_login(operator)

    page = client.get(
        reverse("admin:experts_expertapplication_change", args=[applicant.application.pk])
    ).content.decode()

    assert "学位证书.jpg" in page and reverse("experts:attachment", args=[stored.pk]) in page
    assert 'name="attachments-0-kind"' not in page  # shown, not editable
