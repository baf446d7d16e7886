"""Chinese working days, with 调休 (make-up workdays on weekends, holidays on weekdays), from the
chinesecalendar package. The package knows the years the State Council has announced; beyond
its last year, Monday to Friday are working days but for the statutory holidays, whose dates
the law fixes (statutory_holidays); only that year's 调休 is unknown. Operators see which year
that is (admin index, /healthz), so that someone upgrades the package each December when the
next year is announced."""

import datetime
from functools import cache

import chinese_calendar
from chinese_calendar import constants
from lunardate import LunarDate


@cache
def known_years() -> range:
    """The years whose holidays and make-up workdays the installed package knows."""
    years = [day.year for day in constants.holidays]
    return range(min(years), max(years) + 1)


def last_known_year() -> int:
    return known_years()[-1]


@cache
def statutory_holidays(year: int) -> frozenset[datetime.date]:
    """The days off 《全国年节及纪念日放假办法》 gives every year (as revised in 2024, in force
    from 2025): 元旦 1 January; 春节 农历除夕 to 正月初三; 清明 (the solar term's day); 劳动节
    1 and 2 May; 端午 五月初五; 中秋 八月十五; 国庆 1 to 3 October. Not the year's 调休, which
    the State Council announces each autumn (chinesecalendar has it once released). 清明 and
    the lunar days are known from 1900 to 2099 (chinesecalendar, lunardate); beyond, only the
    fixed ones."""
    date = datetime.date
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2)}
    days |= {date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)}
    try:
        april = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        days |= {day for day, name in april if name == "清明"}
        spring = LunarDate(year, 1, 1).toSolarDate()
        days |= {spring + datetime.timedelta(days=n) for n in (-1, 0, 1, 2)}
        days |= {LunarDate(year, 5, 5).toSolarDate(), LunarDate(year, 8, 15).toSolarDate()}
    except (NotImplementedError, ValueError):  # beyond their tables: never crash on a date
        pass
    return frozenset(days)


def is_workday(day: datetime.date) -> bool:
    if day.year not in known_years():
        return estimated_workday(day)
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package leaves out: never crash on a date
        return estimated_workday(day)


def estimated_workday(day: datetime.date) -> bool:
    """Monday to Friday, but for the statutory holidays: a year whose 调休 is not known."""
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


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
            f"；{last + 1}年起按周一至周五（除法定节假日，调休未计）计算工作日"
            "（截止日期标“暂估”），请在国务院公布放假安排后升级 chinesecalendar，"
            "再运行 python manage.py recompute_deadlines"
        )
    return {"last_known_year": last, "fallback_in_use": fallback, "message": message + "。"}
