"""Issue 21, item 3: the daily reminders (manage.py send_reminders, experts.reminders).

Units with overdue 待单位推荐 applications or 信息变更 to confirm get one SMS each with the counts;
bureau reviewers get one e-mail digest of overdue registrations, decisions and 信息变更 with links;
never twice a day."""

import datetime
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit, UnitStatus, User
from audit.models import AuditEvent, Reminder
from changes.models import ChangeRequest, ChangeStatus
from experts import reminders
from experts.management.commands import send_reminders as send_reminders_command
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import admitted, key_request
from tests.fake_smtp import fake_smtp

__all__ = ["fake_smtp"]  # the fixture, imported so that pytest finds it here

pytestmark = pytest.mark.django_db
S = ApplicationStatus
D = datetime.date

TUESDAY = D(2026, 12, 1)  # a working day
WEDNESDAY = D(2026, 12, 2)
NATIONAL_DAY = D(2026, 10, 1)  # a public holiday on a Thursday
YESTERDAY = TUESDAY - datetime.timedelta(days=1)


def waiting(unit, status, due_on, n=1, name="申请人"):
    """n applications of `unit` in `status`, due on `due_on`."""
    applications = [
        factories.make_applicant(unit, status, name=f"{name}{i}").application for i in range(n)
    ]
    ExpertApplication.objects.filter(pk__in=[a.pk for a in applications]).update(due_on=due_on)
    return applications


def changing(unit, status, due_on, n=1, name="变更专家", new_unit=None):
    """n 信息变更 of experts of `unit` in `status`, due on `due_on` (to be confirmed by
    `new_unit` when given: the expert moves there)."""
    changes = [
        key_request(admitted(unit, name=f"{name}{i}"), status=status, new_unit=new_unit)
        for i in range(n)
    ]
    ChangeRequest.objects.filter(pk__in=[c.pk for c in changes]).update(due_on=due_on)
    return changes


def pending_unit(due_on, name=None):
    unit = factories.make_unit(UnitStatus.PENDING, name=name)
    Unit.objects.filter(pk=unit.pk).update(due_on=due_on)
    return unit


def reviewer_with_email(email, **changes):
    user = factories.make_reviewer()
    User.objects.filter(pk=user.pk).update(email=email, **changes)
    return user


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue().strip()


def sms_by_unit() -> dict[int, str]:
    unit_type = ContentType.objects.get_for_model(Unit)
    return {
        m.object_id: m.body for m in SMSMessage.objects.filter(content_type=unit_type).order_by()
    }


def test_each_unit_gets_one_sms_with_the_count_of_its_overdue_recommendations(unit, other_unit):
    quiet = factories.make_unit()
    waiting(unit, S.PENDING_UNIT, YESTERDAY, n=3)
    waiting(unit, S.PENDING_UNIT, TUESDAY)  # due today: not overdue yet
    waiting(unit, S.PENDING_UNIT, WEDNESDAY)
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)  # the bureau's, not the unit's
    waiting(other_unit, S.PENDING_UNIT, D(2026, 11, 2))
    waiting(quiet, S.PENDING_UNIT, TUESDAY)
    reviewer_with_email("reviewer@example.com")

    output = run("--date", "2026-12-01")

    text = "【{}】贵单位有{}份专家申请已超过推荐期限，请登录系统在“用户账号管理”中及时处理。"
    assert sms_by_unit() == {
        unit.pk: text.format(settings.PORTAL_NAME, 3),
        other_unit.pk: text.format(settings.PORTAL_NAME, 1),
    }
    assert set(SMSMessage.objects.values_list("to", flat=True)) == {unit.contact_mobile}
    assert output.startswith("2026-12-01：已提醒2个单位，")
    reminded = Reminder.objects.filter(kind=Reminder.Kind.UNIT_SMS)
    assert {r.target: (r.overdue_recommendations, r.day) for r in reminded} == {
        str(unit.pk): (3, TUESDAY),
        str(other_unit.pk): (1, TUESDAY),
    }
    assert all(r.sms_message.about == Unit.objects.get(pk=r.target) for r in reminded)


def test_overdue_work_with_no_reviewer_to_tell_texts_the_units_and_fails_the_run(unit, reviewer):
    # The reviewer has no e-mail address: the digest has nobody to go to. Cron hears of it.
    waiting(unit, S.PENDING_UNIT, YESTERDAY)
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    pending_unit(YESTERDAY)

    with pytest.raises(CommandError) as failed:
        run("--date", "2026-12-01")

    assert str(failed.value) == (
        "2026-12-01：已提醒1个单位，有2项超期审核事项，但没有已启用且填写了电子邮箱的审核员，"
        "摘要邮件未发送（请在运维管理的用户中为审核员填写电子邮箱）。"
    )
    assert SMSMessage.objects.count() == 1  # the unit's reminder went out all the same
    assert not Reminder.objects.filter(kind=Reminder.Kind.BUREAU_DIGEST).exists()
    assert mail.outbox == []


