"""Logging in at MLPS level 3: lockouts, passwords, the second factor and session limits."""

import re
import time
from base64 import b32encode

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.middleware import LOGGED_IN_AT, REFRESHED_AT
from accounts.models import Authenticator, Unit
from experts.models import ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "accounts:login"


def post_login(client, username, password, **extra):
    return client.post(reverse(LOGIN), {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    for _ in range(times):
        response = post_login(client, username, "Wrong#Pass2026", **extra)
    return response


# Lockout


def test_five_failures_lock_this_username_from_this_address_with_a_message(unit):
    # The whole set of rules, over real HTTP from several addresses: tests/accounts/test_lockout.py.
    applicant = factories.make_applicant(unit)
    client = Client()
    assert fail(client, applicant.username, 4).status_code == 200
    locked = fail(client, applicant.username, 1)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录失败次数过多" in page and "锁定30分钟" in page and "解除" in page
    assert post_login(client, applicant.username, factories.PASSWORD).status_code == 429


def test_a_forged_x_forwarded_for_does_not_reset_the_count(unit):
    applicant = factories.make_applicant(unit)
    client = Client()
    for n in range(5):
        post_login(
            client, applicant.username, "Wrong#Pass2026", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        )
    response = post_login(
        client, applicant.username, factories.PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99"
    )
    assert response.status_code == 429


def test_admin_login_is_locked_out_too():
    get_user_model().objects.create_superuser("op", "op@example.com", "Op#Pass2026x")
    client = Client()
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "op", "password": "wrong"})
    response = client.post(reverse("admin:login"), {"username": "op", "password": "Op#Pass2026x"})
    assert response.status_code == 429


# Passwords


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1", "密码长度太短"),
        ("abcdefgh1", "至少3种"),
        ("password123", "密码过于常见。"),
        ("12345678901", "密码只包含数字"),
        ("Xwang2026#", "密码不能包含用户名"),  # short enough for Django's similarity rule
    ],
)
def test_each_password_rule_has_a_chinese_message(client, unit, password, message):
    response = client.post(
        reverse("accounts:register_individual"),
        {
            "username": "wang",
            "password1": password,
            "password2": password,
            "privacy_notice": "on",
            "real_name": "王",
            "id_type": "resident",
            "id_number": factories.resident_id(),
            "mobile": "13712345678",
            "email": "w@example.com",
            "unit": unit.pk,
        },
    )
    assert message in " ".join(response.context["form"].errors["password1"])


def test_password_similar_to_the_username_is_refused(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    new = applicant.username.capitalize() + "#1"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": factories.PASSWORD, "new_password1": new, "new_password2": new},
    )
    errors = response.context["form"].errors
    assert "密码与用户名过于相似。" in errors["new_password1"] and "new_password2" not in errors


def test_the_new_password_is_not_the_current_one(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    same = factories.PASSWORD
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": same, "new_password1": same, "new_password2": same},
    )
    errors = response.context["form"].errors
    assert "新密码不能与当前密码相同" in " ".join(errors["new_password1"])
    assert "new_password2" not in errors


def test_change_password_page(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": "New#Secret2026",
            "new_password2": "New#Secret2026",
        },
        follow=True,
    )
    assert "密码已修改" in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.check_password("New#Secret2026")


def test_password_reset_by_email(client, unit):
    applicant = factories.make_applicant(unit)
    client.post(reverse("accounts:password_reset"), {"email": applicant.email})
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert applicant.username in body
    link = next(line for line in body.splitlines() if "/password/reset/" in line)
    page = client.get(link.split("testserver", 1)[1], follow=True)
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Reset#Secret2026", "new_password2": "Reset#Secret2026"},
        follow=True,
    )
    assert "密码已重设" in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.check_password("Reset#Secret2026")


