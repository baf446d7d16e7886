"""The sensitive-data consent (PIPL arts. 15, 29, 47; the officer's walk S2, S7, S3): without
it no one sees or exports the 证件号码 and 银行账号 in full; it can be withdrawn under review,
which takes the application out of review; and an operator erases a person who left or
withdrew, keeping the review record."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils.timezone import now

from accounts.models import Authenticator, LoginLog, PasswordHistory
from audit.models import AuditEvent
from experts import counts, exports, services
from experts.models import (
    ApplicationAttachment,
    ApplicationStatus,
    ApplicationTransition,
    DueCount,
    ExpertApplication,
    StatusCount,
    UnitStatusCount,
)
from portal.templating import masked_id_number
from sms import templates
from sms.models import SMSMessage
from sms.outbox import queue_sms, send_due
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus
User = get_user_model()
BANK = "6217000010001234567"
VIEW = AuditEvent.Action.VIEW_PERSONAL_DATA


def said(response) -> str:
    return "".join(message.message for message in get_messages(response.wsgi_request))


def with_bank(application) -> ExpertApplication:
    ExpertApplication.objects.filter(pk=application.pk).update(bank_account=BANK)
    return ExpertApplication.objects.select_related("user").get(pk=application.pk)


def withdrawn_and_exited(unit, reviewer) -> ExpertApplication:
    """An admitted expert who pressed 撤回同意并申请退出, and the bureau's 确认退出."""
    application = with_bank(factories.admitted_expert(unit, reviewer))
    services.withdraw_consent(application, application.user)
    services.confirm_exit(application, reviewer)
    return ExpertApplication.objects.select_related("user").get(pk=application.pk)


# S2: no consent, no processing of the numbers --------------------------------------------------


@pytest.mark.parametrize("role", ["unit", "bureau"])
def test_after_withdrawal_and_exit_the_reveal_is_refused_with_the_reason(
    client, unit, reviewer, role
):
    application = withdrawn_and_exited(unit, reviewer)
    viewer = factories.unit_account(unit) if role == "unit" else reviewer
    client.force_login(viewer)
    detail = reverse(f"experts:{role}_detail", args=[application.pk])
    reveal = reverse(f"experts:{role}_reveal", args=[application.pk])

    page = client.get(detail).content.decode()
    assert 'data-testid="reveal-refused"' in page
    assert "申请人已撤回（或尚未给予）敏感个人信息处理同意" in page
    assert 'name="reveal-numbers"' not in page

    response = client.post(
        reveal, {"reveal-numbers": ["id_number"], "reveal-reason": "verify_identity"}
    )
    assert response.status_code == 403
    assert "未显示完整信息：申请人已撤回（或尚未给予）敏感个人信息处理同意" in said(response)
    assert application.user.id_number not in response.content.decode()
    assert BANK not in response.content.decode()
    assert not AuditEvent.objects.filter(action=VIEW).exists()


def test_the_bureau_may_no_longer_reveal_while_the_exit_waits(client, unit, reviewer):
    application = with_bank(factories.admitted_expert(unit, reviewer))
    client.force_login(reviewer)
    reveal = reverse("experts:bureau_reveal", args=[application.pk])
    data = {"reveal-numbers": ["bank_account"], "reveal-reason": "check_bank"}
    assert BANK in client.post(reveal, data).content.decode()  # before: allowed

    services.withdraw_consent(application, application.user)

    response = client.post(reveal, data)
    assert response.status_code == 403 and BANK not in response.content.decode()


def test_a_unit_reads_no_contact_details_of_a_person_who_left(client, unit, reviewer):
    application = factories.admitted_expert(unit, reviewer)
    client.force_login(factories.unit_account(unit))
    url = reverse("experts:unit_detail", args=[application.pk])
    assert application.email in client.get(url).content.decode()

    services.request_exit(application, application.user)
    services.confirm_exit(application, reviewer)

    page = client.get(url).content.decode()
    assert application.email not in page and application.address not in page
    assert page.count("（已出库，不再向单位显示）") == 4  # 手机, 办公电话, 电子邮箱, 通讯地址
    assert "该专家已出库，单位不再查看其证件号码和联系方式。" in page


def test_an_export_row_masks_the_numbers_without_the_consent(unit, reviewer):
    application = with_bank(factories.admitted_expert(unit, reviewer))
    assert application.user.id_number in exports.expert_row(application, scope="full")

    services.withdraw_consent(application, application.user)
    application = ExpertApplication.objects.select_related("user__unit").get(pk=application.pk)

    row = exports.expert_row(application, scope="full")
    assert application.user.id_number not in row and BANK not in row
    assert masked_id_number(application.user.id_number) in row


