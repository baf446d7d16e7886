"""Working days as the State Council announces them (issue 21, item 2)."""

import datetime

import chinese_calendar

from portal.workdays import (
    add_workdays,
    calendar_status,
    estimated_workday,
    is_workday,
    known_years,
    last_known_year,
    statutory_holidays,
    workdays_between,
)

D = datetime.date


def test_the_package_knows_2026_make_up_days_and_holidays():
    assert last_known_year() >= 2026
    assert is_workday(D(2026, 2, 14))  # a Saturday, worked for the Spring Festival
    assert is_workday(D(2026, 9, 20))  # a Sunday, worked for National Day
    assert not is_workday(D(2026, 10, 1))  # National Day, a Thursday
    assert not is_workday(D(2026, 2, 17))  # Spring Festival, a Tuesday
    assert is_workday(D(2026, 12, 4)) and not is_workday(D(2026, 12, 5))


def test_adding_working_days_skips_holidays_and_counts_make_up_days():
    assert add_workdays(D(2026, 12, 4), 2) == D(2026, 12, 8)  # Friday → Tuesday
    # Before National Day 2026: Wed 30 Sep, then 1–7 Oct off, Sat 10 Oct worked.
    assert add_workdays(D(2026, 9, 29), 1) == D(2026, 9, 30)
    assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_workdays(D(2026, 10, 9), 1) == D(2026, 10, 10)
    assert add_workdays(D(2026, 12, 4), 0) == D(2026, 12, 4)


def test_waiting_is_counted_on_the_same_calendar_as_the_deadlines():
    # National Day 2025: 1–8 Oct off, Sat 11 Oct worked; nothing was waited from 30 Sep to 8 Oct.
    assert workdays_between(D(2025, 9, 30), D(2025, 10, 8)) == 0
    assert workdays_between(D(2025, 9, 30), D(2025, 10, 11)) == 3  # Thu, Fri and the Saturday
    assert workdays_between(D(2026, 12, 4), D(2026, 12, 8)) == 2  # Friday → Tuesday
    assert workdays_between(D(2026, 12, 4), D(2026, 12, 4)) == 0
    assert workdays_between(D(2026, 12, 8), D(2026, 12, 4)) == 0  # backwards: nothing
    # Counting back is the inverse of the deadlines' counting forward.
    for start in (D(2026, 9, 25) + datetime.timedelta(days=n) for n in range(20)):
        assert workdays_between(start, add_workdays(start, 2)) == 2


def test_beyond_the_last_known_year_monday_to_friday_and_no_crash():
    year = last_known_year() + 1
    # The first Monday after 元旦, a statutory holiday.
    first_monday = next(D(year, 1, d) for d in range(2, 9) if D(year, 1, d).weekday() == 0)
    assert is_workday(first_monday)
    assert not is_workday(first_monday + datetime.timedelta(days=5))  # Saturday
    # Across the boundary: from the known year's last working day into the next year.
    assert add_workdays(first_monday, 5) == first_monday + datetime.timedelta(days=7)
    assert add_workdays(D(year + 30, 6, 1), 10).year == year + 30
    assert is_workday(D(1999, 1, 4))  # before the package's first year, too


def test_operators_are_told_when_the_fallback_is_in_use():
    last = last_known_year()
    status = calendar_status(D(last, 12, 4))
    assert status["fallback_in_use"] and f"{last + 1}年起按周一至周五" in status["message"]
    assert status["message"].endswith("再运行 python manage.py recompute_deadlines。")
    assert not calendar_status(D(last - 1, 6, 1))["fallback_in_use"]


def test_the_statutory_holidays_are_holidays_in_every_year_the_package_knows():
    """statutory_holidays stands in for the package beyond its years: in each year since the
    2024 revision of 《全国年节及纪念日放假办法》 that the package knows, every one of its 13
    days is a day off there too."""
    years = [year for year in known_years() if year >= 2025]
    assert years
    for year in years:
        days = statutory_holidays(year)
        # 13 days, or 12 where 中秋 falls within 国庆 (2028, 2031).
        assert len(days) in (12, 13), year
        assert [day for day in days if not chinese_calendar.is_holiday(day)] == [], year


