"""Ops walk G9: the daily `housekeeping` deletes expired sessions (the database store keeps
them until clearsessions runs), 批量处理's batches older than a week, and django-axes' login
records older than LOGIN_LOG_KEEP_DAYS; and, when the bureau sets SMS_KEEP_DAYS or
EXPORT_JOB_KEEP_DAYS, the settled SMS and finished 导出任务 older than that."""

import datetime
import io

import pytest
from axes.models import AccessLog
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from accounts.models import BulkBatch
from audit.models import AuditEvent, Reminder
from experts.models import ExportJob
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db


def session(key: str, expires: datetime.datetime) -> None:
    Session.objects.create(session_key=key, session_data="", expire_date=expires)


def login_record(days_ago: int) -> AccessLog:
    record = AccessLog.objects.create(username=f"user{days_ago}", ip_address="192.0.2.1")
    at = timezone.now() - datetime.timedelta(days=days_ago)
    AccessLog.objects.filter(pk=record.pk).update(attempt_time=at)
    return record


def test_expired_sessions_and_old_login_records_go_the_rest_stay(settings):
    settings.LOGIN_LOG_KEEP_DAYS = 90
    now = timezone.now()
    session("expired" + "x" * 25, now - datetime.timedelta(minutes=1))
    session("current" + "x" * 25, now + datetime.timedelta(minutes=29))
    old, recent = login_record(91), login_record(89)
    out = io.StringIO()

    call_command("housekeeping", stdout=out)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "x" * 25]
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk
    assert out.getvalue() == (
        "已清理过期会话，删除7天前的批量处理记录0条，删除90天前的登录日志1条。\n"
    )


def batch(reviewer, token: str, days_ago: float, status=BulkBatch.Status.DONE) -> BulkBatch:
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return BulkBatch.objects.create(
        token=token,
        user=reviewer,
        list_url="experts:bureau_queue",
        action="approve",
        status=status,
        claim="c",
        claimed_at=at,
        created_at=at,
    )


def test_batches_older_than_a_week_go_the_newer_stay():
    """批量处理's batches, done or left running, go a week after they started; a batch a
    confirmation page may still post (its token valid BATCH_SECONDS) is never among them, so
    such a page confirmed again still finds its batch done."""
    from portal import bulk

    assert BulkBatch.KEEP_DAYS == 7
    assert BulkBatch.KEEP_DAYS * 24 * 60 * 60 > bulk.BATCH_SECONDS
    reviewer = factories.make_reviewer()
    batch(reviewer, "old-done", 7.01)
    batch(reviewer, "old-running", 8, BulkBatch.Status.RUNNING)
    batch(reviewer, "recent", 6.99)

    output = housekeeping()

    assert list(BulkBatch.objects.values_list("token", flat=True)) == ["recent"]
    assert output.startswith("已清理过期会话，删除7天前的批量处理记录2条，删除")
    assert purge_events() == []


# SMS_KEEP_DAYS and EXPORT_JOB_KEEP_DAYS: the bureau decides; empty keeps rows for good.


def sms(status: str, days_ago: int, needs_check: bool = False) -> SMSMessage:
    message = SMSMessage.objects.create(to="+8613800000001", body="您的申请已审核通过。")
    at = timezone.now() - datetime.timedelta(days=days_ago)
    SMSMessage.objects.filter(pk=message.pk).update(
        status=status, created_at=at, needs_check=needs_check
    )
    return message


def export_job(status: str, days_ago: int, file_name: str = "") -> ExportJob:
    job = ExportJob.objects.create(
        requested_by=factories.make_reviewer(), kind=ExportJob.Kind.POOL, status=status
    )
    at = timezone.now() - datetime.timedelta(days=days_ago)
    ExportJob.objects.filter(pk=job.pk).update(created_at=at, file_name=file_name)
    return job


def housekeeping() -> str:
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    return out.getvalue()


def purge_events() -> list[str]:
    events = AuditEvent.objects.filter(action=AuditEvent.Action.PURGE)
    return [f"{e.username} {e.role} {e.detail}" for e in events]


