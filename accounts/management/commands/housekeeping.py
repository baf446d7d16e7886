"""Daily housekeeping: python manage.py housekeeping (the reminders service runs it after
review_confirmations; see the README's cron line for host installs)."""

import datetime
import io

from axes.models import AccessLog
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import signals
from accounts.models import BulkBatch
from accounts.permissions import SYSTEM_ROLE
from audit.log import record
from audit.models import AuditEvent
from sms import outbox


class Command(BaseCommand):
    help = (
        f"日常清理：删除已过期的会话（clearsessions）和{BulkBatch.KEEP_DAYS}天前的批量处理记录，"
        "删除保留期（LOGIN_LOG_KEEP_DAYS，默认180天）之前的登录日志（axes_reset_logs）；"
        "设置了 SMS_KEEP_DAYS 或 EXPORT_JOB_KEEP_DAYS 时，删除超过保留期、已发送或已失败的"
        "短信和已结束的导出任务记录（排队中、发送中的短信和进行中的导出任务不删除）；"
        "删除已删除个人信息人员删除时尚未发出的短信，"
        "并记一条审计记录。每天运行一次。"
    )

    def handle(self, *args, **options):
        # Expired sessions stay in the database store until someone clears them.
        call_command("clearsessions")
        # 批量处理's batches (their results, their used tokens) with them: like a session's,
        # state of a person's work, not a record (the audit trail keeps each batch's line).
        now = timezone.now()
        batches, _ = BulkBatch.objects.filter(
            created_at__lt=now - datetime.timedelta(days=BulkBatch.KEEP_DAYS)
        ).delete()
        days = settings.LOGIN_LOG_KEEP_DAYS
        cutoff = now - datetime.timedelta(days=days)
        # axes' own command deletes them; it prints English, so the count is taken here.
        old = AccessLog.objects.filter(attempt_time__lte=cutoff).count()
        call_command("axes_reset_logs", age=days, stdout=io.StringIO())
        self.stdout.write(
            f"已清理过期会话，删除{BulkBatch.KEEP_DAYS}天前的批量处理记录{batches}条，"
            f"删除{days}天前的登录日志{old}条。"
        )
        purged = self.purge_kept_rows()
        if purged:
            self.stdout.write("删除" + "，".join(purged) + "。")

    def purge_kept_rows(self) -> list[str]:
        """SMS and 导出任务 rows past SMS_KEEP_DAYS and EXPORT_JOB_KEEP_DAYS (experts deletes
        its own through accounts.signals.housekeeping), with one audit event of the counts in
        the same transaction; nothing, and no event, while both keep rows for good."""
        now = timezone.now()
        with transaction.atomic():
            done = []
            if settings.SMS_KEEP_DAYS is not None:
                before = now - datetime.timedelta(days=settings.SMS_KEEP_DAYS)
                done.append(("短信", settings.SMS_KEEP_DAYS, outbox.purge(before)))
            for _, deleted in signals.housekeeping.send(sender=self.__class__, now=now):
                done += deleted
            purged = [
                f"{days}天前的{what}{count}条" if days is not None else f"{what}{count}条"
                for what, days, count in done
            ]
            if purged:
                record(
                    AuditEvent.Action.PURGE,
                    username="housekeeping",
                    role=SYSTEM_ROLE,
                    detail="按保留期删除：" + "，".join(purged),
                )
        return purged
