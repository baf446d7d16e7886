"""Daily housekeeping: python manage.py housekeeping (the reminders service runs it after
review_confirmations; see the README's cron line for host installs)."""

import datetime
import io

from axes.models import AccessLog
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "日常清理：删除已过期的会话（clearsessions），删除保留期（LOGIN_LOG_KEEP_DAYS，"
        "默认180天）之前的登录日志（axes_reset_logs）。每天运行一次。"
    )

    def handle(self, *args, **options):
        # Expired sessions stay in the database store until someone clears them.
        call_command("clearsessions")
        days = settings.LOGIN_LOG_KEEP_DAYS
        cutoff = timezone.now() - datetime.timedelta(days=days)
        # axes' own command deletes them; it prints English, so the count is taken here.
        old = AccessLog.objects.filter(attempt_time__lte=cutoff).count()
        call_command("axes_reset_logs", age=days, stdout=io.StringIO())
        self.stdout.write(f"已清理过期会话，删除{days}天前的登录日志{old}条。")
