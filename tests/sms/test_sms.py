"""Decision SMS through the real Twilio client, against a fake Twilio server on 127.0.0.1."""

import datetime
import io
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from experts.models import ApplicationStatus, ExpertApplication
from experts.services import approve_application, reject_application
from sms.backends import BaseBackend, SMSError, get_backend
from sms.backends.twilio import TwilioBackend
from sms.models import SMSMessage
from sms.outbox import Outcome, send_due
from tests.factories import make_applicant
from tests.fake_twilio import FROM_NUMBER, fake_twilio, unused_port

__all__ = ["fake_twilio"]  # the fixture, imported so that pytest finds it here


def pending_application(unit) -> ExpertApplication:
    return make_applicant(unit, status=ApplicationStatus.PENDING_BUREAU).application


def approve(application, reviewer, capture_on_commit) -> None:
    # The decision only queues the message (no send after commit); the worker's pass sends it.
    with capture_on_commit(execute=True):
        approve_application(application, reviewer)
    assert SMSMessage.objects.filter(status=SMSMessage.Status.QUEUED).exists()
    send_due()


def retry_due_messages() -> str:
    """The retry worker's single pass, as cron or the worker container runs it."""
    out = io.StringIO()
    call_command("send_queued_sms", stdout=out)
    return out.getvalue().strip()


def make_due(message: SMSMessage) -> None:
    """Let the backoff pass, as if the retry worker ran a while later."""
    SMSMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def assert_decision_stands(application: ExpertApplication) -> None:
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert list(application.history.values_list("action", "to_status")) == [
        ("approve", ApplicationStatus.APPROVED)
    ]


def assert_queued_for_retry(message: SMSMessage) -> None:
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.QUEUED
    assert message.attempts == 1
    assert message.last_error != ""
    assert message.next_attempt_at > timezone.now()
    assert message.provider_id == ""
    assert message.sent_at is None


def test_twilio_backend_sends_to_from_body_with_account_credentials(fake_twilio):
    backend = get_backend()

    provider_id = backend.send("+8613812345678", "【测试】您好")

    assert isinstance(backend, TwilioBackend)
    assert [(r.method, r.path) for r in fake_twilio.requests] == [
        ("POST", fake_twilio.messages_path)
    ]
    request = fake_twilio.requests[0]
    assert request.form == {"To": "+8613812345678", "From": FROM_NUMBER, "Body": "【测试】您好"}
    assert (request.user, request.password) == (fake_twilio.account_sid, fake_twilio.auth_token)
    assert provider_id == fake_twilio.issued_sids[0]
    assert provider_id.startswith("SM")


