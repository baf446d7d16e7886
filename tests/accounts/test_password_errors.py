"""Wherever a person sets a password (修改密码, 找回密码's new password, both registrations, an
operator's 增加用户 and 修改密码 in admin), a rule the password breaks is said under the box it was
typed in (新密码 / 密码), and the confirmation box says only that the two differ."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from tests import factories
from tests.accounts.test_registration import individual_data, unit_data

pytestmark = pytest.mark.django_db

WEAK = "12345678"  # common, all digits, one kind of character
STRONG = "New#Secret2026"
OTHER = "Other#Secret2026"
MISMATCH = ["两次输入的密码不一致。"]
RULES = [
    "密码过于常见。",
    "密码只包含数字。",
    "密码须包含大写字母、小写字母、数字、符号中的至少3种。",
]


def errors_under(response, field: str) -> list[str]:
    """The error texts the page prints under the box `field`, as a person sees them."""
    html = response.content.decode()
    box = re.search(rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', html, re.S)
    return re.findall(r"<strong>(.*?)</strong>", box.group(1)) if box else []


@pytest.fixture
def applicant(unit):
    return factories.make_applicant(unit)


@pytest.fixture
def signed_in(applicant):
    client = Client()
    client.force_login(applicant)
    return client


def change(client, new1, new2):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": factories.PASSWORD, "new_password1": new1, "new_password2": new2},
    )


def test_a_weak_new_password_is_refused_under_the_new_password(signed_in):
    response = change(signed_in, WEAK, WEAK)

    assert response.status_code == 200
    assert errors_under(response, "new_password1") == RULES
    assert errors_under(response, "new_password2") == []


def test_two_different_new_passwords_are_refused_under_the_confirmation_only(signed_in):
    response = change(signed_in, STRONG, OTHER)

    assert errors_under(response, "new_password1") == []
    assert errors_under(response, "new_password2") == MISMATCH


def test_a_weak_password_typed_twice_differently_gets_each_error_in_its_box(signed_in):
    response = change(signed_in, WEAK, OTHER)

    assert errors_under(response, "new_password1") == RULES
    assert errors_under(response, "new_password2") == MISMATCH


def test_a_password_like_the_username_is_refused_under_the_new_password(signed_in, applicant):
    response = change(signed_in, f"{applicant.username}#A1", f"{applicant.username}#A1")

    assert "密码不能包含用户名。" in errors_under(response, "new_password1")
    assert errors_under(response, "new_password2") == []


def test_a_good_new_password_is_still_changed(signed_in, applicant):
    response = change(signed_in, STRONG, STRONG)

    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password(STRONG)


def reset_page(applicant) -> tuple[Client, str]:
    """The client on 找回密码's new-password page, reached from the e-mail's link."""
    client = Client()
    link = reverse(
        "accounts:password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(applicant.pk)),
            default_token_generator.make_token(applicant),
        ],
    )
    page = client.get(link)
    assert page.status_code == 302  # to the same page without the token in its address
    return client, page["Location"]


def test_the_reset_refuses_a_weak_password_under_the_new_password(applicant):
    client, url = reset_page(applicant)

    weak = client.post(url, {"new_password1": WEAK, "new_password2": WEAK})
    different = client.post(url, {"new_password1": STRONG, "new_password2": OTHER})

    assert errors_under(weak, "new_password1") == RULES
    assert errors_under(weak, "new_password2") == []
    assert errors_under(different, "new_password1") == []
    assert errors_under(different, "new_password2") == MISMATCH


def test_the_reset_still_sets_a_good_password(applicant):
    client, url = reset_page(applicant)

    response = client.post(url, {"new_password1": STRONG, "new_password2": STRONG})

    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password(STRONG)


@pytest.mark.parametrize("kind", ["individual", "unit"])
def test_registration_refuses_a_weak_password_under_the_password(client, unit, kind):
    url = reverse(f"accounts:register_{kind}")
    data = individual_data(unit) if kind == "individual" else unit_data()

    weak = client.post(url, {**data, "password1": WEAK, "password2": WEAK})
    data = individual_data(unit) if kind == "individual" else unit_data()
    different = client.post(url, {**data, "password1": STRONG, "password2": OTHER})

    # The rules under 密码 alone; the other box, emptied by the error, asks only to be typed
    # again (accounts.forms.ReenterMixin).
    assert errors_under(weak, "password1") == RULES
    assert errors_under(weak, "password2") == ["请重新输入确认密码。"]
    assert errors_under(different, "password1") == ["请重新输入密码。"]
    assert errors_under(different, "password2") == MISMATCH
    assert not User.objects.filter(username=data["username"]).exists()


def test_registration_refuses_a_password_like_the_username_in_formal_chinese(client, unit):
    """Django's zh-hans message for this rule read "密码跟 用户名 太相似了。"."""
    # Like the username without containing it, so that only the similarity rule refuses it.
    like_username = "Wangwu#2O26"
    data = individual_data(unit, username="wangwu2026", email="w@example.com")

    response = client.post(
        reverse("accounts:register_individual"),
        {**data, "password1": like_username, "password2": like_username},
    )

    assert errors_under(response, "password1") == ["密码与用户名过于相似。"]
    assert not User.objects.filter(username="wangwu2026").exists()


def test_the_new_password_check_keeps_the_passwords_out_of_error_reports():
    """As Django's own checks: a DEBUG error report shows ******** for them."""
    from accounts.forms import NewPasswordMixin

    assert NewPasswordMixin.clean.sensitive_variables == ("password", "confirmation")


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return client


def admin_errors(response) -> dict:
    """The errors of the admin page's form, by field, as the page prints them beside each."""
    assert response.status_code == 200
    # The add page's context names it adminform, the password page's adminForm.
    context = response.context
    form = (context.get("adminform") or context.get("adminForm")).form
    return {name: list(errors) for name, errors in form.errors.items()}


@pytest.mark.parametrize("page", ["add", "password"])
def test_the_admins_password_forms_say_a_broken_rule_under_the_password(operator, applicant, page):
    """Django's admin checks the rules against 密码确认 and says them there."""
    if page == "add":
        url = reverse("admin:accounts_user_add")
        data = {"username": "newclerk", "usable_password": "true"}
    else:
        url = reverse("admin:auth_user_password_change", args=[applicant.pk])
        data = {"usable_password": "true"}
    password_before = User.objects.get(pk=applicant.pk).password

    weak = operator.post(url, {**data, "password1": WEAK, "password2": WEAK})
    different = operator.post(url, {**data, "password1": STRONG, "password2": OTHER})

    assert admin_errors(weak) == {"password1": RULES}
    assert admin_errors(different) == {"password2": MISMATCH}
    assert not User.objects.filter(username="newclerk").exists()
    assert User.objects.get(pk=applicant.pk).password == password_before


def test_the_admins_password_form_still_sets_a_good_password(operator, applicant):
    url = reverse("admin:auth_user_password_change", args=[applicant.pk])

    response = operator.post(
        url, {"usable_password": "true", "password1": STRONG, "password2": STRONG}
    )

    assert response.status_code == 302
    assert User.objects.get(pk=applicant.pk).check_password(STRONG)
