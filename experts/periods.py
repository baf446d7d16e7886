"""年度确认's periods: an admitted expert confirms their information at least every 12 months;
11 months after the last confirmation they are reminded, 24 months after it they are frozen
(experts.lifecycle). No model imports: experts.models asks `freeze_before` too."""

import datetime

from django.utils import timezone

from portal.dates import anniversary, full_months, months_before

# Every message that names these periods reads them from here when it is written, so changing
# a figure changes what people are told.
CONFIRM_EVERY_MONTHS = 12
REMIND_AFTER_MONTHS = CONFIRM_EVERY_MONTHS - 1  # a month before the confirmation is due
FREEZE_AFTER_MONTHS = 24


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def remind_before(today: datetime.date | None = None) -> datetime.datetime:
    """A confirmation before this moment is due for its reminder today: on the day the
    confirmation's REMIND_AFTER_MONTHS `anniversary` comes (portal.dates: one of 31 March is
    due on 1 March, February having no 31st)."""
    return _start_of(
        months_before(today or timezone.localdate(), REMIND_AFTER_MONTHS)
        + datetime.timedelta(days=1)
    )


def freeze_before(today: datetime.date | None = None) -> datetime.datetime:
    """A confirmation before this moment has lapsed: the expert is frozen today, the day its
    FREEZE_AFTER_MONTHS `anniversary` comes (portal.dates: one of 29 February 2024 on
    1 March 2026)."""
    return _start_of(
        months_before(today or timezone.localdate(), FREEZE_AFTER_MONTHS)
        + datetime.timedelta(days=1)
    )


def full_months_since(moment: datetime.datetime, today: datetime.date | None = None) -> int:
    """How many whole calendar months have passed from `moment` to today: 11 or more on every
    day the reminder is due (remind_before), as the reminder counts them."""
    return full_months(timezone.localdate(moment), today or timezone.localdate())


def frozen_on(moment: datetime.datetime) -> datetime.date:
    """The day the daily run freezes an expert last confirmed at `moment` (freeze_before): its
    FREEZE_AFTER_MONTHS `anniversary`, 2026-12-08 for a confirmation of 2024-12-08."""
    return anniversary(timezone.localdate(moment), months=FREEZE_AFTER_MONTHS)


def confirm_by(moment: datetime.datetime, today: datetime.date | None = None) -> datetime.date:
    """The day before which an expert last confirmed at `moment` is asked to confirm (the
    reminder, the home page's banner): the confirmation's CONFIRM_EVERY_MONTHS `anniversary`,
    or, once that has come, the day they are frozen on."""
    due = anniversary(timezone.localdate(moment), months=CONFIRM_EVERY_MONTHS)
    return due if due > (today or timezone.localdate()) else frozen_on(moment)
