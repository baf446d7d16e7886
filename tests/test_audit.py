"""The audit trail: logins, failures, lockouts, transitions, full views of personal data by
someone else, licence downloads and admin changes; append-only in PostgreSQL."""

import datetime
import json

import pgtrigger
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.core.management.commands import flush
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Authenticator, LoginFailure, Unit
from audit.log import record, shipped_fields
from audit.models import AuditEvent
from experts import services
from experts.models import ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db
A = AuditEvent.Action


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_logins_failures_and_lockouts_are_recorded_without_the_password(unit):
    applicant = factories.make_applicant(unit)
    client = Client(REMOTE_ADDR="198.51.100.20")
    client.post(reverse("accounts:login"), {"username": applicant.username, "password": "Bad#1pw"})
    client.post(
        reverse("accounts:login"),
        {"username": applicant.username, "password": factories.PASSWORD},
    )
    failed, ok = events(A.LOGIN_FAILED)[-1], events(A.LOGIN)[-1]
    assert (failed.username, failed.result, failed.ip) == (
        applicant.username,
        "failure",
        "198.51.100.20",
    )
    assert (ok.actor, ok.role, ok.ip) == (applicant, "申请人", "198.51.100.20")

    for _ in range(5):
        Client(REMOTE_ADDR="198.51.100.21").post(
            reverse("accounts:login"), {"username": "target", "password": "Wrong#pw1"}
        )
    assert [e.username for e in events(A.LOCKED_OUT)] == ["target"]
    everything = " ".join(f"{e.detail} {e.object_repr}" for e in AuditEvent.objects.all())
    assert "Bad#1pw" not in everything and factories.PASSWORD not in everything


def test_a_password_awaiting_the_second_factor_is_no_login_until_the_code(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = Client(REMOTE_ADDR="198.51.100.30")
    client.post(
        reverse("accounts:login"), {"username": reviewer.username, "password": factories.PASSWORD}
    )

    assert events(A.LOGIN) == []
    (password,) = events(A.PASSWORD_VERIFIED)
    assert (password.actor, password.role, password.detail) == (
        reviewer,
        "科技局审核员",
        "密码正确，待两步验证",
    )

    client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(device)})
    (login,) = events(A.LOGIN)
    assert (login.actor, login.role, login.ip, login.detail) == (
        reviewer,
        "科技局审核员",
        "198.51.100.30",
        "两步验证通过",
    )


def test_a_wrong_second_factor_code_is_recorded_as_such(reviewer):
    Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": reviewer.username, "password": factories.PASSWORD}
    )

    client.post(reverse("accounts:two_factor"), {"code": "000000"})

    (wrong,) = events(A.LOGIN_FAILED)
    assert (wrong.username, wrong.result, wrong.detail) == (
        reviewer.username,
        "failure",
        "两步验证码不正确",
    )
    assert events(A.LOGIN) == []


def test_enrolling_an_authenticator_at_login_is_recorded_as_the_login(reviewer):
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": reviewer.username, "password": factories.PASSWORD}
    )
    client.get(reverse("accounts:two_factor"))
    device = Authenticator.objects.get(user=reviewer, confirmed=False)

    client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(device)})

    (login,) = events(A.LOGIN)
    assert (login.actor, login.detail) == (reviewer, "绑定身份验证器，两步验证通过")


def test_an_applicant_binding_one_of_their_own_is_no_second_login(unit):
    applicant = factories.make_applicant(unit)
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": applicant.username, "password": factories.PASSWORD}
    )
    client.get(reverse("accounts:two_factor"))
    device = Authenticator.objects.get(user=applicant, confirmed=False)

    client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(device)})

    assert len(events(A.LOGIN)) == 1  # at the password: signed in from then
    (bound,) = events(A.DEVICE_BOUND)
    assert (bound.actor, bound.detail) == (applicant, "自愿绑定")


