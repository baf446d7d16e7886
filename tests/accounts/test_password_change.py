"""修改密码 checks the current password: a wrong 旧密码 is a failed login of the account, under
the lockout rules (accounts.lockout) and in the audit trail."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import lockout
from accounts.models import LoginFailure
from audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

NEW = "New#Secret2026"
WRONG = "Wrong#Pass2026"


def change_password(client, old, **extra):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": NEW, "new_password2": NEW},
        **extra,
    )


@pytest.fixture
def applicant(unit):
    return factories.make_applicant(unit)


@pytest.fixture
def client_of(applicant):
    client = Client()
    client.force_login(applicant)
    return client


def test_a_wrong_old_password_counts_and_is_audited_as_a_failed_login(client_of, applicant):
    response = change_password(client_of, WRONG)

    assert response.status_code == 200
    assert "旧密码不正确" in " ".join(response.context["form"].errors["old_password"])
    assert LoginFailure.objects.filter(username=applicant.username).count() == 1
    assert AccessAttempt.objects.get(username=applicant.username).failures_since_start == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert (event.username, event.result, event.ip) == (
        applicant.username,
        AuditEvent.Result.FAILURE,
        "127.0.0.1",
    )
    assert event.detail == "修改密码时旧密码不正确"


def test_the_fifth_wrong_old_password_locks_the_pair_and_ends_the_session(client_of, applicant):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert change_password(client_of, WRONG).status_code == 200

    response = change_password(client_of, WRONG)

    assert response.status_code == 429
    assert "已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client_of.session
    # Logged in again, the right old password is refused while the pair is locked.
    client_of.force_login(applicant)
    refused = change_password(client_of, factories.PASSWORD)
    assert refused.status_code == 429
    applicant.refresh_from_db()
    assert applicant.check_password(factories.PASSWORD)


def test_a_locked_account_refuses_the_change_even_with_the_right_old_password(client_of, applicant):
    lockout.lock_account(applicant.username, timezone.now())

    response = change_password(client_of, factories.PASSWORD)

    assert response.status_code == 429
    assert "该账号登录失败次数过多，已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client_of.session
    applicant.refresh_from_db()
    assert applicant.check_password(factories.PASSWORD)
    # Refused before the check: no further failure is counted.
    assert LoginFailure.objects.filter(username=applicant.username).count() == 0


def test_a_posted_username_cannot_turn_the_lock_check_on_someone_else(client_of, applicant):
    # The page is the signed-in person's: whatever username the POST adds, their locks apply.
    lockout.lock_account(applicant.username, timezone.now())

    response = client_of.post(
        reverse("accounts:password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": NEW,
            "new_password2": NEW,
            settings.AXES_USERNAME_FORM_FIELD: "nobody-else",
        },
    )

    assert response.status_code == 429
    applicant.refresh_from_db()
    assert applicant.check_password(factories.PASSWORD)


def test_the_wrong_old_password_that_reaches_the_account_limit_locks_the_account(
    client_of, applicant
):
    earlier = timezone.now()
    LoginFailure.objects.bulk_create(
        LoginFailure(username=applicant.username, ip=f"198.51.100.{n}", at=earlier)
        for n in range(lockout.ACCOUNT_FAILURE_LIMIT - 1)
    )

    response = change_password(client_of, WRONG)

    assert response.status_code == 429
    assert "该账号登录失败次数过多，已被锁定" in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOCKED_OUT, username=applicant.username
    ).exists()


def test_the_right_old_password_changes_it_and_counts_nothing(client_of, applicant):
    response = change_password(client_of, factories.PASSWORD)

    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password(NEW)
    assert not LoginFailure.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).exists()