def test_an_item_due_today_is_not_overdue_and_nothing_is_sent_or_recorded(unit, reviewer):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_UNIT, TUESDAY)
    waiting(unit, S.PENDING_BUREAU, TUESDAY)
    pending_unit(TUESDAY)
    changing(unit, ChangeStatus.PENDING_UNIT, TUESDAY)
    changing(unit, ChangeStatus.PENDING_BUREAU, TUESDAY, name="待审变更")

    output = run("--date", "2026-12-01")

    assert output == "2026-12-01：已提醒0个单位，没有超期的审核事项，未发送摘要邮件。"
    assert (SMSMessage.objects.count(), len(mail.outbox), Reminder.objects.count()) == (0, 0, 0)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED).exists()


def test_inactive_and_unapproved_units_get_no_sms(unit):
    inactive, rejected, pending = (factories.make_unit() for _ in range(3))
    for each in (unit, inactive, rejected, pending):
        waiting(each, S.PENDING_UNIT, YESTERDAY, n=2)
    Unit.objects.filter(pk=inactive.pk).update(is_active=False)
    Unit.objects.filter(pk=rejected.pk).update(status=UnitStatus.REJECTED)
    Unit.objects.filter(pk=pending.pk).update(status=UnitStatus.PENDING)

    run("--date", "2026-12-01")

    assert list(sms_by_unit()) == [unit.pk]


def test_the_sms_carries_no_link_and_no_id_number(unit):
    applications = waiting(unit, S.PENDING_UNIT, YESTERDAY, n=2)

    run("--date", "2026-12-01")

    body = SMSMessage.objects.get().body
    assert body.startswith(f"【{settings.PORTAL_NAME}】")
    assert re.search(r"https?:|www\.|/", body) is None
    assert re.findall(r"\d+", body) == ["2"]  # the count, nothing else numeric
    assert all(a.user.id_number not in body for a in applications)


def test_a_units_one_sms_counts_its_overdue_change_requests_too(unit, other_unit, reviewer):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    only_changes, quiet, inactive = (factories.make_unit() for _ in range(3))
    waiting(unit, S.PENDING_UNIT, YESTERDAY, n=3)
    changing(unit, ChangeStatus.PENDING_UNIT, YESTERDAY)
    changing(unit, ChangeStatus.PENDING_UNIT, TUESDAY, name="今日到期")  # not overdue yet
    changing(unit, ChangeStatus.PENDING_BUREAU, YESTERDAY, name="待审")  # the bureau's
    # An expert of `unit` moving to other_unit: the new unit confirms, and is reminded.
    changing(unit, ChangeStatus.PENDING_UNIT, D(2026, 11, 2), name="调入", new_unit=other_unit)
    changing(only_changes, ChangeStatus.PENDING_UNIT, YESTERDAY, n=2)
    changing(quiet, ChangeStatus.PENDING_UNIT, TUESDAY)
    changing(inactive, ChangeStatus.PENDING_UNIT, YESTERDAY)
    Unit.objects.filter(pk=inactive.pk).update(is_active=False)

    output = run("--date", "2026-12-01")

    prefix, suffix = (
        f"【{settings.PORTAL_NAME}】贵单位有",
        "，请登录系统在“用户账号管理”中及时处理。",
    )
    assert sms_by_unit() == {
        unit.pk: f"{prefix}3份专家申请已超过推荐期限、1份信息变更申请已超过确认期限{suffix}",
        other_unit.pk: f"{prefix}1份信息变更申请已超过确认期限{suffix}",
        only_changes.pk: f"{prefix}2份信息变更申请已超过确认期限{suffix}",
    }
    assert output.startswith("2026-12-01：已提醒3个单位，")
    reminded = Reminder.objects.filter(kind=Reminder.Kind.UNIT_SMS)
    counts = {
        int(r.target): (r.overdue_recommendations, r.overdue_change_confirmations) for r in reminded
    }
    assert counts == {unit.pk: (3, 1), other_unit.pk: (0, 1), only_changes.pk: (0, 2)}
    details = AuditEvent.objects.filter(object_type="accounts.unit").values_list(
        "object_id", "detail"
    )
    assert dict(details)[str(unit.pk)] == (
        "超期提醒短信（2026-12-01）：超期待单位推荐3份，超期信息变更待单位确认1份"
    )


def test_a_unit_reminded_of_its_change_requests_is_not_reminded_again_that_day(unit):
    changing(unit, ChangeStatus.PENDING_UNIT, YESTERDAY)
    run("--date", "2026-12-01")
    assert SMSMessage.objects.count() == 1

    waiting(unit, S.PENDING_UNIT, YESTERDAY)  # overdue since: still one SMS today
    changing(unit, ChangeStatus.PENDING_UNIT, YESTERDAY, name="又一")
    output = run("--date", "2026-12-01")

    assert output.startswith("2026-12-01：已提醒0个单位，1个单位当天已提醒过，未重复发送，")
    assert SMSMessage.objects.count() == 1
    reminder = Reminder.objects.get(kind=Reminder.Kind.UNIT_SMS)
    assert (reminder.overdue_recommendations, reminder.overdue_change_confirmations) == (0, 1)


