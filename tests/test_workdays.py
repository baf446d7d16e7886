"""Working days as the State Council announces them (issue 21, item 2)."""

import datetime

from portal.workdays import (
    add_workdays,
    calendar_status,
    is_workday,
    last_known_year,
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
    first_monday = next(D(year, 1, d) for d in range(1, 8) if D(year, 1, d).weekday() == 0)
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
