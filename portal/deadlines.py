"""When each waiting item is due, in Chinese working days (portal.workdays).

- a unit's registration: REGISTRATION_WORKING_DAYS after it was submitted (the manual's promise);
- a recommendation (待单位推荐): UNIT_REVIEW_WORKING_DAYS after 提交;
- a bureau decision (待科技局审核): BUREAU_REVIEW_WORKING_DAYS after the recommendation.

A 信息变更 request waits the same way: its unit confirms as a unit recommends
(recommendation_due, from 提交 or 修改), the bureau decides as it decides (decision_due, from
the unit's 确认).

The date is stored on the row (`due_on`) when it starts waiting and cleared when it stops, so that
lists sort, filter and count overdue rows along an index, with no calendar work per row. An item
is overdue from the day after its due date.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from portal.workdays import add_workdays, last_known_year

# 单位注册审核: "审核一般在2个工作日内" (the manual).
REGISTRATION_WORKING_DAYS = 2


# A wait begins at a moment (a datetime, taken on the local calendar), on a day, or now (None).
Start = datetime.datetime | datetime.date | None


def start_day(start: Start) -> datetime.date:
    """The day a wait began, from which its working days are counted."""
    if start is None:
        return timezone.localdate()
    if isinstance(start, datetime.datetime):
        return timezone.localdate(start)
    return start


def _due(start: Start, working_days: int) -> datetime.date:
    return add_workdays(start_day(start), working_days)


def registration_due(submitted: Start = None) -> datetime.date:
    return _due(submitted, REGISTRATION_WORKING_DAYS)


def recommendation_due(submitted: Start = None) -> datetime.date:
    return _due(submitted, settings.UNIT_REVIEW_WORKING_DAYS)


def decision_due(recommended: Start = None) -> datetime.date:
    return _due(recommended, settings.BUREAU_REVIEW_WORKING_DAYS)


def is_overdue(due_on: datetime.date | None, today: datetime.date | None = None) -> bool:
    return due_on is not None and due_on < (today or timezone.localdate())


def is_estimate(due_on: datetime.date | None) -> bool:
    """Whether `due_on` lies beyond the years the working-day calendar knows, where Monday to
    Friday stood in for the holidays (portal.workdays): the lists say 暂估 beside it, until the
    calendar is upgraded and `recompute_deadlines` run."""
    return due_on is not None and due_on.year > last_known_year()