def test_the_digest_lists_overdue_change_requests_with_links_and_counts_the_rest(
    unit, other_unit, reviewer, monkeypatch
):
    monkeypatch.setattr(reminders, "DIGEST_LIMIT", 2)
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    first = changing(unit, ChangeStatus.PENDING_BUREAU, D(2026, 11, 24), name="十一月24日")[0]
    changing(unit, ChangeStatus.PENDING_BUREAU, D(2026, 11, 26), name="十一月26日")
    moving = changing(
        unit, ChangeStatus.PENDING_BUREAU, D(2026, 11, 25), name="十一月25日", new_unit=other_unit
    )[0]
    changing(unit, ChangeStatus.PENDING_BUREAU, TUESDAY, name="今日到期")
    changing(unit, ChangeStatus.PENDING_UNIT, D(2026, 11, 20), name="待确认")  # the unit's

    output = run("--date", "2026-12-01")

    # Only 信息变更 overdue for the bureau: the digest goes out all the same.
    assert output == "2026-12-01：已提醒1个单位，摘要邮件发给1位审核员。"
    message = mail.outbox[0]
    first_link = settings.PORTAL_URL + reverse("changes:bureau_detail", args=[first.pk])
    moving_link = settings.PORTAL_URL + reverse("changes:bureau_detail", args=[moving.pk])
    queue = settings.PORTAL_URL + reverse("changes:bureau_list")
    text = message.body
    assert (
        "三、信息变更审核（待科技局审核，超期3项）\n"
        f"1. 十一月24日0（{unit.name}，截止日期：2026年11月24日）\n   {first_link}\n"
        f"2. 十一月25日0（{other_unit.name}，截止日期：2026年11月25日）\n   {moving_link}\n"
        f"另有1项，请在信息变更审核中按截止日期查看：{queue}\n"
    ) in text
    assert "十一月26日" not in text and "今日到期" not in text and "待确认" not in text
    assert "一、单位注册审核（超期0项）\n无\n" in text
    assert "二、专家审核（待科技局审核，超期0项）\n无\n" in text
    html = message.alternatives[0][0]
    assert "<h2>信息变更审核（待科技局审核，超期3项）</h2>" in html
    assert f'<a href="{first_link}">查看并处理</a>' in html
    assert f'另有1项，请在<a href="{queue}">信息变更审核</a>中按截止日期查看。' in html
    digest = Reminder.objects.get(kind=Reminder.Kind.BUREAU_DIGEST)
    assert (digest.overdue_decisions, digest.overdue_change_decisions) == (0, 3)
    assert AuditEvent.objects.get(object_type="audit.reminder").detail == (
        "超期待办摘要邮件（2026-12-01）：超期单位注册审核0项，超期待科技局审核0项，"
        f"超期信息变更待科技局审核3项，收件人{mail.outbox[0].to[0]}"
    )


def test_the_digest_lists_both_kinds_with_links_and_goes_to_reviewers_only(unit):
    late_unit = pending_unit(YESTERDAY, name="逾期注册单位")
    pending_unit(TUESDAY, name="今日到期单位")
    late = waiting(unit, S.PENDING_BUREAU, D(2026, 11, 24), name="逾期专家")[0]
    waiting(unit, S.PENDING_BUREAU, TUESDAY, name="今日到期专家")
    first = reviewer_with_email("first@example.com")
    second = reviewer_with_email("second@example.com")
    reviewer_with_email("gone@example.com", is_active=False)
    reviewer_with_email("")
    User.objects.filter(kind__in=[User.Kind.UNIT, User.Kind.APPLICANT]).update(
        email="not-a-reviewer@example.com"
    )

    output = run("--date", "2026-12-01")

    assert output == "2026-12-01：已提醒0个单位，摘要邮件发给2位审核员。"
    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.com", "second@example.com"]
    assert [len(m.to) for m in mail.outbox] == [1, 1]  # nobody sees the others' addresses
    message = mail.outbox[0]
    assert message.subject == f"【{settings.PORTAL_NAME}】超期待办提醒（2026年12月1日）"
    unit_link = settings.PORTAL_URL + reverse("accounts:bureau_unit_detail", args=[late_unit.pk])
    expert_link = settings.PORTAL_URL + reverse("experts:bureau_detail", args=[late.pk])
    assert unit_link.startswith("http://localhost:8000/")
    text = message.body
    assert (
        f"一、单位注册审核（超期1项）\n1. 逾期注册单位（截止日期：2026年11月30日）\n   {unit_link}"
        in (text)
    )
    # Both sections write a day as the heading does (a December walk found 2026-11-24 there).
    assert f"1. 逾期专家0（{unit.name}，截止日期：2026年11月24日）\n   {expert_link}" in text
    assert "今日到期" not in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="{unit_link}">查看并处理</a>' in html
    assert f'<a href="{expert_link}">查看并处理</a>' in html
    # One row per reviewer: each is sent, failed or retried on its own.
    digests = Reminder.objects.filter(kind=Reminder.Kind.BUREAU_DIGEST).order_by("target_name")
    assert [
        (d.target, d.target_name, d.recipients, d.status, d.overdue_registrations) for d in digests
    ] == [
        (str(first.pk), str(first), "first@example.com", Reminder.Status.SENT, 1),
        (str(second.pk), str(second), "second@example.com", Reminder.Status.SENT, 1),
    ]
    assert all(d.sent_at is not None and d.overdue_decisions == 1 for d in digests)


