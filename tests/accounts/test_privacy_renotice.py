"""A changed 个人信息保护说明 is shown again (PIPL art. 17): after login, anyone whose agreed
version is not the current one (or who agreed to none: an account older than the notice) reaches
no page but the notice and 我已阅读并同意, except leaving, the notice itself and securing the
account; agreeing records the version, the time and an audit row, and goes on to the page they
asked for when it is one of this site's."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from audit.models import AuditEvent
from portal import privacy
from tests import factories
from tests.accounts.test_authentication import log_in_with_password

pytestmark = pytest.mark.django_db

AGREE_URL = "/privacy/agree/"
AGREED_AT = timezone.now() - datetime.timedelta(days=200)


def stale(user: User, version: str = "2026-01") -> None:
    """The account agreed, long ago, to `version` ("" for none)."""
    User.objects.filter(pk=user.pk).update(
        privacy_notice_version=version, privacy_notice_at=AGREED_AT if version else None
    )


def logged_in(user: User, version: str = "2026-01") -> Client:
    client = Client()
    client.force_login(user)
    stale(user, version)
    return client


def agree_url(next_url: str) -> str:
    return f"{AGREE_URL}?{urlencode({'next': next_url})}"


@pytest.fixture
def newer_notice(monkeypatch):
    """A version published after the one the accounts agreed to, with what it changed."""
    monkeypatch.setattr(privacy, "NOTICE_VERSION", "2027-06")
    monkeypatch.setattr(
        privacy,
        "CHANGES",
        {"2027-06": ("短信改由某某云通信有限公司发送。",), **privacy.CHANGES},
    )


def test_the_agree_url_is_privacy_agree():
    assert reverse("accounts:privacy_agree") == AGREE_URL


def test_the_current_version_heads_the_change_list():
    assert next(iter(privacy.CHANGES)) == privacy.NOTICE_VERSION


@pytest.mark.parametrize("version", ["2026-01", ""], ids=["older-version", "no-version"])
def test_an_applicant_who_owes_the_notice_reaches_no_page_before_it(unit, version):
    person = factories.make_applicant(unit)
    client = logged_in(person, version)

    for url in [reverse("home"), reverse("experts:home"), reverse("experts:form")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == agree_url(url), url


def test_a_reviewer_after_the_second_factor_and_an_operator_owe_it_too(reviewer):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    for user, url in [
        (reviewer, reverse("experts:bureau_queue")),
        (operator, reverse("admin:index")),
    ]:
        response = logged_in(user).get(url)
        assert response.status_code == 302, url
        assert response.url == agree_url(url), url


def test_a_unit_account_owes_it(unit):
    client = logged_in(factories.unit_account(unit))

    response = client.get(reverse("accounts:unit_home"))

    assert response.url == agree_url(reverse("accounts:unit_home"))


def test_the_second_factor_comes_before_the_notice(reviewer):
    stale(reviewer)
    client = log_in_with_password(reviewer)

    response = client.get(reverse("experts:bureau_queue"))

    assert response.url.startswith(reverse("accounts:two_factor"))
    assert client.get(AGREE_URL).url.startswith(reverse("accounts:two_factor"))


def test_who_owes_the_notice_may_still_leave_read_it_and_secure_the_account(unit):
    person = factories.make_applicant(unit)
    client = logged_in(person)

    for url in [
        reverse("privacy"),
        AGREE_URL,
        reverse("accounts:password_change"),
        reverse("accounts:password_change_done"),
        reverse("accounts:two_factor"),
        reverse("healthz"),
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("favicon")).url.startswith("/static/")
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("experts:home")).url.startswith(reverse("accounts:login"))


def test_an_account_that_agreed_to_the_current_version_goes_straight_on(unit):
    person = factories.make_applicant(unit)
    client = Client()
    client.force_login(person)

    assert client.get(reverse("experts:home")).status_code == 200
    response = client.get(agree_url(reverse("experts:form")))
    assert response.url == reverse("experts:form")


def test_a_visitor_is_asked_to_log_in_not_to_agree():
    response = Client().get(AGREE_URL)

    assert response.url.startswith(reverse("accounts:login"))


def test_the_page_shows_the_versions_and_what_changed(unit, newer_notice):
    person = factories.make_applicant(unit)
    client = logged_in(person, "2026-12")

    page = client.get(AGREE_URL).content.decode()

    text = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", page))
    assert "您此前同意的是2026-12版，现行版本为2027-06版。" in text
    assert "本次更新的内容：短信改由某某云通信有限公司发送。" in text
    assert "版本：2027-06" in text
    assert "一、个人信息处理者和联系方式" in text  # the notice itself, not only a link
    assert ">我已阅读并同意</button>" in page


def test_an_account_older_than_the_notice_reads_it_whole_without_a_change_list(unit, newer_notice):
    person = factories.make_applicant(unit)
    client = logged_in(person, "")

    page = client.get(AGREE_URL).content.decode()

    assert "您的账号注册时，本系统尚未请您同意《个人信息保护说明》。" in page
    assert 'data-testid="privacy-changes"' not in page
    assert "一、个人信息处理者和联系方式" in page


def test_changes_since_lists_the_newer_versions_that_changed_something(monkeypatch):
    monkeypatch.setattr(
        privacy,
        "CHANGES",
        {"2028-01": ("乙",), "2027-06": (), "2027-01": ("甲",), "2026-12": ()},
    )

    assert privacy.changes_since("2027-01") == [("2028-01", ("乙",))]
    assert privacy.changes_since("2026-12") == [("2028-01", ("乙",)), ("2027-01", ("甲",))]
    assert privacy.changes_since("2028-01") == []
    assert privacy.changes_since("") == []


def test_agreeing_records_the_version_the_time_and_an_audit_row(unit, newer_notice):
    person = factories.make_applicant(unit)
    client = logged_in(person, "2026-12")
    before = timezone.now()

    response = client.post(AGREE_URL, {"next": reverse("experts:form")})

    assert response.status_code == 302
    assert response.url == reverse("experts:form")
    person.refresh_from_db()
    assert person.privacy_notice_version == "2027-06"
    assert before <= person.privacy_notice_at <= timezone.now()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PRIVACY_NOTICE)
    assert (event.actor, event.object_id, event.result) == (
        person,
        str(person.pk),
        AuditEvent.Result.SUCCESS,
    )
    assert event.detail == "版本2027-06（此前同意的版本：2026-12）"
    assert client.get(reverse("experts:form")).status_code == 200


def test_a_staff_member_agrees_and_returns_to_admin(reviewer):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client = logged_in(operator, "")

    response = client.post(AGREE_URL, {"next": reverse("admin:index")})

    assert response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.PRIVACY_NOTICE)
    assert event.detail == f"版本{privacy.NOTICE_VERSION}（此前同意的版本：无）"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)", ""],
)
def test_agreeing_never_follows_a_next_elsewhere(unit, next_url):
    person = factories.make_applicant(unit)
    client = logged_in(person)

    response = client.post(AGREE_URL, {"next": next_url})

    assert response.url == reverse("home")
    person.refresh_from_db()
    assert person.privacy_notice_version == privacy.NOTICE_VERSION


def test_agreeing_twice_writes_one_row(unit):
    person = factories.make_applicant(unit)
    client = logged_in(person)

    client.post(AGREE_URL)
    agreed_at = User.objects.get(pk=person.pk).privacy_notice_at
    response = client.post(AGREE_URL, {"next": reverse("experts:form")})

    assert response.url == reverse("experts:form")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PRIVACY_NOTICE).count() == 1
    assert User.objects.get(pk=person.pk).privacy_notice_at == agreed_at


def test_a_new_version_holds_an_account_that_agreed_to_the_old_one(unit, monkeypatch):
    person = factories.make_applicant(unit)
    client = Client()
    client.force_login(person)
    assert client.get(reverse("experts:home")).status_code == 200

    monkeypatch.setattr(privacy, "NOTICE_VERSION", "2027-06")

    response = client.get(reverse("experts:home"))
    assert response.url == agree_url(reverse("experts:home"))


def test_the_gate_costs_no_query(unit, django_assert_num_queries):
    """The version is read from the user the request loads anyway: the same four queries as
    before the notice step (the session, the user, and the second-factor rule's group and
    authenticator)."""
    person = factories.make_applicant(unit)
    client = logged_in(person)
    client.get(reverse("privacy"))  # warm: the first request of a test primes Django's caches

    with django_assert_num_queries(4):
        response = client.get(reverse("experts:home"))
    assert response.status_code == 302
