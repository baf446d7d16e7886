"""Recompute the 截止日期 of every waiting item after the working-day calendar changed (each
December, once chinesecalendar is upgraded with the next year's holidays: docs/deployment.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from experts import due_dates
from portal.workdays import last_known_year


class Command(BaseCommand):
    help = (
        "按当前工作日历重新计算待审核事项（单位注册、待单位推荐、待科技局审核、信息变更）的截止日期，"
        "各事项保持原定的工作日数；升级 chinesecalendar 后运行一次，可重复运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将变更的条数，不写入")
        parser.add_argument(
            "--year",
            type=int,
            help=(
                "只重新计算截止日期在该年及以后的事项（默认：工作日历已知的最后一年，即刚载入的"
                "年份）：这些截止日期设定时，该年起按周一至周五（除法定节假日及其补假）估算；"
                "更早的截止日期按已知日历计算，保持不变"
            ),
        )

    def handle(self, *args, dry_run=False, year=None, **options):
        year = last_known_year() if year is None else year
        if not 2000 <= year <= last_known_year() + 1:
            raise CommandError(f"年份{year}无效：应在2000至{last_known_year() + 1}之间。")
        result = due_dates.recompute(from_year=year, dry_run=dry_run)
        verb = "将变更" if dry_run else "已变更"
        earlier = ""
        if result.recomputed_at is not None:
            at = timezone.localtime(result.recomputed_at).strftime("%Y-%m-%d %H:%M")
            earlier = (
                f"{result.from_year - 1}年及以前的截止日期已于{at}按当前工作日历重新计算，"
                "不再变更。"
            )
        self.stdout.write(
            f"工作日历已知至{last_known_year()}年。{earlier}"
            f"检查截止日期在{result.from_year}年及以后的待审核事项{result.checked}条，"
            f"{verb}截止日期：专家申请{result.applications}条，单位注册{result.units}条，"
            f"信息变更{result.changes}条。"
        )