def test_a_long_digest_lists_the_earliest_due_and_counts_the_rest(unit, reviewer, monkeypatch):
    monkeypatch.setattr(reminders, "DIGEST_LIMIT", 2)  # the rule, at a size a test can build
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    for day in (26, 24, 25):
        waiting(unit, S.PENDING_BUREAU, D(2026, 11, day), name=f"十一月{day}日")

    run("--date", "2026-12-01")

    text = mail.outbox[0].body
    assert "专家审核（待科技局审核，超期3项）" in text
    assert text.index("十一月24日") < text.index("十一月25日")
    assert "十一月26日" not in text
    expert_queue = settings.PORTAL_URL + reverse("experts:bureau_queue")
    assert f"另有1项，请在专家审核中按截止日期查看：{expert_queue}" in text
    assert "一、单位注册审核（超期0项）\n无\n" in text


def test_a_second_run_the_same_day_sends_nothing(unit, reviewer):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_UNIT, YESTERDAY, n=2)
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    run("--date", "2026-12-01")
    assert (SMSMessage.objects.count(), len(mail.outbox)) == (1, 1)

    waiting(unit, S.PENDING_UNIT, YESTERDAY)  # more overdue since: still not a second SMS today
    output = run("--date", "2026-12-01")

    assert (SMSMessage.objects.count(), len(mail.outbox), Reminder.objects.count()) == (1, 1, 2)
    assert output == (
        "2026-12-01：已提醒0个单位，1个单位当天已提醒过，未重复发送，摘要邮件当天已发送过，未重复发送。"
    )


def test_the_next_day_sends_again(unit, reviewer):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_UNIT, YESTERDAY)
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    run("--date", "2026-12-01")

    output = run("--date", "2026-12-02")

    assert output == "2026-12-02：已提醒1个单位，摘要邮件发给1位审核员。"
    assert (SMSMessage.objects.count(), len(mail.outbox)) == (2, 2)
    assert sorted(Reminder.objects.values_list("day", flat=True)) == [TUESDAY] * 2 + [WEDNESDAY] * 2


def test_a_holiday_sends_nothing_unless_forced(unit, reviewer):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_UNIT, D(2026, 9, 28))
    waiting(unit, S.PENDING_BUREAU, D(2026, 9, 28))

    output = run("--date", "2026-10-01")

    assert output == "2026-10-01不是工作日，未发送提醒（如需发送请加 --force）。"
    assert (SMSMessage.objects.count(), len(mail.outbox), Reminder.objects.count()) == (0, 0, 0)

    output = run("--date", "2026-10-01", "--force")

    assert output == "2026-10-01：已提醒1个单位，摘要邮件发给1位审核员。"
    assert (SMSMessage.objects.count(), len(mail.outbox)) == (1, 1)


def test_the_help_says_when_it_sends(capsys):
    with pytest.raises(SystemExit):
        call_command("send_reminders", "--help")
    text = "".join(capsys.readouterr().out.split())
    assert "同一天再次运行不会重复发送" in text
    assert "非工作日不发送，除非加--force" in text


def test_a_bad_date_is_refused_with_a_message_and_sends_nothing(unit):
    waiting(unit, S.PENDING_UNIT, YESTERDAY)
    with pytest.raises(CommandError, match="日期“2026-13-01”不存在：月份应为01至12"):
        run("--date", "2026-13-01")
    assert (SMSMessage.objects.count(), Reminder.objects.count()) == (0, 0)


