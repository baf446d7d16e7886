"""The daily reminders of overdue work (experts.reminders): run once a day, e.g. by cron."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from experts.reminders import send_reminders, summary


def local_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期“{value}”无效，应为YYYY-MM-DD格式，例如2026-12-04。") from None


class Command(BaseCommand):
    help = (
        "发送超期提醒：有超期“待单位推荐”申请的单位，其联系人收到一条短信（含份数）；"
        "科技局审核员收到一封超期待办摘要邮件（超期的单位注册审核和待科技局审核，附链接）。"
        "每天运行一次；同一天再次运行不会重复发送。非工作日不发送，除非加 --force。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=str,
            help="按哪一天计算超期和记录提醒（YYYY-MM-DD，默认今天），用于补发或测试。",
        )
        parser.add_argument("--force", action="store_true", help="非工作日（节假日、周末）也发送。")

    def handle(self, *args, **options):
        day = local_date(options["date"]) if options["date"] else None
        outcome = send_reminders(day, force=options["force"])
        line = summary(outcome)
        if outcome.digest_error:
            # Printed, and a non-zero exit so that cron tells someone.
            raise CommandError(line)
        self.stdout.write(line)