def test_a_login_without_a_second_factor_is_recorded_as_one_login(unit):
    applicant = factories.make_applicant(unit)

    Client().post(
        reverse("accounts:login"), {"username": applicant.username, "password": factories.PASSWORD}
    )

    assert [(e.actor, e.detail) for e in events(A.LOGIN)] == [(applicant, "")]
    assert events(A.PASSWORD_VERIFIED) == []


def test_the_right_password_of_a_switched_off_unit_is_a_refused_login_not_a_failure(unit):
    applicant = factories.make_applicant(unit)
    Unit.objects.filter(pk=unit.pk).update(is_active=False)

    response = Client(REMOTE_ADDR="198.51.100.31").post(
        reverse("accounts:login"), {"username": applicant.username, "password": factories.PASSWORD}
    )

    assert "您所属的单位账号已停用" in response.content.decode()
    (refused,) = events(A.LOGIN_FAILED)
    assert (refused.actor, refused.result, refused.ip, refused.detail) == (
        applicant,
        "failure",
        "198.51.100.31",
        "密码正确，所属单位账号已停用，拒绝登录",
    )
    assert events(A.LOGIN) == []
    # Nothing was guessed: it counts for no lockout rule.
    assert not LoginFailure.objects.filter(username=applicant.username).exists()


def test_every_transition_is_recorded_in_its_transaction(unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    services.approve_application(applicant.application, reviewer)
    event = events(A.TRANSITION)[-1]
    assert (event.actor, event.role, event.result) == (reviewer, "科技局审核员", "success")
    assert event.object_type == "experts.expertapplication"
    assert event.detail == "审核通过：待科技局审核 → 审核通过"

    other = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.approve_application(other.application, reviewer)
        raise RuntimeError("the decision rolls back")
    assert AuditEvent.objects.filter(object_id=str(other.application.pk)).count() == 0


def test_the_shipped_copy_follows_the_commit(
    unit, reviewer, caplog, django_capture_on_commit_callbacks
):
    """The JSON line for shipping off the host is written when the row commits, so a decision
    rolled back is in neither the table nor the shipped copy."""
    caplog.set_level("INFO", logger="portal.audit")
    kept = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    undone = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.approve_application(undone, reviewer)
            raise RuntimeError("the decision rolls back")
        services.approve_application(kept, reviewer)

    shipped = [r.getMessage() for r in caplog.records if r.name == "portal.audit"]
    assert [line for line in shipped if f':{kept.pk}"' in line] != []
    assert [line for line in shipped if f'expertapplication:{undone.pk}"' in line] == []


def test_a_refused_action_is_recorded_as_a_failure(client, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    client.force_login(reviewer)
    client.post(reverse("experts:bureau_approve", args=[applicant.application.pk]), {})
    event = events(A.TRANSITION)[-1]
    assert (event.result, event.object_id) == ("failure", str(applicant.application.pk))
    assert "不能执行“审核通过”" in event.detail


def test_reveals_of_personal_data_by_others_and_licence_downloads_are_recorded(
    client, unit, reviewer
):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    pk = applicant.application.pk
    client.force_login(factories.unit_account(unit))
    # The detail pages show the numbers masked: viewing them is not a view of personal data
    # any more (issue 19 point 11); 查看完整信息 is, once per reveal, with what and why.
    client.get(reverse("experts:unit_detail", args=[pk]))
    client.post(
        reverse("experts:unit_reveal", args=[pk]),
        {"reveal-numbers": "id_number", "reveal-reason": "verify_identity"},
    )
    client.force_login(reviewer)
    client.get(reverse("experts:bureau_detail", args=[pk]))
    client.post(
        reverse("experts:bureau_reveal", args=[pk]),
        {"reveal-numbers": ["id_number", "bank_account"], "reveal-reason": "check_bank"},
    )
    client.get(reverse("accounts:licence", args=[unit.pk]))
    client.force_login(applicant)
    client.get(reverse("experts:form"))  # the owner's own view is not an event

    views = events(A.VIEW_PERSONAL_DATA)
    assert [(e.role, e.object_id, e.detail) for e in views] == [
        ("单位账号", str(pk), "查看证件号码；事由：核实身份"),
        ("科技局审核员", str(pk), "查看证件号码、银行账号；事由：核对银行信息"),
    ]
    assert [e.object_id for e in events(A.LICENCE_DOWNLOAD)] == [str(unit.pk)]
    # The full ID number is on the revealed page, never in the audit trail.
    assert applicant.id_number not in " ".join(e.object_repr + e.detail for e in views)


def test_operators_filter_the_trail_to_reveals_and_read_what_and_why(client, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    client.force_login(reviewer)  # a login event: one row the filter must leave out
    client.post(
        reverse("experts:bureau_reveal", args=[applicant.application.pk]),
        {"reveal-numbers": "id_number", "reveal-reason": "other", "reveal-note": "申请人来电"},
    )
    AuditEvent.objects.create(action=A.LOGIN, result="success", username="someone")
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "x")
    client.force_login(operator)
    changelist = reverse("admin:audit_auditevent_changelist")

    everything = client.get(changelist)
    assert "查看完整个人信息" in everything.content.decode()  # the filter's choice, by its label
    response = client.get(changelist, {"action__exact": A.VIEW_PERSONAL_DATA})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [(e.action, e.detail) for e in rows] == [
        (A.VIEW_PERSONAL_DATA, "查看证件号码；事由：其他：申请人来电")
    ]
    assert "查看证件号码；事由：其他：申请人来电" in response.content.decode()  # a column
    searched = client.get(changelist, {"q": "申请人来电"})
    assert [e.pk for e in searched.context["cl"].result_list] == [rows[0].pk]


def test_admin_changes_are_recorded(client, unit):
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "x")
    client.force_login(operator)
    pending = factories.make_unit(name="后台改名前")
    url = reverse("admin:accounts_unit_change", args=[pending.pk])
    context = client.get(url).context
    form = context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v not in (None,) and k != "licence"}
    data["name"] = "后台改名后"
    # The read-only 审核记录 inline still posts its management form.
    for inline in context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    client.post(url, data)
    event = events(A.ADMIN_CHANGE)[-1]
    assert event.actor == operator and "后台改名后" in event.detail


