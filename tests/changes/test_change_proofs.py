"""证明材料 of a 信息变更: a change of 职称 or 学历 carries its certificate, checked as the
application's are; the unit confirming it and the bureau open the files (another unit never
does), each opening audited; they join the application's 证明材料 on 审核通过, stay with the
request otherwise, and leave with 删除个人信息."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from changes import services
from changes.models import ChangeKind, ChangeRequest, ChangeStatus
from experts.attachments import MAX_BYTES
from experts.erasure import erase_personal_data
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


def title_change(client, expert, **files):
    """The expert asks 教授 → 研究员, with `files` (a 职称证书 unless told otherwise)."""
    files = files or {"proof_title": proof_file("职称证书.pdf")}
    return submit(client, expert, title="研究员", **files)


# --- the expert's form -----------------------------------------------------------------------


def test_a_title_change_without_its_certificate_is_refused_and_the_typing_kept(client, expert):
    response = title_change(client, expert, proof_title="", resume="新的简历。")

    assert response.status_code == 400
    assert response.context["form"].errors["proof_title"] == [
        "修改了专业技术职称，须上传职称证书作为证明材料。"
    ]
    html = page(response)
    assert 'value="研究员"' in html and "新的简历。" in html
    assert not ChangeRequest.objects.exists()
    assert application_of(expert).title == "教授"


def test_a_title_asked_again_otherwise_needs_its_own_certificate(client, expert):
    """The 职称证书 sent for 研究员 proves no 副研究员 asked afterwards; a 职称级别 added to the
    same 职称 is proved by it still."""
    title_change(client, expert)

    response = submit(client, expert, title="副研究员", proof_title="")

    assert response.status_code == 400
    assert response.context["form"].errors["proof_title"] == [
        "修改了专业技术职称，须上传职称证书作为证明材料。"
    ]
    assert ChangeRequest.objects.get().values["title"] == "研究员"
    kept = submit(client, expert, title="研究员", title_level="associate", proof_title="")
    assert kept.status_code == 302


def test_a_title_change_with_its_certificate_carries_it_to_the_request(
    client, expert, private_storage
):
    response = title_change(client, expert)

    assert response.status_code == 302
    assert said(response)[-1] == "证明材料“职称证书.pdf”已上传。"
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    proof = ApplicationAttachment.objects.get()
    assert (proof.change_request, proof.application, proof.kind) == (request, None, "title")
    assert proof.original_name == "职称证书.pdf" and len(proof.sha256) == 64
    assert len(stored(private_storage)) == 1
    # Not among the application's 证明材料 while the request waits.
    assert not application_of(expert).attachments.exists()
    # The form shows it, and asks no certificate again for the same 职称.
    form = client.get(reverse("changes:edit"))
    assert "职称证书.pdf" in page(form)
    again = submit(client, expert, title="研究员", address="武汉市新地址2号")
    assert said(again) == ["通讯地址已修改并生效。"]


def test_a_file_added_to_the_open_request_is_a_change_in_its_history(client, expert):
    title_change(client, expert)

    response = submit(client, expert, title="研究员", proof_other=proof_file("获奖证书.pdf"))

    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    assert said(response)[-2:] == [
        "变更申请已更新（专业技术职称），等待所在单位确认后由市科技局审核；"
        "审核通过前，专家库仍使用现行信息。",
        "证明材料“获奖证书.pdf”已上传。",
    ]
    assert request.attachments.count() == 2
    assert request.history.latest("pk").comment == "补充证明材料：获奖证书.pdf"


def test_a_degree_change_needs_its_certificate_and_joins_at_once(client, expert):
    refused = submit(client, expert, degree="硕士", proof_degree="")
    assert refused.status_code == 400
    assert refused.context["form"].errors["proof_degree"] == [
        "修改了最高学位，须上传学历学位证书作为证明材料。"
    ]

    response = submit(client, expert, degree="硕士")

    assert response.status_code == 302
    record = ChangeRequest.objects.get()
    assert (record.kind, record.status) == (ChangeKind.DETAILS, S.APPLIED)
    proof = ApplicationAttachment.objects.get()
    assert proof.change_request == record and proof.application == application_of(expert)


def test_a_file_joining_the_application_at_once_keeps_to_its_limit(client, expert):
    from experts.attachments import MAX_FILES

    application = application_of(expert)
    for n in range(MAX_FILES):
        ApplicationAttachment.objects.create(
            application=application,
            kind="other",
            file=SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4 x"),
            original_name=f"{n}.pdf",
            size=10,
            sha256="0" * 64,
        )

    response = submit(client, expert, degree="硕士")

    assert f"每份申请最多保存{MAX_FILES}份证明材料" in " ".join(said(response))
    assert not ChangeRequest.objects.exists()
    assert application.attachments.count() == MAX_FILES
    assert application_of(expert).degree != "硕士"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("证书.exe", b"MZ\x90\x00"), "证明材料仅支持jpg、png或pdf格式。"),
        (
            SimpleUploadedFile("证书.pdf", b"%PDF-1.4\n" + b"0" * MAX_BYTES),
            "证明材料不能超过5MB，当前文件为5.00MB，请压缩后上传。",
        ),
        (
            SimpleUploadedFile("证书.pdf", b"<html>not a scan</html>"),
            "文件内容与扩展名不符，请上传真实的jpg、png或pdf扫描件。",
        ),
    ],
    ids=["type", "size", "content"],
)
def test_a_bad_file_is_refused_as_on_the_application_form(
    client, expert, private_storage, upload, message
):
    response = title_change(client, expert, proof_title=upload)

    assert response.status_code == 400
    assert response.context["form"].errors["proof_title"] == [message]
    assert said(response) == [
        "表单有误，请按提示修改；尚未保存任何修改。已选择的证明材料文件需重新选择。"
    ]
    assert not ChangeRequest.objects.exists() and stored(private_storage) == []


def test_a_file_without_any_change_is_refused_and_not_kept(client, expert, private_storage):
    response = submit(client, expert, proof_other=proof_file("获奖证书.pdf"))

    assert response.status_code == 400
    assert said(response)[0].startswith("您没有修改任何信息，证明材料未上传")
    assert not ApplicationAttachment.objects.exists() and stored(private_storage) == []


# --- the unit and the bureau -----------------------------------------------------------------


def test_the_confirming_unit_and_the_bureau_open_the_file_audited_another_unit_gets_404(
    client, expert, unit, other_unit, reviewer
):
    title_change(client, expert)
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    proof = ApplicationAttachment.objects.get()
    url = reverse("changes:attachment", args=[request.pk, proof.pk])

    # The expert opens their own, not audited.
    assert client.get(url).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ATTACHMENT_DOWNLOAD).exists()

    client.force_login(factories.unit_account(other_unit))
    assert client.get(url).status_code == 404
    # Nor through the application's download: the file is not the application's yet.
    assert client.get(reverse("experts:attachment", args=[proof.pk])).status_code == 404

    client.force_login(factories.unit_account(unit))
    detail = page(client.get(reverse("changes:unit_detail", args=[request.pk])))
    assert "职称证书.pdf" in detail and url in detail
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    services.confirm_change(request, factories.unit_account(unit))

    client.force_login(reviewer)
    assert url in page(client.get(reverse("changes:bureau_detail", args=[request.pk])))
    assert client.get(url).status_code == 200

    events = AuditEvent.objects.filter(action=AuditEvent.Action.ATTACHMENT_DOWNLOAD)
    assert [(event.actor, event.detail) for event in events.order_by("pk")] == [
        (factories.unit_account(unit), f"职称证书（编号{proof.pk}，变更申请编号{request.pk}）"),
        (reviewer, f"职称证书（编号{proof.pk}，变更申请编号{request.pk}）"),
    ]
    assert {event.object_id for event in events} == {str(expert.application.pk)}


def test_a_unit_whose_expert_has_left_keeps_the_request_not_the_evidence(
    client, expert, unit, other_unit, reviewer
):
    """The request stays on the confirming unit's list (what it asked), but once the expert
    is no longer its own, their 证明材料 are not: the card says why and the file is a 404."""
    from accounts.models import User

    title_change(client, expert)
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    proof = ApplicationAttachment.objects.get()
    services.confirm_change(request, factories.unit_account(unit))
    services.approve_change(ChangeRequest.objects.get(pk=request.pk), reviewer)
    # The expert moves on (as an approved move to another unit leaves them).
    ExpertApplication.objects.filter(pk=expert.application.pk).update(unit=other_unit)
    User.objects.filter(pk=expert.pk).update(unit=other_unit)
    url = reverse("changes:attachment", args=[request.pk, proof.pk])

    client.force_login(factories.unit_account(unit))
    detail = page(client.get(reverse("changes:unit_detail", args=[request.pk])))

    assert "该专家现已不属于本单位，不能查看其证明材料。" in detail and url not in detail
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ATTACHMENT_DOWNLOAD).exists()
    # The unit the expert belongs to now opens it, through the application's own download.
    client.force_login(factories.unit_account(other_unit))
    assert client.get(reverse("experts:attachment", args=[proof.pk])).status_code == 200


def test_approval_moves_the_files_to_the_application(client, expert, unit, reviewer):
    title_change(client, expert)
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    services.confirm_change(request, factories.unit_account(unit))

    services.approve_change(request, reviewer)

    proof = ApplicationAttachment.objects.get()
    application = application_of(expert)
    assert (proof.application, proof.change_request) == (application, request)
    assert list(application.attachments.all()) == [proof]
    client.force_login(reviewer)
    detail = page(client.get(reverse("experts:bureau_detail", args=[application.pk])))
    assert "职称证书.pdf" in detail
    assert client.get(reverse("experts:attachment", args=[proof.pk])).status_code == 200


def test_a_returned_requests_files_stay_with_it(client, expert, unit):
    title_change(client, expert)
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)

    services.return_change(request, factories.unit_account(unit), "证书不清晰。")

    proof = ApplicationAttachment.objects.get()
    assert (proof.application, proof.change_request) == (None, request)
    assert not application_of(expert).attachments.exists()
    # The expert's own data lists it, as the request's.
    data = client.get(reverse("experts:own_data_download")).json()
    assert [(row["文件名"], row["所属"]) for row in data["证明材料"]] == [
        ("职称证书.pdf", f"变更申请（编号{request.pk}）")
    ]


def test_erasure_removes_the_files_of_every_change(
    client, expert, unit, reviewer, private_storage, django_capture_on_commit_callbacks
):
    title_change(client, expert)
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    services.return_change(request, factories.unit_account(unit), "证书不清晰。")
    submit(client, expert, degree="硕士")  # applied at once: the application's file
    assert ApplicationAttachment.objects.count() == 2 and len(stored(private_storage)) == 2
    # The expert has left the pool (the only state besides a withdrawn draft erasure takes).
    ExpertApplication.objects.filter(pk=expert.application.pk).update(
        status=ApplicationStatus.EXITED
    )

    with django_capture_on_commit_callbacks(execute=True):
        erased = erase_personal_data(application_of(expert), reviewer)

    assert "证明材料2份" in erased
    assert not ApplicationAttachment.objects.exists()
    assert stored(private_storage) == []
