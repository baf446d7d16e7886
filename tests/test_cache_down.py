"""Fault walk: with CACHE_URL's Redis down, most pages were a 500 (redis ConnectionError) while
/healthz said ok. Each test points Django's cache at a real address where nothing answers."""

import logging
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories

S = ApplicationStatus


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_at(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/1",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def cache_down(settings):
    port = closed_port()
    settings.CACHES = redis_at(port)
    return port


@pytest.fixture
def bureau(client, reviewer):
    client.force_login(reviewer)
    return client


def test_the_bureaus_pages_answer_without_the_cache(cache_down, bureau, unit, reference_data):
    pending = factories.make_applicant(unit, S.PENDING_BUREAU).application

    for name, args in [
        ("experts:bureau_queue", []),
        ("experts:bureau_detail", [pending.pk]),
        ("experts:pool", []),
        ("experts:statistics", []),
    ]:
        response = bureau.get(reverse(name, args=args))
        assert response.status_code == 200, name


def test_an_approval_without_the_cache_says_it_is_done(cache_down, bureau, unit, reference_data):
    """The decision, its SMS and its audit row were saved, then the cache's forgetting on commit
    answered a 500: the reviewer could not know it had worked."""
    pending = factories.make_applicant(unit, S.PENDING_BUREAU).application

    response = bureau.post(
        reverse("experts:bureau_approve", args=[pending.pk]), {"comment": ""}, follow=True
    )

    assert response.status_code == 200
    assert ExpertApplication.objects.get(pk=pending.pk).status == S.APPROVED
    assert SMSMessage.objects.filter(object_id=pending.pk).count() == 1


def test_a_bulk_decision_without_the_cache_goes_ahead_once(
    cache_down, bureau, unit, reference_data
):
    """The batch is claimed in the database, not the cache: confirmed twice, it runs once, and
    the second post shows its result."""
    chosen = [factories.make_applicant(unit, S.PENDING_BUREAU).application for _ in range(2)]
    shown = {"action": "approve", "ids": [a.pk for a in chosen]}
    page = bureau.get(reverse("experts:bureau_bulk"), shown, follow=True)
    assert page.status_code == 200
    token = re.search(r'name="batch" value="([^"]+)"', page.content.decode()).group(1)
    post = {**shown, "batch": token, "comment": ""}

    first = bureau.post(reverse("experts:bureau_bulk"), post, follow=True)
    again = bureau.post(reverse("experts:bureau_bulk"), post, follow=True)

    assert (first.status_code, again.status_code) == (200, 200)
    assert [ExpertApplication.objects.get(pk=a.pk).status for a in chosen] == [S.APPROVED] * 2
    assert SMSMessage.objects.filter(object_id__in=[a.pk for a in chosen]).count() == 2
    assert "该批次已处理，未重复执行" in again.content.decode()


def test_the_units_and_applicants_pages_answer_without_the_cache(
    cache_down, client, unit, reference_data
):
    factories.make_applicant(unit, S.PENDING_UNIT)
    client.force_login(factories.unit_account(unit))
    assert client.get(reverse("experts:unit_people")).status_code == 200

    client.force_login(factories.make_applicant(unit, S.DRAFT))
    assert client.get(reverse("experts:form")).status_code == 200


def test_the_public_pages_answer_without_the_cache(cache_down, client, settings, db):
    """Their per-address limits fail open: they only slow a script reading them in a loop."""
    settings.PUBLIC_NOTICE_RATE_LIMIT = 1
    settings.CERTIFICATE_VERIFY_LIMIT = 1
    for _ in range(3):
        assert client.get(reverse("notice:public")).status_code == 200
        verify = client.get(reverse("certificates:verify"), {"code": "ABCD-EFGH-JKLM"})
        assert verify.status_code == 200


def test_a_password_reset_without_the_cache_sends_the_mail(cache_down, client, unit):
    person = factories.make_applicant(unit)

    response = client.post(reverse("accounts:password_reset"), {"email": person.email})

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[person.email]]


def test_an_unreachable_cache_logs_one_warning_a_minute(
    cache_down, bureau, unit, reference_data, caplog
):
    """A page uses the cache several times; the log gets one line, not one per use."""
    caplog.set_level(logging.WARNING, logger="portal.caching")

    assert bureau.get(reverse("experts:pool")).status_code == 200
    assert bureau.get(reverse("experts:statistics")).status_code == 200

    warnings = [r for r in caplog.records if r.name == "portal.caching"]
    assert len(warnings) == 1
    assert f"127.0.0.1:{cache_down}" in warnings[0].getMessage()


def test_healthz_details_say_503_when_the_cache_does_not_answer(cache_down, client, db):
    """Pages answer without the cache, so the plain probe a balancer routes on stays 200 (one
    shared cache down would otherwise take every node out at once); the operator's details
    say it, with a 503 to alert on."""
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")

    details = client.get("/healthz", {"details": "1"})
    lines = details.content.decode().splitlines()
    assert details.status_code == 503
    assert lines[0] == "cache unavailable"
    assert lines[-1] == f"cache: RedisCache redis://127.0.0.1:{cache_down}/1 未响应"


def test_healthz_details_name_a_cache_that_answers(client, db):
    body = client.get("/healthz", {"details": "1"}).content.decode()
    assert body.splitlines()[0] == "ok"
    assert body.splitlines()[-1] == "cache: LocMemCache"


def test_a_redis_that_accepts_and_never_answers_holds_a_request_a_second_or_two(tmp_path):
    """CACHE_URL's own settings (portal.settings) give Redis short socket timeouts: a cache
    host cut off without a refusal does not hold a request for the system's TCP timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes each connection; nothing ever reads or answers
        port = silent.getsockname()[1]
        # Timed inside: starting Django on a busy machine takes seconds of its own.
        script = (
            "import time, django; django.setup(); from portal import caching; "
            "started = time.monotonic(); print(caching.reachable()); "
            "print(time.monotonic() - started)"
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'healthz.sqlite3'}",
                "CACHE_URL": f"redis://127.0.0.1:{port}/1",
                "ALLOWED_HOSTS": "testserver",
            },
            timeout=60,
        )

    answer, elapsed = result.stdout.strip().splitlines()
    assert answer == "False", result.stderr
    assert float(elapsed) < 5  # the one-second socket timeout, not the system's TCP timeout