def test_each_reminder_is_in_the_audit_trail_as_the_systems_act(unit, reviewer):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_UNIT, YESTERDAY, n=2)
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    pending_unit(YESTERDAY)

    run("--date", "2026-12-01")

    events = AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED).order_by("id")
    digest = Reminder.objects.get(kind=Reminder.Kind.BUREAU_DIGEST)
    assert [(e.username, e.role, e.object_type, e.object_id, e.detail) for e in events] == [
        (
            "send_reminders",
            "系统",
            "accounts.unit",
            str(unit.pk),
            "超期提醒短信（2026-12-01）：超期待单位推荐2份，超期信息变更待单位确认0份",
        ),
        (
            "send_reminders",
            "系统",
            "audit.reminder",
            str(digest.pk),
            "超期待办摘要邮件（2026-12-01）：超期单位注册审核1项，超期待科技局审核1项，"
            "超期信息变更待科技局审核0项，收件人reviewer@example.com",
        ),
    ]
    assert all(e.actor is None for e in events)


def test_a_digest_the_mail_server_refused_is_recorded_and_sent_by_the_next_run(
    unit, reviewer, settings
):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    # Nothing listens on port 1: the SMTP backend's connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2

    with pytest.raises(CommandError, match=r"摘要邮件发送失败（.+），再次运行将重试"):
        run("--date", "2026-12-01")

    digest = Reminder.objects.get(kind=Reminder.Kind.BUREAU_DIGEST)
    assert digest.status == Reminder.Status.FAILED
    assert "ConnectionRefusedError" in digest.error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    output = run("--date", "2026-12-01")

    assert output == "2026-12-01：已提醒0个单位，摘要邮件发给1位审核员。"
    assert [m.to for m in mail.outbox] == [["reviewer@example.com"]]
    digest.refresh_from_db()
    assert (digest.status, digest.error) == (Reminder.Status.SENT, "")
    assert run("--date", "2026-12-01").endswith("摘要邮件当天已发送过，未重复发送。")
    assert len(mail.outbox) == 1
    events = AuditEvent.objects.filter(object_type="audit.reminder").order_by("id")
    # The claim, its failure and the retry, each recorded.
    assert [(e.result, e.detail[:23]) for e in events] == [
        ("success", "超期待办摘要邮件（2026-12-01）：超期"),
        ("failure", "超期待办摘要邮件（2026-12-01）发送失"),
        ("success", "超期待办摘要邮件（2026-12-01）重新发"),
    ]


@pytest.mark.parametrize("size", [1, 3])
def test_the_reads_do_not_grow_with_the_overdue_items(unit, size, django_assert_num_queries):
    units = [unit] + [factories.make_unit() for _ in range(size - 1)]
    for each in units:
        waiting(each, S.PENDING_UNIT, YESTERDAY)
        waiting(each, S.PENDING_BUREAU, YESTERDAY)
        pending_unit(YESTERDAY)

        changing(each, ChangeStatus.PENDING_UNIT, YESTERDAY, name=f"确认{each.pk}-")
        changing(each, ChangeStatus.PENDING_BUREAU, YESTERDAY, name=f"审核{each.pk}-")

    with django_assert_num_queries(1):
        assert len(reminders.overdue_recommendation_counts(TUESDAY)) == size
    with django_assert_num_queries(1):
        assert len(reminders.overdue_confirmation_counts(TUESDAY)) == size
    # Three counts, the registrations, the decisions with their applicants and units, the
    # 信息变更 with theirs.
    with django_assert_num_queries(6):
        content = reminders.digest_content(TUESDAY)
    assert [len(content[k]) for k in ("registrations", "decisions", "changes")] == [size] * 3