def test_bureau_approval_sends_one_sms_through_twilio(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    application = pending_application(unit)

    approve(application, reviewer, django_capture_on_commit_callbacks)

    message = SMSMessage.objects.get()
    assert [r.form["To"] for r in fake_twilio.requests] == [application.mobile]
    assert application.mobile.startswith("+86")
    form = fake_twilio.requests[0].form
    assert form["From"] == FROM_NUMBER
    assert application.user.real_name in form["Body"]
    assert "审核通过" in form["Body"]
    assert form["Body"] == message.body
    assert message.to == application.mobile
    assert message.status == SMSMessage.Status.SENT
    assert message.provider_id == fake_twilio.issued_sids[0]
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.last_error == ""


def test_approval_sms_stays_queued_when_twilio_answers_500(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_twilio.set_mode("error500")
    application = pending_application(unit)

    approve(application, reviewer, django_capture_on_commit_callbacks)

    assert_decision_stands(application)
    message = SMSMessage.objects.get()
    assert_queued_for_retry(message)
    assert "500" in message.last_error
    assert len(fake_twilio.requests) == 1


def test_retry_command_waits_for_the_backoff(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_twilio.set_mode("error500")
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    fake_twilio.set_mode("ok")

    output = retry_due_messages()

    assert output == "sent=0 not_sent=0 not_claimed=0 stale=0"
    assert len(fake_twilio.requests) == 1
    assert SMSMessage.objects.get().status == SMSMessage.Status.QUEUED


def test_retry_command_sends_sms_once_after_twilio_500(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_twilio.set_mode("error500")
    application = pending_application(unit)
    approve(application, reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()
    fake_twilio.set_mode("ok")
    make_due(message)

    first = retry_due_messages()
    second = retry_due_messages()

    assert first == "sent=1 not_sent=0 not_claimed=0 stale=0"
    assert second == "sent=0 not_sent=0 not_claimed=0 stale=0"
    # A 500 may come after Twilio took the message: the retry asks before it sends again.
    assert [r.method for r in fake_twilio.requests] == ["POST", "GET", "POST"]
    assert [r.form["To"] for r in fake_twilio.posts] == [application.mobile] * 2
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert message.attempts == 2
    assert message.provider_id == fake_twilio.issued_sids[0]
    assert message.last_error == ""
    assert_decision_stands(application)


def test_retry_command_marks_a_stale_claim_failed_without_sending(fake_twilio, db):
    # A sender died mid-send: Twilio may have the message, so it must not go out twice.
    claimed = timezone.now() - datetime.timedelta(minutes=11)
    message = SMSMessage.objects.create(to="+8613812345678", body="【测试】您好")
    SMSMessage.objects.filter(pk=message.pk).update(
        status=SMSMessage.Status.SENDING, attempts=1, claimed_at=claimed, next_attempt_at=claimed
    )

    output = retry_due_messages()

    assert output == "sent=0 not_sent=0 not_claimed=0 stale=1"
    assert fake_twilio.requests == []
    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.FAILED, True)
    assert message.last_error != ""


def test_approval_sms_stays_queued_when_twilio_refuses_connection(
    fake_twilio, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{unused_port()}"
    application = pending_application(unit)

    approve(application, reviewer, django_capture_on_commit_callbacks)

    assert_decision_stands(application)
    message = SMSMessage.objects.get()
    assert_queued_for_retry(message)
    assert "ConnectionError" in message.last_error
    assert fake_twilio.requests == []

    settings.TWILIO_API_BASE_URL = fake_twilio.base_url
    make_due(message)
    assert retry_due_messages() == "sent=1 not_sent=0 not_claimed=0 stale=0"
    assert retry_due_messages() == "sent=0 not_sent=0 not_claimed=0 stale=0"
    assert [r.form["To"] for r in fake_twilio.requests] == [application.mobile]
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert message.provider_id == fake_twilio.issued_sids[0]


def test_sms_taken_but_unanswered_is_found_at_twilio_not_sent_again(
    fake_twilio, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    # Twilio took the message but its answer never came: the retry asks Twilio first.
    settings.SMS_TIMEOUT_SECONDS = 0.5
    fake_twilio.set_mode("hang")
    application = pending_application(unit)

    started = time.monotonic()
    approve(application, reviewer, django_capture_on_commit_callbacks)
    elapsed = time.monotonic() - started

    assert 0.5 <= elapsed < 3
    assert_decision_stands(application)
    message = SMSMessage.objects.get()
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)
    assert "Timeout" in message.last_error
    fake_twilio.set_mode("ok")
    make_due(message)

    assert retry_due_messages() == "sent=1 not_sent=0 not_claimed=0 stale=0"
    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.SENT, False)
    assert message.provider_id == fake_twilio.accepted[0]["sid"]
    assert len(fake_twilio.posts) == 1  # found, not sent a second time
    assert len(fake_twilio.accepted) == 1


def test_sms_dropped_before_twilio_took_it_is_sent_once_on_retry(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_twilio.set_mode("drop")
    application = pending_application(unit)
    approve(application, reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)

    fake_twilio.set_mode("ok")
    make_due(message)
    assert retry_due_messages() == "sent=1 not_sent=0 not_claimed=0 stale=0"
    assert retry_due_messages() == "sent=0 not_sent=0 not_claimed=0 stale=0"
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert len(fake_twilio.accepted) == 1
    assert [r.form["To"] for r in fake_twilio.posts] == [application.mobile] * 2


def test_an_unsure_send_waits_while_twilio_cannot_be_asked(
    fake_twilio, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    settings.SMS_TIMEOUT_SECONDS = 0.5
    fake_twilio.set_mode("hang")
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()
    fake_twilio.set_mode("error500")  # Twilio down: neither asking nor sending works
    make_due(message)

    assert retry_due_messages() == "sent=0 not_sent=1 not_claimed=0 stale=0"
    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)
    assert "无法向短信服务商核实" in message.last_error
    assert len(fake_twilio.posts) == 1


def test_retry_command_keeps_going_when_twilio_still_fails(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_twilio.set_mode("error500")
    for _ in range(2):
        approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    for message in SMSMessage.objects.all():
        make_due(message)

    assert retry_due_messages() == "sent=0 not_sent=2 not_claimed=0 stale=0"
    assert len(fake_twilio.requests) == 4
    assert set(SMSMessage.objects.values_list("status", "attempts")) == {("queued", 2)}


def test_message_is_given_up_a_day_after_it_was_queued(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_twilio.set_mode("error500")
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()

    result = send_due(now=message.created_at + datetime.timedelta(hours=25))

    assert result["not_sent"] == 1
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.FAILED


def test_approval_sms_to_invalid_number_fails_for_good(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks, caplog
):
    fake_twilio.set_mode("invalid_number")
    application = pending_application(unit)

    approve(application, reviewer, django_capture_on_commit_callbacks)

    assert_decision_stands(application)
    message = SMSMessage.objects.get()
    assert message.status == SMSMessage.Status.FAILED
    assert message.attempts == 1
    assert "21211" in message.last_error
    # Twilio's error quotes the number: admin's list and the log show it masked (PIPL walk).
    digits = application.mobile.lstrip("+")
    assert digits not in message.last_error and f"****{digits[-4:]}" in message.last_error
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "21211" in logged and digits not in logged
    assert message.provider_id == ""

    fake_twilio.set_mode("ok")
    make_due(message)
    assert retry_due_messages() == "sent=0 not_sent=0 not_claimed=0 stale=0"
    assert len(fake_twilio.requests) == 1
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.FAILED


def test_wrong_twilio_credentials_keep_sms_queued(
    fake_twilio, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    # A configuration mistake an operator can fix: retrying later must stay possible.
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    application = pending_application(unit)

    approve(application, reviewer, django_capture_on_commit_callbacks)

    message = SMSMessage.objects.get()
    assert_queued_for_retry(message)
    assert "401" in message.last_error
    assert [r.password for r in fake_twilio.requests] == ["not-the-token"]


def test_wrong_twilio_credentials_are_named_as_such_and_the_queue_goes_out_once_fixed(
    client, fake_twilio, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    """Ops walk, item 1: a wrong token read 短信服务暂时不可用 everywhere, as an outage does."""
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)

    message = SMSMessage.objects.get()
    assert message.status == SMSMessage.Status.QUEUED
    assert message.failure_reason == "短信服务账号或密钥配置错误（Twilio 20003）"
    assert message.last_error == (
        "短信服务账号或密钥配置错误（Twilio 20003）：请核对 TWILIO_ACCOUNT_SID 和"
        " TWILIO_AUTH_TOKEN，改正并重启短信进程后，排队中的短信将自动发出。"
        "Twilio 401 20003: Unable to create record: Authenticate"
    )
    details = client.get("/healthz", {"details": "1"}).content.decode().splitlines()
    assert details[0] == "ok"
    assert (
        "sms: 待发送1条，最早一条已等待0分钟；最近一次未发出：短信服务账号或密钥配置错误"
        "（Twilio 20003）"
    ) in details

    settings.TWILIO_AUTH_TOKEN = fake_twilio.auth_token
    make_due(message)
    assert retry_due_messages() == "sent=1 not_sent=0 not_claimed=0 stale=0"
    message.refresh_from_db()
    assert (message.status, message.failure_reason) == (SMSMessage.Status.SENT, "")
    assert "sms: 没有待发送的短信" in client.get("/healthz", {"details": "1"}).content.decode()


def test_a_resend_of_a_message_older_than_a_day_gets_a_day_of_retries(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    """Ops walk, item 2: the day of retries counted from the message's creation, so a resend
    of a two-day-old message had a single try and failed again at the first outage."""
    from sms.outbox import requeue

    fake_twilio.set_mode("error500")
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    SMSMessage.objects.filter(pk=message.pk).update(
        created_at=two_days_ago, status=SMSMessage.Status.FAILED
    )

    requeue([message.pk])
    assert send_due()["not_sent"] == 1

    message.refresh_from_db()
    assert message.status == SMSMessage.Status.QUEUED  # retried, not given up
    assert message.requeued_at > two_days_ago
    # A day after the resend, it is given up again.
    send_due(now=message.requeued_at + datetime.timedelta(hours=25))
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.FAILED


def test_rolled_back_approval_leaves_no_sms_and_sends_nothing(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    application = pending_application(unit)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        approve_application(application, reviewer)
        assert SMSMessage.objects.count() == 1  # queued inside the decision's transaction
        raise RuntimeError("the decision's transaction fails after the approval")

    assert callbacks == []
    assert SMSMessage.objects.count() == 0
    assert fake_twilio.requests == []
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_BUREAU
    assert application.history.count() == 0


def test_delivering_one_message_twice_sends_once(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        approve_application(pending_application(unit), reviewer)
    message = SMSMessage.objects.get()

    first = send_due()
    second = send_due()

    assert (first[Outcome.SENT], second[Outcome.SENT]) == (1, 0)
    assert len(fake_twilio.requests) == 1
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert message.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_second_sender_does_not_send_a_message_claimed_mid_send(fake_twilio):
    # The first sender is held inside the Twilio request; the second must see the claim.
    message = SMSMessage.objects.create(to="+8613812345678", body="【测试】您好")
    fake_twilio.set_mode("hold")
    results = {}

    def first_sender():
        try:
            results["first"] = send_due()[Outcome.SENT]
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_sender)
    thread.start()
    try:
        assert fake_twilio.received.wait(5)
        assert SMSMessage.objects.get().status == SMSMessage.Status.SENDING
        results["second"] = send_due()[Outcome.SENT]  # claims nothing: it is being sent
        requests_while_held = len(fake_twilio.requests)
    finally:
        fake_twilio.release.set()
        thread.join(5)

    assert results == {"first": 1, "second": 0}
    assert requests_while_held == 1
    assert len(fake_twilio.requests) == 1
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert message.attempts == 1
    assert message.provider_id == fake_twilio.issued_sids[0]


def test_decision_sms_bodies_have_no_url_and_no_id_number(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    approved = pending_application(unit)
    rejected = pending_application(unit)
    id_numbers = [approved.user.id_number, rejected.user.id_number]

    approve(approved, reviewer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reject_application(rejected, reviewer, "研究方向与本次征集的专业领域不符。")
    send_due()

    bodies = [r.form["Body"] for r in fake_twilio.requests]
    assert [r.form["To"] for r in fake_twilio.requests] == [approved.mobile, rejected.mobile]
    assert "审核通过" in bodies[0]
    assert "审核不通过" in bodies[1]
    assert "研究方向与本次征集的专业领域不符" in bodies[1]
    assert all(id_number for id_number in id_numbers)
    for body in bodies:
        assert "http" not in body.lower()
        assert "www." not in body.lower()
        for id_number in id_numbers:
            assert id_number not in body
    assert sorted(SMSMessage.objects.values_list("body", flat=True)) == sorted(bodies)


def test_unreadable_twilio_answer_fails_for_good_and_the_decision_stands(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    # A 200 that is not Twilio's JSON: it may have gone out, so it is never sent a second time.
    fake_twilio.set_mode("not_json")
    application = pending_application(unit)

    approve(application, reviewer, django_capture_on_commit_callbacks)

    assert_decision_stands(application)
    message = SMSMessage.objects.get()
    assert message.status == SMSMessage.Status.FAILED
    assert "unreadable answer" in message.last_error
    make_due(message)
    assert retry_due_messages() == "sent=0 not_sent=0 not_claimed=0 stale=0"
    assert len(fake_twilio.requests) == 1


def test_send_due_at_a_later_moment_sends_what_is_due_by_then(
    fake_twilio, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_twilio.set_mode("error500")
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()
    fake_twilio.set_mode("ok")

    result = send_due(now=message.next_attempt_at + datetime.timedelta(seconds=1))

    assert result == {"sent": 1, "not_sent": 0, "not_claimed": 0, "stale": 0}
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT


class UnsureBackend(BaseBackend):
    """A provider that never answers and cannot be asked what it sent."""

    def send(self, to, body, **message):
        raise SMSError("no answer", unsure=True)


def test_an_unsure_send_is_left_for_an_operator_when_the_provider_cannot_be_asked(
    settings, unit, reviewer, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tests.sms.test_sms.UnsureBackend"
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()
    assert (message.status, message.needs_check) == (SMSMessage.Status.FAILED, True)


def test_an_operators_resend_of_a_flagged_message_sends_it_where_the_provider_cannot_be_asked(
    settings, unit, reviewer, django_capture_on_commit_callbacks
):
    # The console backend cannot be asked what it sent: the operator who queues a flagged
    # message again has checked it, and it goes out (it used to fail on find_sent).
    from sms.backends import locmem
    from sms.outbox import requeue

    settings.SMS_BACKEND = "tests.sms.test_sms.UnsureBackend"
    approve(pending_application(unit), reviewer, django_capture_on_commit_callbacks)
    message = SMSMessage.objects.get()
    settings.SMS_BACKEND = "tests.sms.test_sms.NoLookupBackend"

    requeue([message.pk])
    send_due()

    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.SENT, False)
    assert locmem.outbox == [(message.to, message.body)]


class NoLookupBackend(BaseBackend):
    """Sends (into locmem's outbox), and cannot be asked what it sent, like the console's."""

    def send(self, to, body, **message):
        from sms.backends import locmem

        locmem.outbox.append((to, body))
        return "sent-without-lookup"


@pytest.mark.parametrize(("debug", "shown"), [(True, "+8613812345678"), (False, "138****5678")])
def test_the_console_backend_masks_the_number_outside_development(settings, capsys, debug, shown):
    """With DEBUG off (a deployment before its provider is chosen, a restore drill) the
    console's output is a service's log that leaves the host: the number as admin shows it."""
    from sms.backends.console import ConsoleBackend

    settings.DEBUG = debug
    ConsoleBackend().send("+8613812345678", "您的申请已审核通过。")
    printed = capsys.readouterr().out
    assert f"[SMS to {shown}] 您的申请已审核通过。" in printed
    if not debug:
        assert "13812345678" not in printed