def test_admin_leaves_the_numbers_out_without_the_consent(client, unit, reviewer):
    application = withdrawn_and_exited(unit, reviewer)
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)
    for url, offered in (
        (
            reverse("admin:experts_expertapplication_personal_data", args=[application.pk]),
            "手机",
        ),
        (reverse("admin:accounts_user_personal_data", args=[application.user.pk]), "手机号码"),
    ):
        page = client.get(url).content.decode()
        assert "申请人已撤回（或尚未给予）敏感个人信息处理同意" in page
        assert f"<p>{offered}默认部分隐藏。" in page  # the numbers are not offered
        shown = client.post(url, {"reason": "verify_identity"}).content.decode()
        assert application.user.id_number not in shown and BANK not in shown
        assert "以下完整信息仅在本页显示" in shown  # the mobile, still shown
    assert AuditEvent.objects.filter(action=VIEW).count() == 2
    assert all("证件号码" not in event.detail for event in AuditEvent.objects.filter(action=VIEW))


# S7: withdrawing the consent under review -------------------------------------------------------


def kept_counts():
    # Zeros left out: recount writes a row for every status, shift only for those it moved.
    return (
        dict(StatusCount.objects.exclude(n=0).values_list("status", "n")),
        dict(StatusCount.objects.exclude(returned=0).values_list("status", "returned")),
        sorted(UnitStatusCount.objects.exclude(n=0).values_list("unit_id", "status", "n")),
        sorted(DueCount.objects.filter(n__gt=0).values_list("status", "due_on", "n")),
    )


@pytest.mark.parametrize("state", [S.PENDING_UNIT, S.PENDING_BUREAU, S.REJECTED, "returned"])
def test_withdrawing_under_review_asks_first_then_leaves_review(client, unit, reviewer, state):
    person = factories.make_applicant(unit, S.PENDING_UNIT if state == "returned" else state)
    application = person.application
    if state == "returned":
        services.return_application(application, factories.unit_account(unit), reason="补材料")
    client.force_login(person)
    home = client.get(reverse("experts:home")).content.decode()
    assert 'data-testid="consent-withdrawal"' in home
    url = reverse("experts:withdraw_consent")

    asked = client.get(url).content.decode()
    assert "撤回同意后" in asked and "专家状态将变为“信息未填写”" in asked
    assert 'name="confirmed" value="yes"' in asked
    # No action without the confirmation: a bare POST changes nothing.
    refused = client.post(url)
    assert "请在本页确认后再撤回同意" in said(refused)
    assert ExpertApplication.objects.get(pk=application.pk).consent_at is not None

    client.post(url, {"confirmed": "yes"})

    application.refresh_from_db()
    assert application.status == S.DRAFT
    assert (application.consent_version, application.consent_at) == ("", None)
    assert (application.returned_at, application.due_on) == (None, None)
    last = application.history.latest("pk")
    assert (last.action, last.to_status, last.comment) == (
        "withdraw_application",
        S.DRAFT,
        services.CONSENT_WITHDRAWN,
    )
    event = AuditEvent.objects.filter(action=AuditEvent.Action.TRANSITION).latest("pk")
    assert event.detail.startswith("撤回同意：") and event.actor == person
    # The kept counts are what counting the rows gives.
    kept = kept_counts()
    counts.recount()
    assert kept == kept_counts()
    # Out of the queues: neither the unit's waiting list nor the bureau's finds it.
    client.force_login(reviewer)
    queue = client.get(reverse("experts:bureau_queue") + "?status=draft").content.decode()
    assert person.real_name not in queue
    # Nor does its detail page show the form any more: the draft is the applicant's own again.
    detail = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert "申请人已撤回同意" in detail and 'data-testid="content-hidden"' in detail
    # (Its SMS stay listed, their numbers masked: the portal's own messages, not the form.)
    assert 'id="application-section-1"' not in detail and "查看完整信息" not in detail


@pytest.mark.parametrize("state", [S.PENDING_UNIT, S.REJECTED, "returned"])
def test_after_withdrawing_the_home_page_says_so_not_resubmit(client, unit, reviewer, state):
    """Not 修改并重新提交 as after a 退回, nor an earlier 退回's reason: the consent was
    withdrawn, the review ended, and applying again means agreeing again and 提交."""
    person = factories.make_applicant(unit, S.PENDING_UNIT if state == "returned" else state)
    if state == "returned":
        services.return_application(
            person.application, factories.unit_account(unit), reason="补材料"
        )
    services.withdraw_application(person.application, person)
    client.force_login(person)

    page = client.get(reverse("experts:home")).content.decode()

    withdrawn = page.split('data-testid="consent-withdrawn">', 1)[1].split("</div>", 1)[0]
    assert "撤回敏感个人信息处理同意，专家入库申请随之撤回审核" in withdrawn
    assert "单位和市科技局不再处理您的证件号码和银行账号" in withdrawn
    assert "重新勾选同意敏感个人信息处理同意书" in withdrawn
    assert ">再次申请入库</a>" in page
    assert "修改并重新提交" not in page
    assert "由单位重新审核推荐。</p>" not in page.split(withdrawn, 1)[1]
    assert 'data-testid="latest-reason"' not in page
    assert 'data-testid="missing-count"' not in page