@pytest.mark.postgres  # two connections racing on the unique index
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_sms_per_unit_and_one_digest_per_reviewer(reference_data):
    units = [factories.make_unit() for _ in range(5)]
    for each in units:
        waiting(each, S.PENDING_UNIT, YESTERDAY, n=2)
    waiting(units[0], S.PENDING_BUREAU, YESTERDAY)
    for i in range(2):
        reviewer_with_email(f"r{i}@example.com")
    barrier = threading.Barrier(2)
    outcomes = []

    def run_in_thread():
        try:
            barrier.wait()
            outcomes.append(reminders.send_reminders(TUESDAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2
    assert sorted(sms_by_unit()) == sorted(u.pk for u in units)
    assert SMSMessage.objects.count() == 5
    assert sum(o.units_reminded for o in outcomes) == 5
    assert sum(o.units_already for o in outcomes) == 5
    assert sorted(m.to[0] for m in mail.outbox) == ["r0@example.com", "r1@example.com"]
    # Each reviewer's digest is claimed by one run: the other finds it sent or being sent.
    assert sum(o.digest_recipients for o in outcomes) == 2
    assert sum(o.digest_already + o.digest_in_progress for o in outcomes) == 2
    assert not any(o.failed for o in outcomes)
    assert Reminder.objects.filter(kind=Reminder.Kind.BUREAU_DIGEST).count() == 2
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED).count() == 7


def test_operators_see_the_reminders_in_admin_read_only(client, unit, reviewer):
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_UNIT, YESTERDAY, n=2)
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    run("--date", "2026-12-01")
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)

    changelist = client.get(reverse("admin:audit_reminder_changelist"))

    html = changelist.content.decode()
    assert changelist.status_code == 200
    assert "超期提醒" in html and "单位短信提醒" in html and "科技局摘要邮件" in html
    assert (
        unit.name in html
        and "短信排队中" in html
        and "待单位推荐2份，信息变更待单位确认0份" in html
    )
    assert "单位注册0项，待科技局审核1项，信息变更待科技局审核0项" in html
    assert changelist.context["cl"].result_count == 2
    filtered = client.get(reverse("admin:audit_reminder_changelist"), {"kind": "unit_sms"})
    assert filtered.context["cl"].result_count == 1
    reminder = Reminder.objects.get(kind=Reminder.Kind.BUREAU_DIGEST)
    page = client.get(reverse("admin:audit_reminder_change", args=[reminder.pk]))
    assert page.status_code == 200 and reviewer.username in page.content.decode()
    # Each kind's page shows what it counts, not the other kind's fields as 0.
    digest = page.content.decode()
    assert "超期待科技局审核" in digest and "收件人" in digest
    assert "超期待单位推荐" not in digest and "单位编号" not in digest
    sms = Reminder.objects.get(kind=Reminder.Kind.UNIT_SMS)
    unit_page = client.get(reverse("admin:audit_reminder_change", args=[sms.pk]))
    html = unit_page.content.decode()
    assert "超期待单位推荐" in html and "超期信息变更待单位确认" in html
    assert "超期待科技局审核" not in html and "超期单位注册审核" not in html
    assert "收件人" not in html and "错误信息" not in html
    assert client.get(reverse("admin:audit_reminder_add")).status_code == 403
    delete = client.post(reverse("admin:audit_reminder_delete", args=[reminder.pk]))
    assert delete.status_code == 403


def test_the_daily_loop_waits_for_the_next_half_past_eight_on_the_local_clock():
    at = datetime.time(8, 30)
    shanghai = timezone.get_current_timezone()
    before = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=shanghai)
    after = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=shanghai)

    def seconds_until(now):
        return (reminders.next_run(at, now) - now).total_seconds()

    assert seconds_until(before) == 30 * 60
    assert seconds_until(after) == 23.5 * 3600
    # 00:10 UTC is 08:10 in Shanghai: twenty minutes, not a day.
    utc = datetime.datetime(2026, 12, 8, 0, 10, tzinfo=datetime.UTC)
    assert seconds_until(utc) == 20 * 60


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--daily-at", "8点半"], "时间“8点半”无效，应为HH:MM格式，例如08:30。"),
        (["--daily-at", "08:30", "--date", "2026-12-01"], "--date 与 --daily-at 不能同时使用。"),
    ],
)
def test_bad_daily_options_are_refused_with_a_message(unit, args, message):
    waiting(unit, S.PENDING_UNIT, YESTERDAY)
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert str(refused.value) == message
    assert (SMSMessage.objects.count(), Reminder.objects.count()) == (0, 0)


class Stop(Exception):
    """Raised instead of the daily loop's wait: the test runs one day."""


class OneDay(send_reminders_command.Command):
    def wait(self, seconds):
        raise Stop


# Committed for real: the loop closes a connection left in a transaction, as after an outage.
@pytest.mark.django_db(transaction=True)
def test_the_daily_loop_runs_the_annual_confirmations_when_the_digest_fails(
    reference_data, unit, reviewer, settings
):
    """Ops walk D3: the reminders service used to skip 年度确认 (and its freezes) on a day the
    mail server refused the digest."""
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_BUREAU, timezone.localdate() - datetime.timedelta(days=1))
    lapsed = factories.make_applicant(unit, S.APPROVED).application
    ExpertApplication.objects.filter(pk=lapsed.pk).update(
        confirmed_at=timezone.now() - datetime.timedelta(days=800)
    )
    expired = Session.objects.create(
        session_key="expired" + "x" * 25,
        session_data="",
        expire_date=timezone.now() - datetime.timedelta(minutes=1),
    )
    # Nothing listens on port 1: the SMTP backend's connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(Stop):
        OneDay(stdout=out, stderr=err).handle(date=None, force=True, daily_at="00:00")

    assert Reminder.objects.get(kind=Reminder.Kind.BUREAU_DIGEST).status == Reminder.Status.FAILED
    assert ExpertApplication.objects.get(pk=lapsed.pk).status == S.FROZEN
    lines = out.getvalue().splitlines()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert lines[-3:] == [
        "冻结 1 人，发送年度确认提醒 0 人。",
        "已清理过期会话，删除7天前的批量处理记录0条，删除180天前的登录日志0条。",
        f"下次运行：{tomorrow:%Y-%m-%d} 00:00（北京时间）",
    ]
    # The housekeeping ran too (G9).
    assert not Session.objects.filter(pk=expired.pk).exists()
    errors = err.getvalue().splitlines()
    assert "摘要邮件发送失败（" in errors[0]
    assert errors[1].startswith("年度确认照常运行。摘要邮件可在今天内再次运行 send_reminders 重发")


