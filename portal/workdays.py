"""Chinese working days, with 调休 (make-up workdays on weekends, holidays on weekdays), from the
chinesecalendar package. The package knows the years the State Council has announced; beyond
its last year, Monday to Friday are working days. Operators see which year that is (admin index,
/healthz), so that someone upgrades the package each December when the next year is announced."""

import datetime
from functools import cache

import chinese_calendar
from chinese_calendar import constants


@cache
def known_years() -> range:
    """The years whose holidays and make-up workdays the installed package knows."""
    years = [day.year for day in constants.holidays]
    return range(min(years), max(years) + 1)


def last_known_year() -> int:
    return known_years()[-1]


def is_workday(day: datetime.date) -> bool:
    if day.year not in known_years():
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package leaves out: never crash on a date
        return day.weekday() < 5


def add_workdays(start: datetime.date, count: int) -> datetime.date:
    """The `count`th working day after `start` (start itself is not counted): submitted on
    Friday with 2 working days, due on Tuesday."""
    day = start
    remaining = count
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """The working days after `start` up to and including `end` (0 when `end` is not after it):
    how long something has waited, on the same calendar as its deadline."""
    days = (end - start).days
    return sum(1 for n in range(1, days + 1) if is_workday(start + datetime.timedelta(days=n)))


def calendar_status(today: datetime.date) -> dict:
    """For operators: until which year 调休 is known, and whether dates now in use fall beyond."""
    last = last_known_year()
    # Deadlines reach a few weeks ahead: in December they already fall in the next year.
    fallback = today.year + 1 > last
    message = f"工作日历（chinesecalendar）已知至{last}年"
    if fallback:
        message += (
            f"；{last + 1}年起按周一至周五计算工作日（截止日期标“暂估”），请在国务院公布放假安排后"
            "升级 chinesecalendar，再运行 python manage.py recompute_deadlines"
        )
    return {"last_known_year": last, "fallback_in_use": fallback, "message": message + "。"}
