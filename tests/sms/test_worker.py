"""The request only writes the outbox row; the worker (send_queued_sms) sends it."""

import io
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.urls import reverse

from experts.models import ApplicationStatus
from sms import templates
from sms.backends import locmem
from sms.models import SMSMessage
from sms.outbox import queue_sms, send_due
from sms.worker import Waiter
from tests.factories import make_applicant
from tests.fake_twilio import fake_twilio

__all__ = ["fake_twilio"]  # the fixture, imported so that pytest finds it here


@pytest.mark.django_db(transaction=True)
def test_decision_request_does_not_call_the_provider(
    reference_data, fake_twilio, settings, client, unit, reviewer
):
    # Committed for real (transaction=True), so any after-commit hook runs during the POST.
    settings.SMS_TIMEOUT_SECONDS = 2.0
    fake_twilio.set_mode("hang")
    application = make_applicant(unit, status=ApplicationStatus.PENDING_BUREAU).application
    client.force_login(reviewer)

    started = time.perf_counter()
    response = client.post(reverse("experts:bureau_approve", args=[application.pk]), {})
    elapsed = time.perf_counter() - started
    print(f"decision POST with the provider hanging: {elapsed * 1000:.0f} ms")

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert fake_twilio.requests == []
    message = SMSMessage.objects.get()
    assert (message.status, message.attempts) == (SMSMessage.Status.QUEUED, 0)

    fake_twilio.set_mode("ok")
    assert send_due()["sent"] == 1  # the worker's pass sends it
    assert [r.form["To"] for r in fake_twilio.requests] == [application.mobile]


def test_decision_request_leaves_the_locmem_outbox_empty(settings, client, unit, reviewer):
    settings.SMS_BACKEND = "sms.backends.locmem.LocmemBackend"
    application = make_applicant(unit, status=ApplicationStatus.PENDING_BUREAU).application
    client.force_login(reviewer)
    locmem.outbox.clear()
    client.post(reverse("experts:bureau_approve", args=[application.pk]), {})
    assert locmem.outbox == []
    assert SMSMessage.objects.get().status == SMSMessage.Status.QUEUED
    out = io.StringIO()
    call_command("send_queued_sms", stdout=out)
    assert "sent=1" in out.getvalue()
    assert SMSMessage.objects.get().status == SMSMessage.Status.SENT
    assert [to for to, _ in locmem.outbox] == [application.mobile]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_listening_worker_wakes_when_a_message_is_committed_not_before():
    ready, woke = threading.Event(), {}

    def worker():
        try:
            waiter = Waiter()
            waiter.wait(30)  # the first call only starts listening
            ready.set()
            started = time.monotonic()
            waiter.wait(30)
            woke["after"] = time.monotonic() - started
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert ready.wait(5)
        with transaction.atomic():
            queue_sms("+8613812345678", templates.EXIT_CONFIRMED, {"name": "测试您好"})
            time.sleep(0.3)  # a worker woken by the uncommitted row would return meanwhile
            assert "after" not in woke
        thread.join(5)
        assert not thread.is_alive()
        assert woke["after"] < 5  # woken by the commit, not by the 30-second round
    finally:
        if thread.is_alive():
            queue_sms_committed()
            thread.join(35)


def queue_sms_committed() -> None:
    with transaction.atomic():
        queue_sms("+8613812345678", templates.EXIT_CONFIRMED, {"name": "测试唤醒"})