class Waits(send_reminders_command.Command):
    """Records the first wait instead of sleeping."""

    def wait(self, seconds):
        self.waited = seconds
        raise Stop


def test_the_daily_loop_says_when_it_will_run_next_before_it_waits():
    """Ops walk: `send_reminders --daily-at 08:30` started after midnight waited without a word
    until the morning, and its help said 本地时间 while it counts in TIME_ZONE (Beijing) whatever
    the server's clock is set to."""
    out = io.StringIO()
    command = Waits(stdout=out, stderr=io.StringIO())

    with pytest.raises(Stop):
        # Not due yet on any day (but in its last second): it waits, and says until when.
        command.handle(date=None, force=False, daily_at="23:59:59")

    today = timezone.localdate()
    assert out.getvalue().splitlines() == [f"下次运行：{today:%Y-%m-%d} 23:59（北京时间）"]
    upcoming = timezone.make_aware(datetime.datetime.combine(today, datetime.time(23, 59, 59)))
    assert abs(upcoming.timestamp() - time.time() - command.waited) < 5


def digest_rows() -> list[tuple[str, str, str]]:
    """(address, status, error) of each reviewer's digest row, by address."""
    return sorted(
        Reminder.objects.filter(kind=Reminder.Kind.BUREAU_DIGEST).values_list(
            "recipients", "status", "error"
        )
    )


def test_one_refused_address_fails_alone_and_the_rerun_mails_only_that_reviewer(
    client, unit, fake_smtp
):
    """Fault walk, item 4: one address refused with 550 failed the whole digest, and each
    rerun mailed the good reviewers again."""
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    for name in ("first", "bad", "third"):
        reviewer_with_email(f"{name}@example.com")
    fake_smtp.refused = {"bad@example.com"}
    refused = "收件地址被邮件服务器拒绝：bad@example.com（550 5.1.1 no such user）"

    with pytest.raises(CommandError) as failed:
        run("--date", "2026-12-01")

    assert str(failed.value) == (
        f"2026-12-01：已提醒0个单位，摘要邮件发给2位审核员，1位审核员的摘要邮件发送失败（{refused}），"
        "再次运行将重试。"
    )
    assert fake_smtp.recipients == ["first@example.com", "third@example.com"]
    error = "收件地址被邮件服务器拒绝：bad@example.com（550 5.1.1 no such user）"
    assert digest_rows() == [
        ("bad@example.com", Reminder.Status.FAILED, error),
        ("first@example.com", Reminder.Status.SENT, ""),
        ("third@example.com", Reminder.Status.SENT, ""),
    ]

    # Still refused: the rerun fails again, and mails nobody else.
    with pytest.raises(CommandError) as again:
        run("--date", "2026-12-01")
    assert str(again.value).endswith(
        f"1位审核员的摘要邮件发送失败（{refused}），再次运行将重试，"
        "2位审核员当天已收到摘要邮件，未重复发送。"
    )
    assert fake_smtp.recipients == ["first@example.com", "third@example.com"]

    # The operator sees the refused address in admin's list.
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)
    page = client.get(
        reverse("admin:audit_reminder_changelist"), {"delivery": "failed"}
    ).content.decode()
    assert f"发送失败：{error}" in page

    # The address fixed at the server: that reviewer only, once.
    fake_smtp.refused = set()
    assert run("--date", "2026-12-01") == (
        "2026-12-01：已提醒0个单位，摘要邮件发给1位审核员，2位审核员当天已收到摘要邮件，未重复发送。"
    )
    assert run("--date", "2026-12-01").endswith("摘要邮件当天已发送过，未重复发送。")
    assert fake_smtp.recipients == ["bad@example.com", "first@example.com", "third@example.com"]


def test_a_server_that_fails_mid_run_is_not_waited_on_for_each_remaining_reviewer(unit, settings):
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    for name in ("first", "second"):
        reviewer_with_email(f"{name}@example.com")
    # Nothing listens on port 1: the SMTP backend's connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1

    with pytest.raises(CommandError, match="2位审核员的摘要邮件发送失败"):
        run("--date", "2026-12-01")

    (_, first, first_error), (_, second, second_error) = digest_rows()
    assert (first, second) == (Reminder.Status.FAILED, Reminder.Status.FAILED)
    assert "ConnectionRefusedError" in first_error
    assert second_error.startswith("未发送：邮件服务器在发给前一位审核员时出错（ConnectionRefused")


def stuck_digest(reviewer, minutes: int) -> Reminder:
    """A reviewer's digest left 发送中 `minutes` ago by a run that died."""
    return Reminder.objects.create(
        kind=Reminder.Kind.BUREAU_DIGEST,
        target=str(reviewer.pk),
        target_name=str(reviewer),
        day=TUESDAY,
        recipients=reviewer.email,
        status=Reminder.Status.SENDING,
        claimed_at=timezone.now() - datetime.timedelta(minutes=minutes),
    )


