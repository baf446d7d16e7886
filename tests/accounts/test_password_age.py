"""身份鉴别's 定期更换 (MLPS 2.0 level 3): a reviewer's, an operator's or a unit account's password
lasts PASSWORD_MAX_AGE_DAYS, one an operator set in admin is changed at its owner's next
sign-in, and a new password is none of the last five. Applicants are exempt from the age."""

import datetime
import itertools

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import PasswordHistory, User
from audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

NEW = "New#Secret2026"
EXPIRED = "您的密码已使用超过90天，请修改密码后继续使用。"
SET_BY_OPERATOR = "您的密码由运维人员设置，请修改为只有您自己知道的新密码后继续使用。"


def age(user: User, days: int) -> User:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=days)
    )
    user.refresh_from_db()
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change(client, old, new, **query):
    url = reverse("accounts:password_change")
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return client.post(url, {"old_password": old, "new_password1": new, "new_password2": new})


def owed_redirect(path: str) -> str:
    return f"{reverse('accounts:password_change')}?next={path.replace('/', '%2F')}"


@pytest.fixture
def applicant(unit):
    return factories.make_applicant(unit)


def test_a_reviewers_password_older_than_90_days_allows_only_the_change(reviewer):
    client = signed_in(age(reviewer, 91))

    response = client.get(reverse("experts:bureau_queue"))

    assert response.status_code == 302
    assert response.url == owed_redirect(reverse("experts:bureau_queue"))
    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["owed_reason"] == EXPIRED
    assert EXPIRED in page.content.decode()


def test_a_reviewers_password_of_89_days_is_not_asked_for(reviewer):
    client = signed_in(age(reviewer, 89))

    assert client.get(reverse("experts:bureau_queue")).status_code == 200


def test_a_unit_accounts_old_password_is_asked_for(unit):
    client = signed_in(age(factories.unit_account(unit), 91))

    response = client.get(reverse("accounts:unit_home"))

    assert response.url == owed_redirect(reverse("accounts:unit_home"))


def test_an_applicants_old_password_never_expires(applicant):
    client = signed_in(age(applicant, 400))

    assert client.get(reverse("experts:home")).status_code == 200


def test_max_age_zero_turns_the_rule_off(reviewer, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    client = signed_in(age(reviewer, 400))

    assert client.get(reverse("experts:bureau_queue")).status_code == 200


def test_the_expired_change_goes_on_to_the_page_asked_for_and_is_audited_as_owed(reviewer):
    client = signed_in(age(reviewer, 91))
    queue = reverse("experts:bureau_queue")

    response = change(client, factories.PASSWORD, NEW, next=queue)

    assert (response.status_code, response.url) == (302, queue)
    assert client.get(queue).status_code == 200
    reviewer.refresh_from_db()
    assert timezone.now() - reviewer.password_changed_at < datetime.timedelta(minutes=1)
    row = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_CHANGED)
    assert row.detail == "密码已使用超过90天，按要求修改"


def test_a_reset_restarts_the_age(unit, client):
    account = age(factories.unit_account(unit), 91)
    account.email = unit.email
    account.save(update_fields=["email"])
    client.post(reverse("accounts:password_reset"), {"email": unit.email})
    link = mail.outbox[-1].body.split("http://testserver", 1)[1].split()[0]
    form = client.get(link, follow=True)

    client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})

    account.refresh_from_db()
    assert account.check_password(NEW)
    assert timezone.now() - account.password_changed_at < datetime.timedelta(minutes=1)


def test_a_password_an_operator_sets_is_changed_at_the_next_sign_in(applicant):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    admin = signed_in(operator)

    admin.post(
        reverse("admin:auth_user_password_change", args=[applicant.pk]),
        {"password1": "Temp#Pass2026", "password2": "Temp#Pass2026"},
    )

    applicant.refresh_from_db()
    assert applicant.check_password("Temp#Pass2026") and applicant.password_must_change
    client = signed_in(applicant)  # an applicant: no age rule, still owes this change
    response = client.get(reverse("experts:home"))
    assert response.url == owed_redirect(reverse("experts:home"))
    assert client.get(response.url).context["owed_reason"] == SET_BY_OPERATOR

    change(client, "Temp#Pass2026", NEW)

    applicant.refresh_from_db()
    assert not applicant.password_must_change
    assert client.get(reverse("experts:home")).status_code == 200
    row = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_CHANGED)
    assert row.detail == "运维人员设置的密码，按要求修改"


def test_an_account_an_operator_adds_changes_its_password_at_the_first_sign_in(db):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)

    signed_in(operator).post(
        reverse("admin:accounts_user_add"),
        {"username": "newreviewer", "password1": "Temp#Pass2026", "password2": "Temp#Pass2026"},
    )

    assert User.objects.get(username="newreviewer").password_must_change


def test_the_last_five_passwords_are_refused_and_an_older_one_is_not(applicant):
    client = signed_in(applicant)
    used = [factories.PASSWORD] + [f"Step#{n}Pass2026" for n in range(1, 6)]
    for old, new in itertools.pairwise(used):
        assert change(client, old, new).status_code == 302

    refused = change(client, used[-1], used[1])
    accepted = change(client, used[-1], used[0])

    assert refused.context["form"].errors["new_password1"] == [
        "新密码不能与最近5次使用过的密码相同。"
    ]
    assert accepted.status_code == 302
    hashes = PasswordHistory.objects.filter(user=applicant).values_list("password", flat=True)
    assert len(hashes) == 5
    assert not any(used[0] in hashed for hashed in hashes)  # hashes, never a password
    assert check_password(used[0], hashes[0])


def test_the_current_password_is_named_as_the_current_one(applicant):
    response = change(signed_in(applicant), factories.PASSWORD, factories.PASSWORD)

    assert response.context["form"].errors["new_password1"] == ["新密码不能与当前密码相同。"]


def test_a_negative_max_age_is_refused():
    from tests.test_settings import run_manage

    result = run_manage(
        "check", PASSWORD_MAX_AGE_DAYS="-1", DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3"
    )

    assert result.returncode != 0
    assert "PASSWORD_MAX_AGE_DAYS must be 0 (off) or more days" in result.stderr


def sign_in(user: User):
    return Client().post(
        reverse("accounts:login"),
        {"username": user.username, "password": factories.PASSWORD},
        follow=True,
    )


@pytest.mark.parametrize(("days", "told"), [(60, False), (75, False), (77, True), (89, True)])
def test_a_unit_is_told_at_sign_in_when_its_password_expires_within_14_days(unit, days, told):
    account = age(factories.unit_account(unit), days)

    page = sign_in(account).content.decode()

    assert ("您的密码将于" in page) is told
    if told:
        assert f"（还有{90 - days - 1}天）" in page
        assert "请及时点击“修改密码”修改" in page
    assert EXPIRED not in page  # not yet the owed step


def test_an_applicant_is_never_told_of_an_expiry(unit):
    applicant = age(factories.make_applicant(unit), 85)

    assert "您的密码将于" not in sign_in(applicant).content.decode()