def test_by_default_sms_and_export_jobs_are_kept_for_good(settings):
    assert (settings.SMS_KEEP_DAYS, settings.EXPORT_JOB_KEEP_DAYS) == (None, None)
    message = sms(SMSMessage.Status.SENT, 3650)
    job = export_job(ExportJob.Status.EXPIRED, 3650)

    output = housekeeping()

    assert output == (
        "已清理过期会话，删除7天前的批量处理记录0条，"
        f"删除{settings.LOGIN_LOG_KEEP_DAYS}天前的登录日志0条。\n"
    )
    assert list(SMSMessage.objects.values_list("pk", flat=True)) == [message.pk]
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [job.pk]
    assert purge_events() == []


def test_settled_sms_past_their_keeping_go_the_unsent_and_the_unverified_stay(settings):
    settings.SMS_KEEP_DAYS = 30
    gone = [sms(SMSMessage.Status.SENT, 31), sms(SMSMessage.Status.FAILED, 31)]
    kept = [
        sms(SMSMessage.Status.QUEUED, 31),  # still to be sent (a provider outage)
        sms(SMSMessage.Status.SENDING, 31),
        sms(SMSMessage.Status.FAILED, 31, needs_check=True),  # an operator must verify it
        sms(SMSMessage.Status.SENT, 29),
    ]

    output = housekeeping()

    assert output.splitlines()[1] == "删除30天前的短信2条。"
    assert sorted(SMSMessage.objects.values_list("pk", flat=True)) == [m.pk for m in kept]
    assert not SMSMessage.objects.filter(pk__in=[m.pk for m in gone]).exists()
    assert purge_events() == ["housekeeping 系统 按保留期删除：30天前的短信2条"]


def test_a_unit_reminder_keeps_its_days_claim_after_its_sms_is_deleted(settings, unit):
    """The never-twice-a-day rule is the Reminder row's, not the SMS's: it stays, and admin
    says where its SMS went."""
    from audit.admin import ReminderAdmin
    from experts.reminders import remind_unit

    settings.SMS_KEEP_DAYS = 1
    today = timezone.localdate()
    reminder = remind_unit(unit, 2, today)
    SMSMessage.objects.update(
        status=SMSMessage.Status.SENT, created_at=timezone.now() - datetime.timedelta(days=2)
    )

    housekeeping()

    assert SMSMessage.objects.count() == 0
    reminder = Reminder.objects.get(pk=reminder.pk)
    assert reminder.sms_message is None
    assert ReminderAdmin(Reminder, admin.site).delivery(reminder) == "短信记录已按保留期删除"
    assert remind_unit(unit, 2, today) is None
    assert SMSMessage.objects.count() == 0


def test_export_jobs_past_their_keeping_go_once_over_and_without_a_file(settings):
    settings.EXPORT_JOB_KEEP_DAYS = 90
    gone = [export_job(ExportJob.Status.EXPIRED, 91), export_job(ExportJob.Status.FAILED, 91)]
    kept = [
        export_job(ExportJob.Status.QUEUED, 91),
        export_job(ExportJob.Status.RUNNING, 91),
        # Its file not yet deleted by the export worker: the row is how it finds the file.
        export_job(ExportJob.Status.DONE, 91, file_name="exports/still-here.xlsx"),
        export_job(ExportJob.Status.EXPIRED, 89),
    ]

    output = housekeeping()

    assert output.splitlines()[1] == "删除90天前的导出任务2条。"
    assert sorted(ExportJob.objects.values_list("pk", flat=True)) == [j.pk for j in kept]
    assert not ExportJob.objects.filter(pk__in=[j.pk for j in gone]).exists()
    assert purge_events() == ["housekeeping 系统 按保留期删除：90天前的导出任务2条"]


def test_both_knobs_make_one_audit_event_with_both_counts(settings):
    settings.SMS_KEEP_DAYS, settings.EXPORT_JOB_KEEP_DAYS = 30, 90
    sms(SMSMessage.Status.SENT, 31)
    export_job(ExportJob.Status.EXPIRED, 91)

    output = housekeeping()

    assert output.splitlines()[1] == "删除30天前的短信1条，90天前的导出任务1条。"
    assert purge_events() == [
        "housekeeping 系统 按保留期删除：30天前的短信1条，90天前的导出任务1条"
    ]
