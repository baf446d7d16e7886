"""The 429 page of a slowed address names a clock time, as the lock pages do (docs/security.md)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import ADDRESS_FAILURE_LIMIT, address_delay
from accounts.models import LoginFailure

pytestmark = pytest.mark.django_db


def test_a_slowed_address_is_told_the_minute_to_try_again_at():
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        LoginFailure(username=f"spray{n}", ip="198.51.100.90", at=now)
        # Far enough past the limit that the wait (a minute) outlasts a slow test machine.
        for n in range(ADDRESS_FAILURE_LIMIT + 7)
    )

    response = Client(REMOTE_ADDR="198.51.100.90").post(
        reverse("accounts:login"), {"username": "someone", "password": "Any#Pass2026"}
    )

    assert response.status_code == 429
    page = response.content.decode()
    # The wait is a minute after the last failure; the page names the minute after it ends.
    ends = timezone.localtime(
        now + datetime.timedelta(seconds=address_delay(ADDRESS_FAILURE_LIMIT + 7))
    )
    next_minute = ends.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    assert f">{next_minute:%H:%M}</strong> 之后再次登录" in page
    assert "秒" not in page
