"""The 公示期 (notice period) in Chinese working days: a leaf module with no model, read by the
public page, the bureau's detail page and experts.services (which refuses a 撤销入库 after it).

An expert approved on day D is on notice from D to the PUBLIC_NOTICE_DAYS-th working day after
D (portal.workdays.add_workdays; D itself does not count, as a decision at 16:50 leaves no day
to object in). With 5 days, approved on a Friday: until the next Friday; before a week of
holidays, the period runs past them.
"""

import datetime
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from portal.dates import chinese_date
from portal.workdays import add_workdays


def enabled() -> bool:
    """Whether this bureau uses 公示 at all (PUBLIC_NOTICE_ENABLED)."""
    return settings.PUBLIC_NOTICE_ENABLED


@lru_cache(maxsize=512)
def _ends(decided_on: datetime.date, days: int) -> datetime.date:
    return add_workdays(decided_on, days)


def ends_on(decided_on: datetime.date, days: int | None = None) -> datetime.date:
    """The last day of the 公示期 of an approval on `decided_on`."""
    return _ends(decided_on, settings.PUBLIC_NOTICE_DAYS if days is None else days)


@lru_cache(maxsize=64)
def _first(today: datetime.date, days: int) -> datetime.date:
    day = today
    # Working backwards while the day before is still on notice today: a handful of steps
    # (days plus the weekends and holidays among them), each a few calendar look-ups.
    while _ends(day - datetime.timedelta(days=1), days) >= today:
        day -= datetime.timedelta(days=1)
    return day


def first_decision_day(today: datetime.date, days: int | None = None) -> datetime.date:
    """The earliest day of decision whose 公示期 still runs `today`: the public list is the
    approvals decided on that day or later."""
    return _first(today, settings.PUBLIC_NOTICE_DAYS if days is None else days)


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day`, in the portal's time zone (decided_at is stored in UTC)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class Period:
    starts: datetime.date
    ends: datetime.date
    running: bool  # today is within it


def period_of(decided_at: datetime.datetime | None, today: datetime.date | None = None):
    """The 公示期 of an approval decided at `decided_at`, or None without a decision time."""
    if decided_at is None:
        return None
    today = today or timezone.localdate()
    starts = timezone.localdate(decided_at)
    ends = ends_on(starts)
    return Period(starts, ends, starts <= today <= ends)


def running(decided_at: datetime.datetime | None, today: datetime.date | None = None):
    """The 公示期 still under way of an approval at `decided_at`: a Period, or None when it
    is over, or when this bureau does not use 公示."""
    if not enabled():
        return None
    period = period_of(decided_at, today)
    return period if period is not None and period.running else None


def over(decided_at: datetime.datetime | None, today: datetime.date | None = None) -> str:
    """ "" while the 公示期 of an approval at `decided_at` runs; else how a refusal says it is
    over (已于…结束, or 无记录 without a decision time)."""
    period = period_of(decided_at, today)
    if period is not None and period.running:
        return ""
    return f"已于{chinese_date(period.ends)}结束" if period else "无记录"