def test_agreeing_again_after_withdrawing_leaves_the_withdrawal_behind(client, unit):
    person = factories.make_applicant(unit, S.PENDING_UNIT)
    services.withdraw_application(person.application, person)
    client.force_login(person)
    client.post(
        reverse("experts:form"),
        factories.application_post_data(person, sensitive_consent="on"),
    )
    assert ExpertApplication.objects.get(pk=person.application.pk).consent_at is not None

    page = client.get(reverse("experts:home")).content.decode()

    assert 'data-testid="consent-withdrawn"' not in page
    assert "修改并重新提交" in page


def test_the_confirmation_page_refuses_an_admitted_expert(client, unit, reviewer):
    application = factories.admitted_expert(unit, reviewer)
    client.force_login(application.user)
    response = client.post(reverse("experts:withdraw_consent"), {"confirmed": "yes"})
    assert f"专家状态为“{S.APPROVED.label}”，不能在此撤回同意" in said(response)
    assert ExpertApplication.objects.get(pk=application.pk).status == S.APPROVED
    assert (
        'data-testid="consent-withdrawal"'
        not in client.get(reverse("experts:home")).content.decode()
    )


# S3: 删除个人信息 --------------------------------------------------------------------------------


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


def erase(client, application, post=True):
    data = {"action": "erase_personal_data", "_selected_action": [application.pk]}
    if post:
        data["post"] = "yes"
    return client.post(reverse("admin:experts_expertapplication_changelist"), data)


def exited_with_everything(unit, reviewer, private_storage) -> ExpertApplication:
    """An expert who left, with a file, a submission's snapshot and an SMS."""
    person = factories.make_applicant(unit, S.DRAFT)
    services.add_attachment(
        person.application, person, "title", SimpleUploadedFile("证书.pdf", b"%PDF-1.4 x")
    )
    services.submit_application(person.application, person)
    application = services.recommend_application(person.application, factories.unit_account(unit))
    services.approve_application(application, reviewer)
    application = with_bank(application)
    services.withdraw_consent(application, person)
    services.confirm_exit(application, reviewer)
    return ExpertApplication.objects.select_related("user").get(pk=application.pk)


def test_erasing_asks_first_naming_the_person_then_erases_every_listed_field(
    client, operator, unit, reviewer, private_storage, django_capture_on_commit_callbacks
):
    application = exited_with_everything(unit, reviewer, private_storage)
    queue_sms(
        application.user.mobile,
        templates.ACCOUNT_LOCKED,
        {"username": application.user.username, "until": "15:30", "help_line": "027-85870766"},
        about=application.user,
    )
    send_due()  # the decisions' SMS went out (one still queued would go out first)
    signed_in = {"ip_address": "10.1.2.3", "user_agent": "Mozilla/5.0", "attempt_time": now()}
    LoginLog.objects.create(username=application.user.username, **signed_in)
    Authenticator.objects.create(user=application.user, name="手机", confirmed=True)
    # Another person's stay.
    LoginLog.objects.create(username=reviewer.username, **signed_in)
    Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    stored = [path for path in private_storage.rglob("*") if path.is_file()]
    assert len(stored) == 1
    assert ApplicationTransition.objects.filter(application=application, snapshot__isnull=False)
    assert SMSMessage.objects.filter(object_id=application.pk).exists()
    history_before = application.history.count()

    page = erase(client, application, post=False).content.decode()
    assert application.user.real_name in page and "确认删除个人信息（不能恢复）" in page
    assert ExpertApplication.objects.get(pk=application.pk).erased_at is None

    with django_capture_on_commit_callbacks(execute=True):
        erase(client, application)

    erased = ExpertApplication.objects.select_related("user").get(pk=application.pk)
    assert erased.erased_at is not None
    assert (erased.bank_account, erased.bank_name, erased.mobile, erased.email) == ("", "", "", "")
    assert (erased.address, erased.office_phone, erased.birth_date) == ("", "", None)
    assert (erased.resume, erased.achievements, erased.gender) == ("", "", "")
    account = erased.user
    assert (account.id_number, account.id_number_index, account.mobile, account.email) == (
        "",
        "",
        "",
        "",
    )
    assert not account.is_active and not account.has_usable_password()
    # The hashes of the passwords before it went with it; another person's stay.
    assert not PasswordHistory.objects.filter(user=account).exists()
    assert PasswordHistory.objects.filter(user=reviewer).exists()
    # The stored ciphertext is gone too, not only its decryption.
    assert User.objects.filter(pk=account.pk, id_number="").exists()
    assert not ApplicationAttachment.objects.filter(application=erased).exists()
    assert [path for path in private_storage.rglob("*") if path.is_file()] == []
    assert not ApplicationTransition.objects.filter(
        application=erased, snapshot__isnull=False
    ).exists()
    assert not SMSMessage.objects.filter(object_id=erased.pk).exists()
    assert not SMSMessage.objects.filter(content_type__model="user", object_id=account.pk)
    assert not LoginLog.objects.filter(username=account.username).exists()
    assert not Authenticator.objects.filter(user=account).exists()
    assert LoginLog.objects.filter(username=reviewer.username).exists()
    assert Authenticator.objects.filter(user=reviewer).exists()
    # Kept: the name, the unit, the history.
    assert account.real_name == application.user.real_name and erased.unit_id == unit.pk
    assert erased.history.count() == history_before
    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASE_PERSONAL_DATA)
    assert (event.actor, event.object_id) == (operator, str(erased.pk))
    assert "证明材料1份" in event.detail and application.user.id_number not in event.detail
    assert "登录日志1条" in event.detail


