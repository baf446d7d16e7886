"""Calendar arithmetic in years and months: the one place that decides what becomes of a day
the target month lacks (29 February in a common year, 31 March less one month).

The rule: such a day falls between the last day of its month and the first day of the next.
It has not come on the month's last day, and it has passed on the next month's first day.
Each helper below follows from it:

- `anniversary`: the day on which whole years (months) have passed since a day, so the first of
  the next month when the same day is missing. A person born on 29 February is a year older on
  1 March in a common year (`full_years` counts so), 年满14周岁 likewise; a 年度确认 of
  29 February 2024 is 24 months old on 1 March 2026.
- `months_before`: the other way, the last day `months` calendar months back whose
  anniversary has come by `day`, so the month's last day when the same day is missing (31 March
  less one month: 28 or 29 February). `anniversary(d, months=n) <= day` exactly when
  `d <= months_before(day, n)`: a query over stored dates (born_by, freeze_before) asks with
  `months_before` what `anniversary` and `full_years` answer for one person.
- `period_end`: the last day of a period of years (months) that starts after a given day (a
  禁入 decided today). A 禁入 is a period a rule sets, so it is counted as the Civil Code counts
  one (民法典 第二百零一条、第二百零二条): the day it is decided does not count, and the period
  ends on the same-numbered day of its last month, or on that month's last day when it has
  none. A 1-year 禁入 from 2025-03-10 ends on 2026-03-10, and one from 2024-02-29 on
  2025-02-28. The person may apply again from the next day, 1 March: the day the 29 February
  anniversary comes under the rule above. Ending it on 1 March would keep them out one day
  longer than the period so read.
"""

import calendar
import datetime


def _month_index(day: datetime.date, months: int) -> tuple[int, int]:
    """(year, month) `months` calendar months after `day`'s month (before, when negative)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return year, month + 1


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def anniversary(day: datetime.date, *, years: int = 0, months: int = 0) -> datetime.date:
    """The day on which `years` years and `months` months have passed since `day`: the same day
    of the month, or the first day of the next month when that month has no such day
    (2024-02-29 + 1 year: 2025-03-01; 2025-01-31 + 1 month: 2025-03-01)."""
    year, month = _month_index(day, 12 * years + months)
    if day.day <= _last_day(year, month):
        return datetime.date(year, month, day.day)
    return datetime.date(year, month, _last_day(year, month)) + datetime.timedelta(days=1)


def months_before(day: datetime.date, months: int) -> datetime.date:
    """`day` moved back `months` calendar months, to the month's last day when that month has
    no such day (2025-03-31 less one month: 2025-02-28; 2025-01-15 less one: 2024-12-15). The
    latest day whose `anniversary` after `months` months has come by `day`."""
    year, month = _month_index(day, -months)
    return datetime.date(year, month, min(day.day, _last_day(year, month)))


def period_end(day: datetime.date, *, years: int = 0, months: int = 0) -> datetime.date:
    """The last day of a period of `years` years and `months` months starting after `day` (the
    Civil Code's count, see the module's docstring): the same day of its last month, else that
    month's last day (2025-03-10 + 1 year: 2026-03-10; 2024-02-29 + 1 year: 2025-02-28)."""
    return months_before(day, -(12 * years + months))


def full_years(start: datetime.date, on: datetime.date) -> int:
    """Whole years from `start` to `on`, as a person's age is counted: a person born on
    1961-06-01 is 65 on 2026-06-01 and still 65 on 2027-05-31; one born on 29 February turns a
    year older on 1 March in a common year (`anniversary`)."""
    return on.year - start.year - ((on.month, on.day) < (start.month, start.day))


def full_months(start: datetime.date, on: datetime.date) -> int:
    """Whole calendar months from `start` to `on`: 11 from 2024-03-31 on 2025-03-01 (its
    11-month `anniversary`), still 10 on 2025-02-28."""
    months = (on.year - start.year) * 12 + on.month - start.month
    if anniversary(start, months=months) > on:
        months -= 1
    return months


def chinese_date(day: datetime.date) -> str:
    """A day as Chinese prose writes it, without leading zeros: 2026年11月1日. Every SMS, the
    入库证明 and the reminders' digest write a day so (a form's field or a list's column writes
    2026-11-01)."""
    return f"{day.year}年{day.month}月{day.day}日"
