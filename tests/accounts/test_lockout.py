"""Issue 20: a login lockout that cannot be turned against the bureau. Real HTTP through the
login pages of a live server; each client comes from its own address (X-Forwarded-For, as our
own proxy would set it)."""

import datetime
import re

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db.models import F

from accounts.lockout import ACCOUNT_FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT, address_delay
from accounts.models import AccountLock, Authenticator, LoginFailure
from audit.models import AuditEvent
from experts.models import ApplicationStatus
from sms.models import SMSMessage
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

WRONG = "Wrong#Pass2026"
User = get_user_model()


@pytest.fixture(autouse=True)
def _behind_our_proxy(settings):
    # Our own proxy appends the address it saw to X-Forwarded-For (portal.network.client_ip).
    settings.BEHIND_TLS_PROXY = True


class Visitor:
    """One browser at one address."""

    def __init__(self, live_server, address: str):
        self.base = live_server.url
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address

    def post_form(self, path: str, data: dict) -> requests.Response:
        page = self.session.get(self.base + path, timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.session.post(
            self.base + path,
            {**data, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=10,
        )

    def log_in(self, username: str, password: str, path: str = "/login/") -> requests.Response:
        return self.post_form(path, {"username": username, "password": password})

    def fail(self, username: str, times: int = 1, path: str = "/login/") -> requests.Response:
        for _ in range(times):
            response = self.log_in(username, WRONG, path)
        return response


def signed_in(response: requests.Response) -> bool:
    return response.status_code == 302


def page_text(response: requests.Response) -> str:
    """The lockout message without its times, to compare one page with another."""
    message = re.search(r'data-testid="lockout">(.*?)</div>', response.text, re.S).group(1)
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "TIME", message)


@pytest.fixture
def applicant(unit):
    return factories.make_applicant(unit, ApplicationStatus.DRAFT)


def test_five_failures_lock_the_pair_only(live_server, unit, applicant):
    other = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    x = Visitor(live_server, "198.51.100.1")

    assert x.fail(applicant.username, 4).status_code == 200
    locked = x.fail(applicant.username)

    assert locked.status_code == 429
    assert "该账号在您当前的网络位置登录失败次数过多" in locked.text
    assert "找回密码" in locked.text
    # A way back to the form it came from, and the help line as a number a phone can call.
    assert 'href="/login/">返回登录页' in locked.text
    assert f'href="tel:{settings.HELP_LINE}"' in locked.text
    # The right password from X is refused while the pair is locked …
    assert x.log_in(applicant.username, factories.PASSWORD).status_code == 429
    # … but a colleague behind the same address, and the owner elsewhere, get in.
    assert signed_in(x.log_in(other.username, factories.PASSWORD))
    y = Visitor(live_server, "203.0.113.9")
    assert signed_in(y.log_in(applicant.username, factories.PASSWORD))


def test_twenty_failures_across_addresses_lock_the_account_and_send_one_sms(live_server, applicant):
    for n in range(ACCOUNT_FAILURE_LIMIT - 1):
        assert (
            Visitor(live_server, f"198.51.100.{n + 1}").fail(applicant.username).status_code == 200
        )
    # The twentieth failure is answered with the lock, not with the form again.
    twentieth = Visitor(live_server, "198.51.100.200").fail(applicant.username)
    assert twentieth.status_code == 429 and "该账号登录失败次数过多" in twentieth.text
    home = Visitor(live_server, "203.0.113.50")

    refused = home.log_in(applicant.username, factories.PASSWORD)

    assert refused.status_code == 429
    assert "该账号登录失败次数过多，已被锁定" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    sms = SMSMessage.objects.get()
    assert sms.to == applicant.mobile
    assert "锁定" in sms.body and "找回密码" in sms.body
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOCKED_OUT, username=applicant.username
    ).exists()
    # Refused attempts are not failures: they neither extend the lock nor send another SMS.
    for n in range(3):
        Visitor(live_server, f"192.0.2.{n + 1}").fail(applicant.username)
    assert LoginFailure.objects.filter(username=applicant.username).count() == 20
    # The lock ends; twenty more failures lock it again within the hour, and no second SMS.
    AccountLock.objects.update(until=AccountLock.objects.get().locked_at)
    assert signed_in(home.log_in(applicant.username, factories.PASSWORD))
    Visitor(live_server, "192.0.2.99").fail(applicant.username)
    assert AccountLock.objects.get().active
    assert SMSMessage.objects.count() == 1