def test_nobody_can_change_the_audit_trail_in_admin(client):
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "x")
    client.force_login(operator)
    event = AuditEvent.objects.create(action=A.LOGIN, result="success", username="x")
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete = client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_recent_audit_rows():
    event = AuditEvent.objects.create(action=A.LOGIN, result="success", username="x")
    for statement in (
        "UPDATE audit_auditevent SET username = 'y' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert event.username == "x"


@pytest.mark.postgres
def test_the_database_refuses_to_truncate_the_audit_table_flush_included():
    """Ops walk D8: TRUNCATE fires no row trigger, so it emptied the trail; `manage.py flush`
    truncates every table."""
    event = AuditEvent.objects.create(action=A.LOGIN, result="success", username="x")
    with connection.cursor() as cursor:
        # The insert's deferred foreign-key check would refuse a TRUNCATE in this transaction
        # by itself; checked now, it leaves the trigger to do the refusing.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    refused = pytest.raises(DatabaseError, match="Cannot truncate audit_auditevent")
    # CASCADE: 含敏感信息导出名单 references the trail, and without it PostgreSQL refuses for
    # that reason first; that table's own refusal is set aside so that the trail's is the one.
    ignored = pgtrigger.ignore("experts.ExportedApplication:exported_no_truncate")
    # The ignore outside the savepoint: leaving it sets a variable, which the transaction the
    # refusal aborted would not take.
    with refused, ignored, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent CASCADE")
    # Django's own flush (the tests' flush ignores the trigger: tests/management/commands).
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command(flush.Command(), interactive=False, verbosity=0)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def insert_event(age: datetime.timedelta) -> int:
    """A login row written `age` ago, straight into the table (the model stamps `at` now)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, username, role, action, object_type, object_id,"
            " object_repr, result, detail) VALUES (%s, 'old', '', 'login', '', '', '',"
            " 'success', '') RETURNING id",
            [timezone.now() - age],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_rows_past_the_retention_period_may_be_purged():
    old_id = insert_event(datetime.timedelta(days=187))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old_id])
    assert not AuditEvent.objects.filter(pk=old_id).exists()


@pytest.mark.postgres
def test_a_row_is_kept_six_calendar_months_in_every_span():
    """网络安全法 §21: network logs kept no less than six months. 1 March to 1 September is 184
    days; a retention of 180 days let the database delete a row that was not yet six months
    old in such a span."""
    young = insert_event(datetime.timedelta(days=184))
    with (
        pytest.raises(DatabaseError, match="Cannot delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [young])
    assert AuditEvent.objects.filter(pk=young).exists()


def test_a_record_is_named_in_the_sites_time_as_its_list_shows_it():
    event = AuditEvent(
        at=datetime.datetime(2026, 12, 6, 6, 6, 24, tzinfo=datetime.UTC),
        username="admin",
        action=AuditEvent.Action.LOGIN,
    )
    with timezone.override("Asia/Shanghai"):
        assert str(event) == "2026-12-06 14:06:24 admin 登录成功"


def test_an_audit_records_object_type_reads_as_the_models_name(client, unit):
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "x")
    client.force_login(operator)
    event = AuditEvent.objects.create(
        action=A.TRANSITION,
        result="success",
        username="x",
        object_type="accounts.unit",
        object_id=str(unit.pk),
        object_repr=unit.name,
    )

    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert '<div class="readonly">单位</div>' in html and "accounts.unit" not in html


def test_the_shipped_line_keeps_its_keys_and_adds_the_rows_number_label_and_beijing_time(
    unit, reviewer, caplog, django_capture_on_commit_callbacks
):
    """A line is matched with its row in admin by 编号 and read as the list reads it; the
    original keys stay first and unchanged for the collectors that read them."""
    caplog.set_level("INFO", logger="portal.audit")
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    with django_capture_on_commit_callbacks(execute=True):
        event = record(A.VIEW_PERSONAL_DATA, actor=reviewer, obj=application, detail="查看")

    (line,) = [r.getMessage() for r in caplog.records if r.name == "portal.audit"]
    shipped = json.loads(line)
    assert list(shipped)[:8] == ["at", "user", "role", "action", "object", "result", "ip", "detail"]
    assert shipped["action"] == "view_personal"
    assert shipped["object"] == f"experts.expertapplication:{application.pk}"
    assert {k: shipped[k] for k in list(shipped)[8:]} == {
        "id": event.pk,
        "at_beijing": timezone.localtime(event.at).isoformat(),
        "action_label": "查看完整个人信息",
        "result_label": "成功",
        "object_type": "experts.expertapplication",
        "object_id": str(application.pk),
        "object_name": str(application),
    }
    # One instant, said twice: in UTC and in Beijing, each with its offset.
    at = datetime.datetime.fromisoformat(shipped["at"])
    beijing = datetime.datetime.fromisoformat(shipped["at_beijing"])
    assert (at.utcoffset(), beijing.utcoffset()) == (
        datetime.timedelta(0),
        datetime.timedelta(hours=8),
    )
    assert at == beijing == event.at


def test_a_personal_number_typed_as_the_username_is_masked_in_the_trail(client):
    """People type their ID number or mobile into 用户名: the trail, kept for years and shipped
    off the host, holds no whole number (PIPL walk)."""
    for typed in ("420106196110120003", "13800000056"):
        client.post(reverse("accounts:login"), {"username": typed, "password": "wrong-Pass#1"})

    failed = AuditEvent.objects.filter(action=A.LOGIN_FAILED).order_by("pk")
    assert [event.username for event in failed] == ["****0003", "****0056"]
    assert [shipped_fields(event)["user"] for event in failed] == ["****0003", "****0056"]
