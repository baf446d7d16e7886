"""Chinese working days, with 调休 (make-up workdays on weekends, holidays on weekdays), from the
chinesecalendar package. The package knows the years the State Council has announced; beyond
its last year, Monday to Friday are working days but for the statutory holidays, whose dates
the law fixes (statutory_holidays), and the days the law gives in lieu of those falling on a
weekend (estimated_days_off); only that year's 调休 is unknown. Operators see which year
that is (admin index, /healthz), so that someone upgrades the package each December when the
next year is announced."""

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


# 正月初一, 五月初五 and 八月十五 of each year, as month-day: the lunar holidays' dates, which
# no formula gives. Facts of the calendar, written out once (from the lunar calendar's tables)
# and checked against chinesecalendar in every year it knows (tests/test_workdays.py).
LUNAR_HOLIDAYS = {
    2025: ("01-29", "05-31", "10-06"),
    2026: ("02-17", "06-19", "09-25"),
    2027: ("02-06", "06-09", "09-15"),
    2028: ("01-26", "05-28", "10-03"),
    2029: ("02-13", "06-16", "09-22"),
    2030: ("02-03", "06-05", "09-12"),
    2031: ("01-23", "06-24", "10-01"),
    2032: ("02-11", "06-12", "09-19"),
    2033: ("01-31", "06-01", "09-08"),
    2034: ("02-19", "06-20", "09-27"),
    2035: ("02-08", "06-10", "09-16"),
    2036: ("01-28", "05-30", "10-04"),
    2037: ("02-15", "06-18", "09-24"),
    2038: ("02-04", "06-07", "09-13"),
    2039: ("01-24", "05-27", "10-02"),
    2040: ("02-12", "06-14", "09-20"),
    2041: ("02-01", "06-03", "09-10"),
    2042: ("01-22", "06-22", "09-28"),
    2043: ("02-10", "06-11", "09-17"),
    2044: ("01-30", "05-31", "10-05"),
    2045: ("02-17", "06-19", "09-25"),
    2046: ("02-06", "06-08", "09-15"),
    2047: ("01-26", "05-29", "10-04"),
    2048: ("02-14", "06-15", "09-22"),
    2049: ("02-02", "06-04", "09-11"),
    2050: ("01-23", "06-23", "09-30"),
    2051: ("02-11", "06-13", "09-19"),
    2052: ("02-01", "06-01", "09-07"),
    2053: ("02-19", "06-20", "09-26"),
    2054: ("02-08", "06-10", "09-16"),
    2055: ("01-28", "05-30", "10-05"),
    2056: ("02-15", "06-17", "09-24"),
    2057: ("02-04", "06-06", "09-13"),
    2058: ("01-24", "06-25", "10-02"),
    2059: ("02-12", "06-14", "09-21"),
    2060: ("02-02", "06-03", "09-09"),
}


@cache
def statutory_holidays(year: int) -> frozenset[datetime.date]:
    """The days off 《全国年节及纪念日放假办法》 gives every year (as revised in 2024, in force
    from 2025): 元旦 1 January; 春节 农历除夕 to 正月初三; 清明 (the solar term's day); 劳动节
    1 and 2 May; 端午 五月初五; 中秋 八月十五; 国庆 1 to 3 October. Not the year's 调休, which
    the State Council announces each autumn (chinesecalendar has it once released). 清明 is
    known to 2100 (chinesecalendar's solar terms), the lunar days to 2060 (LUNAR_HOLIDAYS);
    beyond, only the fixed ones."""
    return frozenset(holidays_by_law(year))


def holidays_by_law(year: int) -> list[datetime.date]:
    """statutory_holidays' days, holiday by holiday: a day twice when two holidays fall on it
    (中秋 on one of 国庆's days, as in 2028 and 2031)."""
    date = datetime.date
    days = [date(year, 1, 1), date(year, 5, 1), date(year, 5, 2)]
    days += [date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)]
    try:
        april = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        days += [day for day, name in april if name == "清明"]
    except NotImplementedError:  # beyond its table (1900-2100): never crash on a date
        pass
    if year in LUNAR_HOLIDAYS:
        spring, dragon_boat, mid_autumn = (
            date.fromisoformat(f"{year}-{month_day}") for month_day in LUNAR_HOLIDAYS[year]
        )
        days += [spring + datetime.timedelta(days=n) for n in (-1, 0, 1, 2)]  # 除夕 to 初三
        days += [dragon_boat, mid_autumn]
    return days


@cache
def estimated_days_off(year: int) -> frozenset[datetime.date]:
    """The statutory holidays and, for each that falls on a Saturday or Sunday or on another
    holiday, a day off in lieu (补假, which the law requires: 《全国年节及纪念日放假办法》):
    the first weekday after it that is not off already. The State Council's announcement may
    name another day and adds make-up Saturdays to join the days into a long break; that moves
    days off but keeps their number, so a count of working days rarely changes."""
    days = holidays_by_law(year)
    off = set(days)
    seen = set()
    for day in sorted(days):
        lost = day.weekday() >= 5 or day in seen
        seen.add(day)
        if lost:
            substitute = day + datetime.timedelta(days=1)
            while substitute.weekday() >= 5 or substitute in off:
                substitute += datetime.timedelta(days=1)
            off.add(substitute)
    return frozenset(off)


def is_workday(day: datetime.date, *, known_until: int | None = None) -> bool:
    """Whether `day` is a working day on the installed calendar or, given `known_until`, on
    the calendar as it was when it knew the years up to that one only (estimated_workday
    beyond): what a date stored back then was counted on (experts.due_dates)."""
    if day.year not in known_years() or (known_until is not None and day.year > known_until):
        return estimated_workday(day)
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package leaves out: never crash on a date
        return estimated_workday(day)


def estimated_workday(day: datetime.date) -> bool:
    """Monday to Friday, but for the statutory holidays and their days in lieu: a year whose
    调休 is not known."""
    return day.weekday() < 5 and day not in estimated_days_off(day.year)


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


def workdays_between(
    start: datetime.date, end: datetime.date, *, known_until: int | None = None
) -> int:
    """The working days after `start` up to and including `end` (0 when `end` is not after it):
    how long something has waited, on the same calendar as its deadline. With `known_until`,
    counted on the calendar that knew the years up to that one only (is_workday): how many
    working days a due date set back then was given."""
    days = (end - start).days
    return sum(
        1
        for n in range(1, days + 1)
        if is_workday(start + datetime.timedelta(days=n), known_until=known_until)
    )


def calendar_status(today: datetime.date) -> dict:
    """For operators: until which year 调休 is known, and whether dates now in use fall beyond."""
    last = last_known_year()
    # Deadlines reach a few weeks ahead: in December they already fall in the next year.
    fallback = today.year + 1 > last
    message = f"工作日历（chinesecalendar）已知至{last}年"
    if fallback:
        message += (
            f"；{last + 1}年起按周一至周五（除法定节假日及其补假，调休未计）计算工作日"
            "（截止日期标“暂估”），请在国务院公布放假安排后升级 chinesecalendar，"
            "再运行 python manage.py recompute_deadlines"
        )
    return {"last_known_year": last, "fallback_in_use": fallback, "message": message + "。"}