@pytest.mark.slow
def test_an_address_over_the_ceiling_is_slowed_not_locked(live_server, applicant):
    x = Visitor(live_server, "198.51.100.77")
    for n in range(ADDRESS_FAILURE_LIMIT + 1):
        x.fail(f"spray{n}")  # one try per username: no pair reaches its limit

    slowed = x.log_in(applicant.username, factories.PASSWORD)

    assert slowed.status_code == 429
    wait = int(slowed.headers["Retry-After"])
    assert wait == address_delay(ADDRESS_FAILURE_LIMIT + 1) == 1
    assert "您所在网络的登录失败次数过多" in slowed.text
    # Another address is not slowed at all.
    assert Visitor(live_server, "203.0.113.3").fail("someone").status_code == 200
    # The delay passes: the address's failures were that much longer ago (no sleeping).
    LoginFailure.objects.filter(ip="198.51.100.77").update(
        at=F("at") - datetime.timedelta(seconds=wait)
    )
    assert signed_in(x.log_in(applicant.username, factories.PASSWORD))


def test_the_delay_grows_with_failures_and_stops_at_a_minute():
    delays = [address_delay(ADDRESS_FAILURE_LIMIT + n) for n in range(0, 12)]
    assert delays == [0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60]


def test_a_password_reset_unlocks_the_account(live_server, applicant):
    for n in range(ACCOUNT_FAILURE_LIMIT):
        Visitor(live_server, f"198.51.100.{n + 1}").fail(applicant.username)
    owner = Visitor(live_server, "203.0.113.60")
    assert owner.log_in(applicant.username, factories.PASSWORD).status_code == 429

    owner.post_form("/password/reset/", {"email": applicant.email})
    link = re.search(r"https?://\S+/password/reset/\S+/", mail.outbox[-1].body).group(0)
    form_page = owner.session.get(link.replace("http://testserver", live_server.url), timeout=10)
    path = form_page.url.removeprefix(live_server.url)
    done = owner.post_form(
        path, {"new_password1": "New#Pass2026x", "new_password2": "New#Pass2026x"}
    )

    assert done.status_code == 302
    assert signed_in(owner.log_in(applicant.username, "New#Pass2026x"))
    assert not AccountLock.objects.get(username=applicant.username).active
    unlocked = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert "本人找回密码" in unlocked.detail and applicant.username in unlocked.detail


def test_an_unknown_username_reads_the_same_as_a_known_one(live_server, applicant):
    known = Visitor(live_server, "198.51.100.10").fail(applicant.username, 5)
    unknown = Visitor(live_server, "198.51.100.11").fail("nobody-here", 5)
    assert (known.status_code, unknown.status_code) == (429, 429)
    assert page_text(known) == page_text(unknown)

    for n in range(ACCOUNT_FAILURE_LIMIT):
        Visitor(live_server, f"192.0.2.{n + 1}").fail(applicant.username)
        Visitor(live_server, f"192.0.2.{n + 101}").fail("nobody-here")
    known = Visitor(live_server, "203.0.113.1").log_in(applicant.username, WRONG)
    unknown = Visitor(live_server, "203.0.113.2").log_in("nobody-here", WRONG)
    assert (known.status_code, unknown.status_code) == (429, 429)
    assert page_text(known) == page_text(unknown)
    assert "该账号登录失败次数过多" in page_text(unknown)