def test_a_loop_of_reset_requests_sends_one_link_in_two_minutes(client, unit):
    applicant = factories.make_applicant(unit)
    for _ in range(4):
        response = client.post(reverse("accounts:password_reset"), {"email": applicant.email})
        assert response.status_code == 302  # the same page every time: nothing is told
    assert len(mail.outbox) == 1
    other = factories.make_applicant(unit)  # another account is not held up
    client.post(reverse("accounts:password_reset"), {"email": other.email})
    assert len(mail.outbox) == 2


# The second factor


def log_in_with_password(user) -> Client:
    client = Client()
    response = post_login(client, user.username, factories.PASSWORD)
    assert response.status_code == 302
    return client


def test_reviewer_reaches_no_page_before_the_second_factor(reviewer):
    client = log_in_with_password(reviewer)
    for url in [
        reverse("experts:bureau_queue"),
        reverse("accounts:bureau_unit_queue"),
        reverse("experts:pool"),
        reverse("admin:index"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:two_factor")), url


def test_reviewer_enrols_with_a_qr_code_and_a_code_then_reaches_the_queue(reviewer):
    client = log_in_with_password(reviewer)
    page = client.get(reverse("accounts:two_factor"), {"next": reverse("experts:pool")})
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html and "绑定" in html
    assert "科技局审核员和运维人员登录时须" in html and "暂不绑定" not in html
    # The code's field is where the cursor starts; no header link leads anywhere but here.
    assert re.search(r'<input[^>]* name="code"[^>]* autofocus', html)
    assert reverse("accounts:password_change") not in html
    device = Authenticator.objects.get(user=reviewer, confirmed=False)
    response = client.post(
        reverse("accounts:two_factor"),
        {"code": factories.totp_code(device), "next": reverse("experts:pool")},
    )
    assert response.url == reverse("experts:pool")
    device.refresh_from_db()
    assert device.confirmed
    queue = client.get(reverse("experts:bureau_queue"))
    assert queue.status_code == 200
    assert reverse("accounts:password_change") in queue.content.decode()


def test_two_tabs_opened_at_once_leave_one_qr_code_to_scan(reviewer):
    """Two first visits at the same moment may each create an unconfirmed authenticator: the
    page keeps showing the oldest, whose code then signs in."""
    first = Authenticator.objects.create(user=reviewer, name="身份验证器", confirmed=False)
    Authenticator.objects.create(user=reviewer, name="身份验证器", confirmed=False)
    client = log_in_with_password(reviewer)

    page = client.get(reverse("accounts:two_factor"))

    assert page.status_code == 200 and page.context["secret"] == b32encode(first.bin_key).decode()
    response = client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(first)})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.confirmed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# A transactional test runs on whatever an earlier one's flush left: not the seeded groups.
@pytest.mark.usefixtures("reference_data")
def test_a_first_visit_waits_for_another_making_the_authenticator():
    """The authenticator to enrol is found or made under the account's row lock: a visit made
    while another holds it shows the one that other made, not a second of its own."""
    import threading

    from django.db import connections, transaction

    reviewer = factories.make_reviewer()
    client = log_in_with_password(reviewer)
    shown = {}

    def visit():
        try:
            shown["secret"] = client.get(reverse("accounts:two_factor")).context["secret"]
        finally:
            connections.close_all()

    with transaction.atomic():
        list(get_user_model().objects.select_for_update().filter(pk=reviewer.pk))
        thread = threading.Thread(target=visit)
        thread.start()
        thread.join(1)
        assert thread.is_alive()  # waiting for the lock
        made = Authenticator.objects.create(user=reviewer, confirmed=False, name="身份验证器")
    thread.join(10)

    assert Authenticator.objects.filter(user=reviewer).count() == 1
    assert shown["secret"] == b32encode(made.bin_key).decode()


