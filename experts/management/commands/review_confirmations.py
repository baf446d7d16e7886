"""年度确认, daily: python manage.py review_confirmations [--date YYYY-MM-DD] (see the README's
cron line; experts.lifecycle says what it does)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from experts import lifecycle, periods
from experts.management.arguments import command_day


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return (
            f"年度确认：满{periods.REMIND_AFTER_MONTHS}个月未确认的专家发送短信提醒，"
            f"满{periods.FREEZE_AFTER_MONTHS}个月未确认的专家冻结。重复运行不会重复提醒或冻结。"
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=command_day(future=True),
            help="按指定日期运行（YYYY-MM-DD），默认今天；今天以后的日期只用于试运行（--dry-run）",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="试运行：列出将被冻结和将收到提醒的专家，不冻结、不发短信、不做任何更改。",
        )

    def handle(self, *args, **options):
        today = options["date"]
        if options["dry_run"]:
            self.dry_run(today)
            return
        # A real run dated ahead would text people of months they have not reached, and a
        # mistyped year would do so to hundreds (found by a December walk); a rehearsal of a
        # future day is what --dry-run is for.
        if today is not None and today > timezone.localdate():
            raise CommandError(
                f"日期“{today}”晚于今天：只有试运行（--dry-run）可以指定今天以后的日期。"
            )
        done = lifecycle.run(today)
        self.stdout.write(f"冻结 {done['frozen']} 人，发送年度确认提醒 {done['reminded']} 人。")

    def dry_run(self, today) -> None:
        frozen, reminded = lifecycle.preview(today)
        for verb, applications in (("将冻结", frozen), ("将提醒", reminded)):
            for application in applications:
                confirmed = timezone.localtime(application.confirmed_at)
                self.stdout.write(
                    f"{verb}：{application.user.real_name}（申请编号{application.pk}，"
                    f"最近确认{confirmed:%Y-%m-%d}）"
                )
        self.stdout.write(
            f"试运行：将冻结 {len(frozen)} 人，将发送年度确认提醒 {len(reminded)} 人；"
            "未做任何更改。"
        )