def test_the_admin_login_follows_the_same_rules(live_server):
    User.objects.create_superuser("op", "op@example.com", "Op#Pass2026x")
    x = Visitor(live_server, "198.51.100.30")
    admin_login = "/admin/login/"
    locked = x.fail("op", 5, admin_login)
    assert locked.status_code == 429
    assert 'href="/admin/login/">返回登录页' in locked.text
    assert x.log_in("op", "Op#Pass2026x", admin_login).status_code == 429
    assert signed_in(
        Visitor(live_server, "198.51.100.31").log_in("op", "Op#Pass2026x", admin_login)
    )


def test_five_wrong_codes_lock_the_pair_and_end_the_session(live_server):
    reviewer = factories.make_reviewer()
    device = Authenticator.objects.create(user=reviewer, name="测试", confirmed=True)
    x = Visitor(live_server, "198.51.100.40")
    assert signed_in(x.log_in(reviewer.username, factories.PASSWORD))  # then the code
    wrong = f"{(int(factories.totp_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert x.post_form("/two-factor/", {"code": wrong}).status_code == 200
        # As if the person waited out django-otp's 1, 2, 4 … seconds: a code sent within that
        # wait is not checked, and so not counted (test_authentication).
        Authenticator.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)

    locked = x.post_form("/two-factor/", {"code": wrong})

    assert locked.status_code == 429
    assert "该账号在您当前的网络位置登录失败次数过多" in locked.text
    # The session ended: the second-factor page now asks to log in first.
    again = x.session.get(live_server.url + "/two-factor/", allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "/login/" in again.headers["Location"]
    assert x.log_in(reviewer.username, factories.PASSWORD).status_code == 429
    y = Visitor(live_server, "198.51.100.41")
    assert y.log_in(reviewer.username, factories.PASSWORD).status_code == 302


def test_an_operator_unlocks_an_account_in_admin_audited(live_server, client, applicant):
    for n in range(ACCOUNT_FAILURE_LIMIT):
        Visitor(live_server, f"198.51.100.{n + 1}").fail(applicant.username)
    lock = AccountLock.objects.get(username=applicant.username)
    assert lock.active
    operator = User.objects.create_superuser("op", "op@example.com", "Op#Pass2026x")
    client.force_login(operator)

    response = client.post(
        "/admin/accounts/accountlock/",
        {"action": "unlock", "_selected_action": [lock.pk]},
        follow=True,
    )

    assert "已解除1个账号的登录锁定" in response.content.decode()
    lock.refresh_from_db()
    assert not lock.active
    event = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert event.actor == operator
    assert "运维人员在后台解除" in event.detail
    visitor = Visitor(live_server, "203.0.113.70")
    assert signed_in(visitor.log_in(applicant.username, factories.PASSWORD))


def test_an_operator_ends_a_lock_at_one_address_from_its_failure_count(
    live_server, client, applicant
):
    """登录失败计数: the pair's lock ends by an action audited as 解除登录锁定, which also forgets
    the failures that count toward the account's lock."""
    from accounts.models import LoginAttempt

    x = Visitor(live_server, "198.51.100.90")
    x.fail(applicant.username, settings.AXES_FAILURE_LIMIT)
    assert x.log_in(applicant.username, factories.PASSWORD).status_code == 429
    attempt = LoginAttempt.objects.get(username=applicant.username)
    operator = User.objects.create_superuser("op", "op@example.com", "Op#Pass2026x")
    client.force_login(operator)

    response = client.post(
        "/admin/accounts/loginattempt/",
        {"action": "unlock", "_selected_action": [attempt.pk]},
        follow=True,
    )

    assert f"已解除1个用户名的登录锁定：{applicant.username}。" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert event.actor == operator and applicant.username in event.detail
    assert not LoginFailure.objects.filter(username=applicant.username).exists()
    assert signed_in(x.log_in(applicant.username, factories.PASSWORD))
