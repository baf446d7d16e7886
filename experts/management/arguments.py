"""Arguments the management commands share, checked by argparse: a bad value ends the command
with a usage error in Chinese (CommandError under call_command), before it does anything, and
never with a traceback."""

import argparse
import calendar
import datetime
import re

from django.utils import timezone

from portal.dates import period_end

# Nothing in the portal predates it: an earlier day is a typing error (0001-01-01 once ended
# review_confirmations with "ValueError: year -1 is out of range", counting 24 months back).
EARLIEST_DAY = datetime.date(2000, 1, 1)
# Exactly YYYY-MM-DD in ASCII digits: date.fromisoformat also takes 20261207 and 2026-W49-1.
DAY_FORMAT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def command_day(*, future: bool):
    """An argparse `type` for a --date: a day written YYYY-MM-DD, from EARLIEST_DAY to today, or
    with `future` to a year from today (a run dated ahead, as the reminders' help describes;
    further ahead it would tell people of deadlines years away as passed)."""

    def parse(value: str) -> datetime.date:
        match = DAY_FORMAT.fullmatch(value)
        if match is None:
            raise argparse.ArgumentTypeError(
                f"日期“{value}”格式不对，应为YYYY-MM-DD格式，例如2026-12-04。"
            )
        year, month, day = (int(part) for part in match.groups())
        if not 1 <= month <= 12:
            raise argparse.ArgumentTypeError(f"日期“{value}”不存在：月份应为01至12。")
        if year < EARLIEST_DAY.year:
            raise argparse.ArgumentTypeError(f"日期“{value}”过早，不能早于{EARLIEST_DAY}。")
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            raise argparse.ArgumentTypeError(
                f"日期“{value}”不存在：{year}年{month}月只有{days}天。"
            )
        chosen = datetime.date(year, month, day)
        today = timezone.localdate()
        latest = period_end(today, years=1) if future else today
        if chosen > latest:
            raise argparse.ArgumentTypeError(
                f"日期“{value}”不能晚于一年后（{latest}）。"
                if future
                else f"日期“{value}”不能晚于今天（{today}）。"
            )
        return chosen

    return parse