def test_a_replayed_code_is_refused(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    code = factories.totp_code(device)
    first = log_in_with_password(reviewer)
    assert first.post(reverse("accounts:two_factor"), {"code": code}).status_code == 302

    second = log_in_with_password(reviewer)
    replay = second.post(reverse("accounts:two_factor"), {"code": code})
    assert replay.status_code == 200
    assert "已使用过" in replay.content.decode()
    assert second.get(reverse("experts:bureau_queue")).status_code == 302


def test_an_open_redirect_through_next_is_refused(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = log_in_with_password(reviewer)
    response = client.post(
        reverse("accounts:two_factor"),
        {"code": factories.totp_code(device), "next": "https://evil.example.com/"},
    )
    assert response.url == reverse("home")


def test_operator_needs_the_second_factor_for_admin():
    get_user_model().objects.create_superuser("op", "op@example.com", factories.PASSWORD)
    client = Client()
    client.post(reverse("admin:login"), {"username": "op", "password": factories.PASSWORD})
    response = client.get(reverse("admin:experts_expertapplication_changelist"))
    assert response.url.startswith(reverse("accounts:two_factor"))


def test_applicant_may_enrol_voluntarily_and_is_then_held_to_it(unit):
    applicant = factories.make_applicant(unit)
    client = log_in_with_password(applicant)
    assert client.get(reverse("experts:home")).status_code == 200
    # 修改密码 offers it; the page says it is a choice, and the way back without it.
    offered = client.get(reverse("accounts:password_change")).content.decode()
    assert f'href="{reverse("accounts:two_factor")}"' in offered and "两步验证，可选" in offered
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "两步验证为可选项" in page and "暂不绑定，返回首页" in page
    assert "科技局审核员和运维人员登录时须" not in page
    device = Authenticator.objects.get(user=applicant)
    client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(device)})
    bound = client.get(reverse("accounts:password_change")).content.decode()
    assert "两步验证，可选" not in bound

    later = log_in_with_password(applicant)
    assert later.get(reverse("experts:home")).url.startswith(reverse("accounts:two_factor"))
    # Held to it: the code page offers no way round it but 退出登录.
    page = later.get(reverse("accounts:two_factor")).content.decode()
    assert "暂不绑定" not in page and "退出登录" in page


# Sessions


def test_session_key_changes_at_login(unit):
    applicant = factories.make_applicant(unit)
    client = Client()
    client.get(reverse(LOGIN))
    client.session.save()
    before = client.session.session_key
    post_login(client, applicant.username, factories.PASSWORD)
    assert client.session.session_key != before


def test_a_logged_out_cookie_is_refused(unit):
    applicant = factories.make_applicant(unit)
    client = log_in_with_password(applicant)
    cookie = client.cookies["sessionid"].value
    client.post(reverse("accounts:logout"))
    thief = Client()
    thief.cookies["sessionid"] = cookie
    assert thief.get(reverse("experts:home")).status_code == 302


def test_sessions_end_after_30_idle_minutes(unit):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    applicant = factories.make_applicant(unit)
    client = log_in_with_password(applicant)
    client.get(reverse("experts:home"))
    key = client.session.session_key
    expires = Session.objects.get(session_key=key).expire_date
    left = (expires - timezone.now()).total_seconds()
    assert 29 * 60 < left <= 30 * 60

    # Active again after the refresh interval: the idle clock restarts.
    session = client.session
    session[REFRESHED_AT] = time.time() - 61
    session.save()
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timezone.timedelta(minutes=1)
    )
    assert client.get(reverse("experts:home")).status_code == 200
    left = (Session.objects.get(session_key=key).expire_date - timezone.now()).total_seconds()
    assert 29 * 60 < left <= 30 * 60

    # 31 idle minutes later the session is gone.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    response = client.get(reverse("experts:home"))
    assert response.status_code == 302 and response.url.startswith(reverse(LOGIN))