def test_beyond_the_known_years_the_statutory_holidays_are_days_off():
    """Found by a dates walk: in December 2026 a deadline fell on 元旦 2027, and the Spring
    Festival counted as working days (2027 not yet in chinesecalendar)."""
    # Days off whether 2027 comes from the estimate or, once released, from the package.
    assert not is_workday(D(2027, 1, 1))  # 元旦, a Friday
    assert not is_workday(D(2027, 2, 5)) and not is_workday(D(2027, 2, 8))  # 除夕, 初三
    assert not is_workday(D(2027, 4, 5))  # 清明, a Monday
    assert not is_workday(D(2027, 6, 9)) and not is_workday(D(2027, 9, 15))  # 端午, 中秋
    assert not is_workday(D(2027, 10, 1))  # 国庆, a Friday
    # The estimate itself: no 调休 (Thursday 4 February, before 除夕, works).
    assert estimated_workday(D(2027, 2, 4)) and estimated_workday(D(2027, 5, 6))
    assert not estimated_workday(D(2027, 2, 5)) and not estimated_workday(D(2027, 5, 8))
    # Registered on Wednesday 30 December 2026: Thursday, then Monday 4 January.
    assert add_workdays(D(2026, 12, 30), 2) == D(2027, 1, 4)
    # Far beyond every table: the fixed days only, and no crash.
    assert not is_workday(D(2200, 1, 1)) and is_workday(D(2200, 1, 2))


def test_the_lunar_holidays_table_agrees_with_the_package():
    """LUNAR_HOLIDAYS is written out, not computed: in every year the package knows, its 春节,
    端午 and 中秋 are days off there (春节 with the day before it)."""
    from portal.workdays import LUNAR_HOLIDAYS

    years = [year for year in known_years() if year in LUNAR_HOLIDAYS]
    assert years
    for year in years:
        for month_day in LUNAR_HOLIDAYS[year]:
            day = D.fromisoformat(f"{year}-{month_day}")
            assert chinese_calendar.is_holiday(day), day
        spring = D.fromisoformat(f"{year}-{LUNAR_HOLIDAYS[year][0]}")
        assert chinese_calendar.is_holiday(spring - datetime.timedelta(days=1)), year


def test_a_holiday_on_a_weekend_or_on_another_holiday_gives_a_day_in_lieu():
    """The law makes up a holiday that falls on a Saturday or Sunday on a working day, and the
    estimate takes the first weekday after it; without that, a deadline in the fallback year
    fell on days the whole country had off (4 and 5 October 2027, 国庆 from Friday)."""
    assert not estimated_workday(D(2027, 10, 4)) and not estimated_workday(D(2027, 10, 5))
    assert estimated_workday(D(2027, 10, 6))
    assert not estimated_workday(D(2027, 5, 3)) and not estimated_workday(D(2027, 5, 4))
    assert not estimated_workday(D(2028, 1, 3))  # 元旦 2028 is a Saturday
    # 中秋 on 3 October 2028 (a Tuesday) and 1 October a Sunday: two days in lieu.
    assert not estimated_workday(D(2028, 10, 4)) and not estimated_workday(D(2028, 10, 5))
    assert estimated_workday(D(2028, 10, 6))
    # 中秋 on 1 October 2031, a Wednesday: one, after the weekend.
    assert not estimated_workday(D(2031, 10, 3)) and not estimated_workday(D(2031, 10, 6))
    assert estimated_workday(D(2031, 10, 7))


def test_the_days_in_lieu_are_days_off_in_every_year_the_package_knows():
    """Checked against the State Council's own arrangements where the package has them: every
    day the estimate gives in lieu was a day off (2025: 2 June after 端午 on a Saturday; 2026:
    6 April, 4 May, 5 October)."""
    from portal.workdays import estimated_days_off

    years = [year for year in known_years() if year >= 2025]
    in_lieu = [day for year in years for day in estimated_days_off(year) - statutory_holidays(year)]
    assert in_lieu
    assert [day for day in in_lieu if not chinese_calendar.is_holiday(day)] == []


def test_counted_as_the_calendar_was_before_it_learnt_a_year():
    """recompute_deadlines counts a due date set on the fallback back on the fallback: with
    `known_until` the years after it are estimated, whatever the installed package knows."""
    assert not is_workday(D(2026, 10, 6))  # 国庆 2026, as announced
    assert is_workday(D(2026, 10, 6), known_until=2025)  # the fallback: 1–3 Oct and Mon 5 Oct
    assert not is_workday(D(2026, 10, 5), known_until=2025)
    assert not is_workday(D(2026, 10, 10), known_until=2025)  # a Saturday, worked as announced
    assert is_workday(D(2025, 10, 6), known_until=2025) == is_workday(D(2025, 10, 6))
    # From Fri 25 Sep 2026 to Thu 15 Oct: 10 working days as announced, 11 on the fallback.
    assert workdays_between(D(2026, 9, 25), D(2026, 10, 15)) == 10
    assert workdays_between(D(2026, 9, 25), D(2026, 10, 15), known_until=2025) == 11