def test_erasing_refuses_an_expert_still_in_the_pool(client, operator, unit, reviewer):
    application = with_bank(factories.admitted_expert(unit, reviewer))
    page = erase(client, application, post=False).content.decode()
    assert "仍在专家库中（审核通过），不能删除个人信息" in page
    assert "确认删除个人信息" not in page

    response = erase(client, application)

    assert "仍在专家库中（审核通过），不能删除个人信息" in said(response)
    kept = ExpertApplication.objects.select_related("user").get(pk=application.pk)
    assert (kept.bank_account, kept.erased_at) == (BANK, None)
    assert kept.user.id_number == application.user.id_number and kept.user.is_active
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ERASE_PERSONAL_DATA).exists()


def test_erasing_a_withdrawn_applicant_and_not_twice(client, operator, unit):
    person = factories.make_applicant(unit, S.PENDING_BUREAU)
    services.withdraw_application(person.application, person)
    erase(client, person.application)
    assert ExpertApplication.objects.get(pk=person.application.pk).erased_at is not None

    again = erase(client, person.application)

    assert "个人信息已于" in said(again)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASE_PERSONAL_DATA).count() == 1


def test_an_sms_still_queued_at_erasure_goes_out_then_housekeeping_deletes_it(
    client, operator, unit, reviewer, private_storage
):
    """删除个人信息 lets the 出库 SMS still in the outbox go out (the person is told), keeps it
    while it is 排队中, and the next housekeeping deletes it once sent: no copy of the erased
    number outlives that day, whatever SMS_KEEP_DAYS says."""
    application = exited_with_everything(unit, reviewer, private_storage)
    # And one about the account (账号锁定 queues one so).
    queue_sms(
        application.user.mobile,
        templates.ACCOUNT_LOCKED,
        {"username": application.user.username, "until": "15:30", "help_line": "027-85870766"},
        about=application.user,
    )
    about = SMSMessage.objects.filter(
        Q(content_type__model="expertapplication", object_id=application.pk)
        | Q(content_type__model="user", object_id=application.user_id)
    )
    waiting = about.filter(status=SMSMessage.Status.QUEUED).count()
    assert waiting
    other = factories.make_applicant(unit, S.PENDING_UNIT)
    services.recommend_application(other.application, factories.unit_account(unit))
    services.reject_application(
        ExpertApplication.objects.get(pk=other.application.pk), reviewer, "专业领域与需求不符"
    )

    erase(client, application)
    assert set(about.values_list("status", flat=True)) == {SMSMessage.Status.QUEUED}
    call_command("housekeeping", stdout=io.StringIO())
    assert about.exists()  # still to send: kept
    send_due()
    assert set(about.values_list("status", flat=True)) == {SMSMessage.Status.SENT}

    output = io.StringIO()
    call_command("housekeeping", stdout=output)

    assert not about.exists()
    # Another person's sent SMS stays for its keeping period.
    assert SMSMessage.objects.filter(object_id=other.application.pk).exists()
    assert f"删除已删除个人信息人员的短信{waiting}条。" in output.getvalue()
    purge = AuditEvent.objects.filter(action=AuditEvent.Action.PURGE).latest("pk")
    assert purge.detail.endswith(f"已删除个人信息人员的短信{waiting}条")
