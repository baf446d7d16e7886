"""The daily reminders of overdue work (experts.reminders): run once a day by cron, or keep
running with --daily-at (the reminders service in docker-compose.yml)."""

import datetime
import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils import timezone

from experts.management.arguments import command_day
from experts.reminders import next_run, send_reminders, summary

logger = logging.getLogger(__name__)

# After a database outage in --daily-at mode, the day's run is tried again this much later.
RETRY_SECONDS = 300


def clock_time(value: str) -> datetime.time:
    try:
        return datetime.time.fromisoformat(value)
    except ValueError:
        raise CommandError(f"时间“{value}”无效，应为HH:MM格式，例如08:30。") from None


class Command(BaseCommand):
    help = (
        "发送超期提醒：有超期“待单位推荐”申请或超期“待单位确认”信息变更的单位，"
        "其联系人收到一条短信（含份数）；科技局审核员收到一封超期待办摘要邮件"
        "（超期的单位注册审核、待科技局审核的专家申请和信息变更，附链接）。"
        "每天运行一次；同一天再次运行不会重复发送。非工作日不发送，除非加 --force。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=command_day(future=False),
            help=(
                "按哪一天计算超期和记录提醒（YYYY-MM-DD，默认今天），用于补发。"
                "提醒按该日记录：对将来某天运行后，那一天的例行运行将不再发送。"
            ),
        )
        parser.add_argument("--force", action="store_true", help="非工作日（节假日、周末）也发送。")
        parser.add_argument(
            "--daily-at",
            metavar="HH:MM",
            help=(
                "一直运行，每天在该北京时间（例如08:30；按设置 TIME_ZONE，即 Asia/Shanghai，"
                "与服务器时钟所设的时区无关）做一次当天的例行任务：发送超期提醒，"
                "然后运行年度确认（review_confirmations）和日常清理（housekeeping），"
                "提醒摘要发送失败时也照常运行；启动时若已过该时间，立即补做当天的任务"
                "（当天已发送的不会重复）。"
            ),
        )

    def handle(self, *args, **options):
        day = options["date"]
        if options["daily_at"]:
            if day is not None:
                raise CommandError("--date 与 --daily-at 不能同时使用。")
            self.daily(clock_time(options["daily_at"]), options["force"])
        else:
            self.run_once(day, options["force"])

    def run_once(self, day: datetime.date | None, force: bool) -> None:
        outcome = send_reminders(day, force=force)
        line = summary(outcome)
        if outcome.failed:
            # Printed, and a non-zero exit so that cron tells someone.
            raise CommandError(line)
        self.stdout.write(line)

    def daily_round(self, force: bool) -> None:
        """One day's jobs: the reminders, then 年度确认 (review_confirmations) and the
        housekeeping, which run whatever became of the reminders' digest."""
        try:
            self.run_once(None, force)
        except CommandError as error:
            # The digest failed (its row says so in admin) or had nobody to go to. Its own
            # failure must not cost the experts' reminders and freezes of the day.
            self.stderr.write(str(error))
            self.stderr.write(
                "年度确认照常运行。摘要邮件可在今天内再次运行 send_reminders 重发"
                "（docker compose run --rm reminders python manage.py send_reminders）。"
            )
        call_command("review_confirmations", stdout=self.stdout)
        # Expired sessions and old login records (what cron's line runs on a host install).
        call_command("housekeeping", stdout=self.stdout)

    def wait(self, seconds: float) -> None:
        """Until the next run."""
        time.sleep(seconds)

    def daily(self, at: datetime.time, force: bool) -> None:
        # Started (or restarted) after the hour: today's run may be missing; a run that
        # already happened today sends nothing again, so catching up is always safe.
        due = timezone.localtime().time() >= at
        while True:
            if due:
                close_old_connections()
                try:
                    self.daily_round(force)
                except (OperationalError, InterfaceError) as error:
                    logger.warning("Reminders: database unavailable; retrying", exc_info=True)
                    self.stderr.write(f"数据库暂时不可用，{RETRY_SECONDS}秒后重试：{error}")
                    self.wait(RETRY_SECONDS)
                    continue
            due = True
            now = timezone.localtime()
            upcoming = next_run(at, now)
            # Said once before each wait, so that a service just started, and silent until
            # its hour, shows in its log that it is waiting and for when.
            self.stdout.write(f"下次运行：{upcoming:%Y-%m-%d %H:%M}（北京时间）")
            self.wait((upcoming - now).total_seconds())
