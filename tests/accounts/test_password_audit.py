"""身份鉴别's events in the audit trail (MLPS 安全审计): 修改密码, 找回密码's request and its new
password, and both registrations, each recorded with no password, token or stranger's
address in it."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from tests import factories
from tests.accounts.test_password_reset_mail import refusing_mail_server  # noqa: F401
from tests.accounts.test_registration import individual_data, unit_data

pytestmark = pytest.mark.django_db
Action, Result = AuditEvent.Action, AuditEvent.Result

NEW = "New#Secret2026"


def row_text(row: AuditEvent) -> str:
    """Everything a row holds as text, for checking what must not be in it."""
    return " ".join(
        str(value)
        for value in (
            row.username,
            row.role,
            row.object_type,
            row.object_id,
            row.object_repr,
            row.detail,
        )
    )


@pytest.fixture
def applicant(unit):
    return factories.make_applicant(unit)


def reset_link(body: str) -> str:
    return re.search(r"https?://\S+(/password/reset/\S+/)", body).group(1)


def test_a_successful_password_change_is_audited_without_the_password(client, applicant):
    client.force_login(applicant)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": factories.PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302
    row = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert (row.actor, row.object_id, row.result) == (applicant, str(applicant.pk), Result.SUCCESS)
    assert row.detail == "本人修改密码"
    assert NEW not in row_text(row) and factories.PASSWORD not in row_text(row)


def test_a_refused_password_change_writes_no_change_row(client, applicant):
    client.force_login(applicant)

    client.post(
        reverse("accounts:password_change"),
        {"old_password": factories.PASSWORD, "new_password1": NEW, "new_password2": "Other#2026"},
    )

    assert not AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED).exists()


def test_a_reset_request_for_an_account_names_the_account_not_the_address(client, applicant):
    client.post(reverse("accounts:password_reset"), {"email": applicant.email})

    row = AuditEvent.objects.get(action=Action.PASSWORD_RESET_REQUEST)
    assert (row.username, row.role, row.object_id) == (
        applicant.username,
        "访客",
        str(applicant.pk),
    )
    assert (row.result, row.detail) == (Result.SUCCESS, "重设密码的链接已发往该账号的电子邮箱")
    assert applicant.email not in row_text(row)


def test_a_reset_request_for_an_unknown_address_keeps_no_address_and_reads_the_same(
    client, applicant
):
    known = client.post(reverse("accounts:password_reset"), {"email": applicant.email})
    stranger = "someone.else@example.org"

    unknown = client.post(reverse("accounts:password_reset"), {"email": stranger})

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    row = AuditEvent.objects.filter(action=Action.PASSWORD_RESET_REQUEST).first()
    assert (row.username, row.object_id, row.result) == ("", "", Result.FAILURE)
    assert row.detail == "所填电子邮箱没有对应的有效账号，未发送（所填电子邮箱不记录）"
    assert "someone" not in row_text(row)


def test_a_second_request_within_two_minutes_is_recorded_as_not_sent(client, applicant):
    client.post(reverse("accounts:password_reset"), {"email": applicant.email})

    client.post(reverse("accounts:password_reset"), {"email": applicant.email})

    rows = AuditEvent.objects.filter(action=Action.PASSWORD_RESET_REQUEST).order_by("id")
    assert [(row.result, row.detail) for row in rows] == [
        (Result.SUCCESS, "重设密码的链接已发往该账号的电子邮箱"),
        (Result.FAILURE, "2分钟内已发送过链接，本次未再发送"),
    ]
    assert len(mail.outbox) == 1


def test_a_reset_request_the_mail_server_refuses_is_a_failure_naming_no_one(
    client,
    applicant,
    refusing_mail_server,  # noqa: F811
):
    client.post(reverse("accounts:password_reset"), {"email": applicant.email})

    row = AuditEvent.objects.get(action=Action.PASSWORD_RESET_REQUEST)
    assert (row.username, row.object_id, row.result) == ("", "", Result.FAILURE)
    assert row.detail == "邮件服务暂时不可用，未发送（所填电子邮箱不记录）"


def test_a_reset_without_a_lock_is_audited_without_the_token(client, applicant):
    client.post(reverse("accounts:password_reset"), {"email": applicant.email})
    link = reset_link(mail.outbox[-1].body)
    form = client.get(link, follow=True)  # Django moves the token into the session

    client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})

    applicant.refresh_from_db()
    assert applicant.check_password(NEW)
    row = AuditEvent.objects.get(action=Action.PASSWORD_RESET)
    assert (row.actor, row.object_id) == (applicant, str(applicant.pk))
    assert row.detail == "通过找回密码邮件中的链接重设密码"
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert token not in row_text(row) and NEW not in row_text(row)
    assert not AuditEvent.objects.filter(action=Action.UNLOCKED).exists()


def test_an_individual_registration_is_audited(client, unit):
    client.post(reverse("accounts:register_individual"), individual_data(unit))

    person = User.objects.get(username="wangwu")
    row = AuditEvent.objects.get(action=Action.REGISTERED)
    assert (row.actor, row.role, row.object_id) == (person, "申请人", str(person.pk))
    assert row.detail == f"新用户注册：个人（所属单位：{unit.name}）"
    assert factories.PASSWORD not in row_text(row)


def test_a_unit_registration_is_audited_with_the_unit_as_object(client, private_storage):
    client.post(reverse("accounts:register_unit"), unit_data())

    account = User.objects.get(username="shifan")
    row = AuditEvent.objects.get(action=Action.REGISTERED)
    assert (row.actor, row.role) == (account, "单位账号")
    assert (row.object_type, row.object_id) == ("accounts.unit", str(account.unit_id))
    assert row.detail == "新用户注册：单位"


def test_a_refused_registration_writes_no_row(client, unit):
    Client().post(reverse("accounts:register_individual"), individual_data(unit, password2="x"))

    assert not AuditEvent.objects.filter(action=Action.REGISTERED).exists()


def test_admins_own_password_change_is_the_portals_audited_one(client):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)

    response = client.get("/admin/password_change/")

    assert response.url == reverse("accounts:password_change")
    client.post(
        response.url,
        {"old_password": factories.PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert AuditEvent.objects.get(action=Action.PASSWORD_CHANGED).actor == operator
