"""A username is one account whatever its case (phone walk, defect 1): a phone's keyboard wrote
Phonewalk at registration, and its owner types phonewalk at the login page."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import lockout
from accounts.models import LoginFailure, User
from experts.models import ApplicationStatus
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db

WRONG = "Wrong#Pass2026"


def post_login(client, username, password=factories.PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def named(unit, username: str) -> User:
    user = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    User.objects.filter(pk=user.pk).update(username=username)
    user.refresh_from_db()
    return user


def signed_in_as(client) -> str:
    return User.objects.get(pk=client.session["_auth_user_id"]).username


@pytest.mark.parametrize("typed", ["phonewalk", "PHONEWALK"])
def test_a_username_registered_with_a_capital_logs_in_in_any_case(unit, typed):
    named(unit, "Phonewalk")
    client = Client()

    response = post_login(client, typed)

    assert response.status_code == 302
    assert signed_in_as(client) == "Phonewalk"


def test_of_two_older_accounts_differing_only_in_case_the_exact_name_logs_in(unit):
    upper, lower = named(unit, "Twin"), named(unit, "twin")
    lower.set_password("Other#Pass2026")
    lower.save()
    named(unit, "Solo")

    exact_upper, exact_lower, neither, solo = Client(), Client(), Client(), Client()
    assert post_login(exact_upper, "Twin").status_code == 302
    assert post_login(exact_lower, "twin", "Other#Pass2026").status_code == 302
    assert post_login(solo, "SOLO").status_code == 302
    # Neither name exactly: which account is meant cannot be told, so none is (no 500).
    refused = post_login(neither, "TWIN")

    assert signed_in_as(exact_upper) == upper.username
    assert signed_in_as(exact_lower) == lower.username
    assert signed_in_as(solo) == "Solo"
    assert refused.status_code == 200
    assert "用户名或密码错误" in refused.content.decode()


def test_failures_in_any_case_count_toward_one_lock(unit):
    named(unit, "Phonewalk")
    client = Client()
    for typed in ["Phonewalk", "PHONEWALK", "phonewalk", "pHONEWALK"]:
        assert post_login(client, typed, WRONG).status_code == 200

    fifth = post_login(client, "PhoneWalk", WRONG)
    right_password = post_login(client, "phonewalk")

    assert fifth.status_code == 429
    assert right_password.status_code == 429
    assert set(LoginFailure.objects.values_list("username", flat=True)) == {"phonewalk"}


def test_a_locked_name_is_unlocked_whatever_case_locked_it(unit):
    named(unit, "Phonewalk")
    client = Client()
    for _ in range(5):
        post_login(client, "PHONEWALK", WRONG)
    assert post_login(client, "phonewalk").status_code == 429

    # What 找回密码 and the operators' action call, with the account's own name.
    assert lockout.unlock("Phonewalk", why="本人找回密码") is True

    assert post_login(client, "phonewalk").status_code == 302


def test_the_account_lock_sms_names_the_account_as_registered(unit):
    user = named(unit, "Phonewalk")

    lockout.lock_account("phonewalk", timezone.now())

    assert post_login(Client(), "PHONEWALK").status_code == 429
    sms = SMSMessage.objects.get()
    assert sms.to == user.mobile
    assert "您的账号Phonewalk因多次登录失败已被锁定" in sms.body


def test_the_registration_username_is_typed_as_it_is(client):
    page = client.get(reverse("accounts:register_individual")).content.decode()
    login = client.get(reverse("accounts:login")).content.decode()

    for html in (page, login):
        field = re.search(r'<input [^>]*name="username"[^>]*>', html).group(0)
        assert 'autocapitalize="none"' in field
        assert 'autocorrect="off"' in field
        assert 'spellcheck="false"' in field
        assert 'autocomplete="username"' in field


# Admin


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


CASE_TWIN = "已有账号使用该用户名（用户名不区分大小写），请换一个。"


def test_admin_refuses_to_create_a_username_differing_only_in_case(client, operator, unit):
    named(unit, "Phonewalk")

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "phonewalk",
            "usable_password": "true",
            "password1": "Fresh#Pass2026",
            "password2": "Fresh#Pass2026",
        },
    )

    assert response.context["adminform"].form.errors["username"] == [CASE_TWIN]
    assert not User.objects.filter(username="phonewalk").exists()


def change_data(client, user, username: str) -> dict:
    """What the admin change page of `user` posts back, with another username."""
    form = (
        client.get(reverse("admin:accounts_user_change", args=[user.pk])).context["adminform"].form
    )
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(groups=[], user_permissions=[], username=username)
    return data


def test_admin_refuses_to_rename_to_a_username_differing_only_in_case(client, operator, unit):
    user = named(unit, "Phonewalk")
    other = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    other_url = reverse("admin:accounts_user_change", args=[other.pk])
    own_url = reverse("admin:accounts_user_change", args=[user.pk])

    refused = client.post(other_url, change_data(client, other, "PHONEWALK"))
    # The account's own name in another case is no twin of it.
    kept = client.post(own_url, change_data(client, user, "phonewalk"))

    assert refused.context["adminform"].form.errors["username"] == [CASE_TWIN]
    assert kept.status_code == 302
    other.refresh_from_db()
    user.refresh_from_db()
    assert other.username != "PHONEWALK"
    assert user.username == "phonewalk"
