"""Issue 18, point 3: after a decision the pages say only what is true about the SMS, each
message's state shows where its subject is shown, and an operator's resend is audited."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import UnitStatus
from audit.models import AuditEvent
from experts.models import ApplicationStatus
from sms.models import SMSMessage
from sms.outbox import send_due
from tests import factories
from tests.fake_twilio import fake_twilio

__all__ = ["fake_twilio"]  # the fixture, imported so that pytest finds it here

User = get_user_model()


def sms_states(response) -> list[str]:
    """The 状态 cells of the 短信通知 table, as the page shows them."""
    html = response.content.decode()
    cells = html.split('data-testid="sms-state">')[1:]
    return [cell.split("</td>")[0].split(">", 1)[1].split("<", 1)[0] for cell in cells]


def decide(client, reviewer, application, action: str):
    client.force_login(reviewer)
    data = {"comment": ""} if action == "approve" else {"reason": "研究方向与申报领域不符。"}
    url = reverse(f"experts:bureau_{action}", args=[application.pk])
    return client.post(url, data, follow=True)


def test_decision_page_says_the_sms_is_on_its_way_not_that_it_was_sent(
    client, fake_twilio, unit, reviewer
):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application

    response = decide(client, reviewer, application, "approve")

    html = response.content.decode()
    assert "短信通知将在几秒内发给申请人" in html
    assert "已短信通知" not in html
    assert fake_twilio.requests == []  # the request itself never talks to the provider
    message = SMSMessage.objects.get()
    assert message.about == application
    assert sms_states(response) == ["排队中"]


def test_detail_pages_show_sent_once_the_worker_sent_it(client, fake_twilio, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    decide(client, reviewer, applicant.application, "approve")

    assert send_due()["sent"] == 1

    detail = client.get(reverse("experts:bureau_detail", args=[applicant.application.pk]))
    assert sms_states(detail) == ["已发送"]
    client.force_login(applicant)
    home = client.get(reverse("experts:home"))
    assert sms_states(home) == ["已发送"]
    assert applicant.application.mobile not in home.content.decode()  # masked: 138****5678


def test_a_failed_sms_shows_its_reason_in_chinese(client, fake_twilio, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    fake_twilio.set_mode("invalid_number")
    decide(client, reviewer, applicant.application, "reject")

    send_due()

    message = SMSMessage.objects.get()
    assert message.status == SMSMessage.Status.FAILED
    assert "21211" in message.last_error  # the provider's own words stay for operators
    detail = client.get(reverse("experts:bureau_detail", args=[applicant.application.pk]))
    assert sms_states(detail) == ["发送失败（手机号码无效或无法接收短信）"]
    client.force_login(applicant)
    assert sms_states(client.get(reverse("experts:home"))) == [
        "发送失败（手机号码无效或无法接收短信）"
    ]


def test_a_message_waiting_for_its_retry_says_so(client, fake_twilio, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    fake_twilio.set_mode("error500")
    decide(client, reviewer, applicant.application, "approve")

    send_due()

    message = SMSMessage.objects.get()
    assert message.status == SMSMessage.Status.QUEUED
    assert message.failure_reason == "短信服务暂时不可用"
    detail = client.get(reverse("experts:bureau_detail", args=[applicant.application.pk]))
    assert sms_states(detail) == ["排队中（上次发送未成功，将自动重试）"]


def test_each_page_shows_only_its_own_subjects_messages(client, fake_twilio, unit, reviewer):
    first = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    second = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    decide(client, reviewer, first.application, "approve")
    decide(client, reviewer, second.application, "reject")

    client.force_login(second)
    home = client.get(reverse("experts:home")).content.decode()
    assert home.count('data-testid="sms-row"') == 1
    assert "审核不通过" in home.split('id="sms-title"')[1]
    assert first.real_name not in home


def test_unit_registration_sms_shows_on_the_units_pages(client, fake_twilio, reviewer):
    unit = factories.make_unit(UnitStatus.PENDING)
    client.force_login(reviewer)
    client.post(reverse("accounts:bureau_unit_approve", args=[unit.pk]), {"comment": ""})

    send_due()

    detail = client.get(reverse("accounts:bureau_unit_detail", args=[unit.pk]))
    assert sms_states(detail) == ["已发送"]
    client.force_login(factories.unit_account(unit))
    assert sms_states(client.get(reverse("accounts:unit_home"))) == ["已发送"]


def test_operators_resend_is_queued_and_audited(client, fake_twilio, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    fake_twilio.set_mode("invalid_number")
    decide(client, reviewer, applicant.application, "approve")
    send_due()
    message = SMSMessage.objects.get()
    assert message.status == SMSMessage.Status.FAILED
    sent = SMSMessage.objects.create(to="+8613812345678", body="【测试】已发", status="sent")
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)

    response = client.post(
        reverse("admin:sms_smsmessage_changelist"),
        {"action": "send_now", "_selected_action": [message.pk, sent.pk]},
        follow=True,
    )

    assert "已将1条短信重新排队" in response.content.decode()
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGE)
    assert [(e.username, e.object_type, e.object_id) for e in events] == [
        ("operator", "sms.smsmessage", str(message.pk))
    ]
    assert "重新发送：已重新排队，由短信队列发出" in events[0].detail
    fake_twilio.set_mode("ok")
    assert send_due()["sent"] == 1
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert len(fake_twilio.requests) == 2  # the failed attempt, then the resend; never `sent`


def test_the_operators_list_tells_one_message_from_the_next(client, db):
    """短信发送队列 shows what each message says, past the portal's name and the greeting,
    cut to a line; the number stays masked."""
    SMSMessage.objects.create(
        to="+8613812345678",
        body="【武汉市科技局专家入库系统】王芳您好，您的专家入库申请已审核通过，已入选市科技局专家库。",
    )
    SMSMessage.objects.create(
        to="+8613812345679", body="【武汉市科技局专家入库系统】李强您好，" + "长" * 60
    )
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)

    page = client.get(reverse("admin:sms_smsmessage_changelist")).content.decode()

    decided = "您的专家入库申请已审核通过，已入选市科技局专家库。"
    # 16 characters: the row leaves 最近错误 room to be read at 1,280 px (ops walk, item 6).
    assert decided[:15] + "…" in page
    assert "长" * 15 + "…" in page and "长" * 16 not in page
    assert "13812345678" not in page
