"""A one-off after upgrading from a release without 年度确认: python manage.py
start_confirmation_clock [--date YYYY-MM-DD] [--dry-run] (docs/deployment.md, Upgrading)."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from experts import lifecycle
from experts.management.arguments import command_day


class Command(BaseCommand):
    help = (
        "升级后一次性运行：年度确认从指定日期（默认今天）零时起算。最近确认时间早于该时间的"
        "审核通过专家，最近确认时间改为该时间，已发的年度确认提醒一并清除；每人记一条审计记录。"
        "不发短信；同一天重复运行不再改动。在启动每日任务（review_confirmations）之前运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=command_day(future=False),
            help="从该日零时起算（YYYY-MM-DD，不晚于今天），默认今天",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="试运行：只报告将改动的人数，不做任何更改。"
        )

    def handle(self, *args, **options):
        day = options["date"] or timezone.localdate()
        # From the start of the day: a second run that day finds nobody before it, and an
        # expert who confirmed earlier today keeps their own confirmation.
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        if options["dry_run"]:
            count = lifecycle.clock_to_start(moment).count()
            self.stdout.write(
                f"试运行：将有 {count} 位审核通过的专家的年度确认改为从{day}起算；未做任何更改。"
            )
            return
        changed = lifecycle.start_clock(moment)
        self.stdout.write(f"已将 {changed} 位审核通过的专家的年度确认改为从{day}起算。")
