"""年度确认's periods: an admitted expert confirms their information at least every 12 months;
11 months after the last confirmation they are reminded, 24 months after it they are frozen
(experts.lifecycle). No model imports: experts.models asks `freeze_before` too."""

import calendar
import datetime

from django.utils import timezone

REMIND_AFTER_MONTHS = 11
FREEZE_AFTER_MONTHS = 24


def months_before(day: datetime.date, months: int) -> datetime.date:
    """`day` moved back `months` calendar months (31 March less one month: 28/29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def remind_before(today: datetime.date | None = None) -> datetime.datetime:
    """A confirmation before this moment is due for its reminder today."""
    return _start_of(
        months_before(today or timezone.localdate(), REMIND_AFTER_MONTHS)
        + datetime.timedelta(days=1)
    )


def freeze_before(today: datetime.date | None = None) -> datetime.datetime:
    """A confirmation before this moment has lapsed: the expert is frozen today."""
    return _start_of(
        months_before(today or timezone.localdate(), FREEZE_AFTER_MONTHS)
        + datetime.timedelta(days=1)
    )


def full_months_since(moment: datetime.datetime, today: datetime.date | None = None) -> int:
    """How many whole calendar months have passed from `moment` to today: 11 or more on every
    day the reminder is due (remind_before), as the reminder counts them."""
    today = today or timezone.localdate()
    since = timezone.localdate(moment)
    months = (today.year - since.year) * 12 + today.month - since.month
    if months_before(today, months) < since:
        months -= 1
    return months