def test_a_digest_stuck_sending_past_the_bound_is_retried_and_the_output_says_so(unit, settings):
    """Fault walk, item 3: a run killed mid-send left 发送中 for good, and every later run that
    day said 摘要邮件当天已发送过 and exited 0. The bound reads EMAIL_TIMEOUT."""
    settings.EMAIL_TIMEOUT = 200  # ten of them: 33 minutes, past the 15-minute floor
    assert reminders.stale_claim_after() == datetime.timedelta(seconds=2000)
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    reviewer = User.objects.get(pk=reviewer_with_email("stuck@example.com").pk)
    digest = stuck_digest(reviewer, minutes=20)

    output = run("--date", "2026-12-01")

    assert output == (
        "2026-12-01：已提醒0个单位，1位审核员的摘要邮件正在由另一次运行发送，未重复发送"
        "（若那次运行已中断，发送中超过33分钟后再次运行将重新发送）。"
    )
    assert mail.outbox == []

    Reminder.objects.filter(pk=digest.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(minutes=34)
    )
    output = run("--date", "2026-12-01")

    assert output == (
        "2026-12-01：已提醒0个单位，1位审核员的摘要邮件上次发送中断（发送中超过33分钟），"
        "已按发送失败处理并重新发送，摘要邮件发给1位审核员。"
    )
    assert [m.to for m in mail.outbox] == [["stuck@example.com"]]
    digest.refresh_from_db()
    assert digest.status == Reminder.Status.SENT
    assert run("--date", "2026-12-01").endswith("摘要邮件当天已发送过，未重复发送。")
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.get(object_type="audit.reminder").detail.startswith(
        "超期待办摘要邮件（2026-12-01）重新发送（上次发送中断，按发送失败处理）："
    )


def test_the_bound_has_a_floor_whatever_email_timeout_says(settings):
    settings.EMAIL_TIMEOUT = None  # no timeout at all
    assert reminders.stale_claim_after() == datetime.timedelta(minutes=15)
    settings.EMAIL_TIMEOUT = 5
    assert reminders.stale_claim_after() == datetime.timedelta(minutes=15)


@pytest.mark.parametrize(
    ("status", "mailed"), [(Reminder.Status.SENT, 0), (Reminder.Status.FAILED, 1)]
)
def test_a_digest_sent_before_each_reviewer_had_a_row_is_not_sent_again_that_day(
    unit, reviewer, status, mailed
):
    """An upgrade on the day restarts the daily loop, which catches up: the day's digest, sent
    to all reviewers under one row, must not go out again (one that failed is sent)."""
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")
    waiting(unit, S.PENDING_BUREAU, YESTERDAY)
    Reminder.objects.create(
        kind=Reminder.Kind.BUREAU_DIGEST,
        target=Reminder.BUREAU,
        target_name="科技局审核员",
        day=TUESDAY,
        status=status,
    )

    output = run("--date", "2026-12-01")

    assert len(mail.outbox) == mailed
    assert output.endswith(
        "摘要邮件发给1位审核员。" if mailed else "摘要邮件当天已发送过，未重复发送。"
    )


@pytest.mark.postgres  # a real command process, killed, on the test database it shares
@pytest.mark.django_db(transaction=True)
def test_killing_the_command_on_a_hanging_mail_server_leaves_a_digest_the_next_run_sends(
    reference_data, unit, fake_smtp
):
    """The walk's case: `send_reminders --force` killed while the mail server hangs."""
    waiting(unit, S.PENDING_BUREAU, timezone.localdate() - datetime.timedelta(days=1))
    reviewer = reviewer_with_email("reviewer@example.com")
    fake_smtp.mode = "hang"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(fake_smtp.port),
    }
    command = subprocess.Popen(
        [sys.executable, "manage.py", "send_reminders", "--force"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert fake_smtp.connected.wait(30), "the command never reached the mail server"
    finally:
        command.send_signal(signal.SIGKILL)
        command.wait(10)
    fake_smtp.release.set()
    fake_smtp.mode = "ok"
    digest = Reminder.objects.get(kind=Reminder.Kind.BUREAU_DIGEST)
    assert (digest.status, digest.target) == (Reminder.Status.SENDING, str(reviewer.pk))

    assert "正在由另一次运行发送" in run("--force")  # within the bound: maybe still alive
    assert fake_smtp.delivered == []
    Reminder.objects.filter(pk=digest.pk).update(
        claimed_at=F("claimed_at") - reminders.stale_claim_after()
    )
    assert "上次发送中断" in run("--force")

    assert fake_smtp.recipients == ["reviewer@example.com"]
    digest.refresh_from_db()
    assert digest.status == Reminder.Status.SENT
