"""/healthz?details names the SMS that failed in the last day (fault walk, item 2): with Twilio
refusing every send (a wrong TWILIO_FROM_NUMBER), 20 of 20 failed while it said only
"没有待发送的短信"."""

import datetime

from django.utils import timezone

from sms import templates
from sms.models import SMSMessage
from sms.outbox import queue_sms, send_due
from tests.fake_twilio import fake_twilio

__all__ = ["fake_twilio"]  # the fixture, imported so that pytest finds it here


def details(client) -> list[str]:
    response = client.get("/healthz", {"details": "1"})
    assert response.status_code == 200
    return response.content.decode().splitlines()


def test_healthz_details_count_the_sms_twilio_refused_in_the_last_day(client, fake_twilio, db):
    fake_twilio.set_mode("invalid_number")  # 400 on every send
    for i in range(3):
        queue_sms(f"+861380000000{i}", templates.EXIT_CONFIRMED, {"name": "测试您好"})
    old = SMSMessage.objects.create(to="+8613800000009", body="旧", status="failed")
    SMSMessage.objects.filter(pk=old.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert "sms-failed-24h: 0" in details(client)

    send_due()

    assert SMSMessage.objects.filter(status=SMSMessage.Status.FAILED).count() == 4
    lines = details(client)
    assert "sms: 没有待发送的短信" in lines  # nothing waits: every one failed at once
    assert (
        "sms-failed-24h: 3（最近24小时发送失败3条；最近一次：手机号码无效或无法接收短信）" in lines
    )
    assert client.get("/healthz").content == b"ok\n"  # a probe reads nothing more


def test_healthz_details_say_how_many_failed_sms_may_have_gone_out(client, fake_twilio, db):
    fake_twilio.set_mode("not_json")
    queue_sms("+8613800000001", templates.EXIT_CONFIRMED, {"name": "测试您好"})
    queue_sms("+8613800000002", templates.EXIT_CONFIRMED, {"name": "测试再见"})

    send_due()

    assert (
        "sms-failed-24h: 2（最近24小时发送失败2条，其中2条是否已送达待核实；"
        "最近一次：短信服务商的回复无法识别，是否已送达待核实）"
    ) in details(client)
    # The number and the provider's own text stay off this unauthenticated page.
    assert "13800000001" not in "\n".join(details(client))