def test_requests_within_a_minute_of_each_other_write_the_session_once(unit):
    """The idle clock is restarted at most once a minute: not a write per page view."""
    from django.contrib.sessions.models import Session

    applicant = factories.make_applicant(unit)
    client = log_in_with_password(applicant)
    client.get(reverse("experts:home"))
    key = client.session.session_key
    before = Session.objects.get(session_key=key).expire_date
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("experts:home")).status_code == 200
    writes = [q["sql"] for q in captured if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert writes == []
    assert Session.objects.get(session_key=key).expire_date == before


def test_the_message_names_the_configured_limit(unit, settings):
    settings.SESSION_ABSOLUTE_SECONDS = 8 * 60 * 60
    applicant = factories.make_applicant(unit)
    client = log_in_with_password(applicant)
    session = client.session
    session[LOGGED_IN_AT] = time.time() - 8 * 60 * 60 - 1
    session.save()
    response = client.get(reverse("experts:home"), follow=True)
    assert "登录已超过8小时" in response.content.decode()


def test_a_length_of_time_reads_in_hours_or_minutes():
    from accounts.middleware import duration_text

    assert [duration_text(s) for s in (12 * 3600, 5400, 1800, 20)] == [
        "12小时",
        "90分钟",
        "30分钟",
        "1分钟",
    ]


def test_sessions_end_12_hours_after_login_however_active(unit):
    applicant = factories.make_applicant(unit)
    client = log_in_with_password(applicant)
    session = client.session
    session[LOGGED_IN_AT] = time.time() - 12 * 60 * 60 - 1
    session.save()
    response = client.get(reverse("experts:home"), follow=True)
    assert "登录已超过12小时" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivating_a_user_ends_their_session(unit):
    applicant = factories.make_applicant(unit)
    client = log_in_with_password(applicant)
    applicant.is_active = False
    applicant.save()
    assert client.get(reverse("experts:home")).status_code == 302


def test_deactivating_a_unit_ends_its_peoples_sessions_and_refuses_their_login(unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    person = log_in_with_password(applicant)
    unit_client = log_in_with_password(factories.unit_account(unit))
    Unit.objects.filter(pk=unit.pk).update(is_active=False)

    for client, url in [(person, "experts:home"), (unit_client, "experts:unit_people")]:
        response = client.get(reverse(url), follow=True)
        assert "单位账号已停用" in response.content.decode()
    again = post_login(Client(), applicant.username, factories.PASSWORD)
    assert "单位账号已停用" in again.content.decode()


# Headers


def test_pages_send_a_content_security_policy_of_the_portals_own_files(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("url_name", ["accounts:login", "admin:login"])
def test_an_overlong_username_is_an_ordinary_failure(url_name):
    response = Client().post(reverse(url_name), {"username": "x" * 5000, "password": "y"})
    assert response.status_code == 200


def test_a_right_code_sent_in_the_wait_after_a_wrong_one_is_told_to_wait(reviewer):
    """django-otp's wait after a wrong code refuses even the right one: the page says to wait,
    and the refusal is no failure of the person's."""
    from django.utils import timezone

    from audit.models import AuditEvent

    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = log_in_with_password(reviewer)
    Authenticator.objects.filter(pk=device.pk).update(
        # A wait of minutes: longer than any slow test machine takes to send the code.
        throttling_failure_count=10,
        throttling_failure_timestamp=timezone.now(),
    )
    failures = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count()

    response = client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(device)})

    text = response.content.decode()
    assert response.status_code == 200
    assert "上一次验证码不正确，请等待" in text and "秒后再输入当前验证码" in text
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == failures
    assert client.get(reverse("experts:bureau_queue")).status_code == 302


def test_the_second_factor_page_checks_the_signed_in_persons_locks_whatever_is_posted(reviewer):
    from django.utils import timezone

    from accounts import lockout

    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = log_in_with_password(reviewer)
    lockout.lock_account(reviewer.username, timezone.now())

    response = client.post(
        reverse("accounts:two_factor"),
        {"code": factories.totp_code(device), "username": "nobody-else"},
    )

    assert response.status_code == 429
    assert client.get(reverse("experts:bureau_queue")).status_code == 302
