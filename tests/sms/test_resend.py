"""Admin's 重新发送 of a message that may have gone out asks Twilio first (fault walk, item 1).

Two outcomes left a message 发送失败 with "是否已送达待核实" in its error but without the
待核实是否已发送 flag, so admin's filter missed them and 重新发送 sent them a second time: a
sender killed mid-send (its claim goes stale) and a 2xx answer that is not Twilio's JSON.
Both are driven here through the real twilio client against the fake Twilio on 127.0.0.1.
"""

import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from experts.models import ApplicationStatus
from experts.services import approve_application
from sms.models import SMSMessage
from sms.outbox import send_due
from tests import factories
from tests.fake_twilio import fake_twilio

__all__ = ["fake_twilio"]  # the fixture, imported so that pytest finds it here

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()


def resend_from_admin(client, message: SMSMessage) -> str:
    """An operator finds the message under 待核实是否已发送 = 是 and runs 重新发送."""
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)
    changelist = reverse("admin:sms_smsmessage_changelist")
    flagged = client.get(changelist, {"needs_check__exact": "1"})
    assert [m.pk for m in flagged.context["cl"].result_list] == [message.pk]
    response = client.post(
        changelist, {"action": "send_now", "_selected_action": [message.pk]}, follow=True
    )
    return response.content.decode()


def assert_found_not_sent_again(fake_twilio, message: SMSMessage) -> None:
    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.SENT, False)
    assert message.provider_id == fake_twilio.accepted[0]["sid"]
    assert len(fake_twilio.posts) == 1  # the first send only: the resend found it
    assert len(fake_twilio.accepted) == 1  # one SMS reached the person


def test_a_2xx_answer_that_is_not_json_is_flagged_and_the_resend_asks_twilio_first(
    client, fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    fake_twilio.set_mode("not_json")  # a proxy's page after Twilio took the message
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(application, reviewer)
    send_due()
    message = SMSMessage.objects.get()
    assert (message.status, message.needs_check) == (SMSMessage.Status.FAILED, True)
    assert message.failure_reason == "短信服务商的回复无法识别，是否已送达待核实"
    fake_twilio.set_mode("ok")

    page = resend_from_admin(client, message)
    send_due()

    assert "已将1条短信重新排队" in page
    assert_found_not_sent_again(fake_twilio, message)
    assert [r.method for r in fake_twilio.requests] == ["POST", "GET"]


def test_a_gateway_timeout_after_twilio_took_the_message_is_not_sent_again(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    fake_twilio.set_mode("gateway_timeout")
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(application, reviewer)
    send_due()
    message = SMSMessage.objects.get()
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)
    fake_twilio.set_mode("ok")

    send_due(now=message.next_attempt_at + datetime.timedelta(seconds=1))

    assert_found_not_sent_again(fake_twilio, message)


@pytest.mark.postgres  # a real worker process, killed, on the test database it shares
@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_send_leaves_a_flagged_message_the_resend_finds_at_twilio(
    client, fake_twilio, reference_data, unit, reviewer
):
    """The walk's case (a): `send_queued_sms` killed while Twilio had its request."""
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    approve_application(application, reviewer)  # committed: the worker process sees it
    fake_twilio.set_mode("hold")  # the request arrives and waits for Twilio's answer
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "SMS_BACKEND": "sms.backends.twilio.TwilioBackend",
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "send_queued_sms"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert fake_twilio.received.wait(30), "the worker never reached Twilio"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    fake_twilio.release.set()  # Twilio takes the message; its answer reaches nobody
    fake_twilio.set_mode("ok")
    message = SMSMessage.objects.get()
    assert message.status == SMSMessage.Status.SENDING

    # The next worker's pass, past the claim's staleness: failed, for an operator to settle.
    result = send_due(now=timezone.now() + datetime.timedelta(minutes=11))

    assert result["stale"] == 1
    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.FAILED, True)
    assert message.failure_reason == "发送过程中断，是否已送达待核实"
    assert len(fake_twilio.accepted) == 1

    resend_from_admin(client, message)
    send_due()

    assert_found_not_sent_again(fake_twilio, message)
