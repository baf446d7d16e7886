"""Calendar arithmetic (portal.dates) and the places that count years and months with it: one
rule for the day a month lacks (29 February in a common year, 31 March less one month)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Blacklist
from experts import lifecycle, services
from experts.filters import born_by
from experts.models import ApplicationStatus, ExpertApplication
from portal.dates import (
    anniversary,
    chinese_date,
    full_months,
    full_years,
    months_before,
    period_end,
)
from tests import factories

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


def days(first: datetime.date, last: datetime.date):
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


@pytest.mark.parametrize(
    ("day", "years", "months", "expected"),
    [
        (D(2024, 2, 29), 1, 0, D(2025, 3, 1)),
        (D(2024, 2, 29), 4, 0, D(2028, 2, 29)),
        (D(2024, 2, 28), 1, 0, D(2025, 2, 28)),
        (D(2024, 1, 31), 0, 1, D(2024, 3, 1)),
        (D(2025, 3, 31), 0, 11, D(2026, 3, 1)),
        (D(2025, 12, 31), 0, 1, D(2026, 1, 31)),
        (D(2025, 11, 30), 0, 3, D(2026, 3, 1)),
        (D(2025, 12, 15), 0, 1, D(2026, 1, 15)),
        (D(2024, 2, 29), 0, 24, D(2026, 3, 1)),
    ],
)
def test_an_anniversary_of_a_missing_day_is_the_first_of_the_next_month(
    day, years, months, expected
):
    assert anniversary(day, years=years, months=months) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 3, 31), 1, D(2025, 2, 28)),
        (D(2024, 3, 31), 1, D(2024, 2, 29)),
        (D(2025, 1, 15), 1, D(2024, 12, 15)),
        (D(2026, 1, 31), 2, D(2025, 11, 30)),
        (D(2025, 1, 1), 12, D(2024, 1, 1)),
        (D(2025, 2, 28), 12, D(2024, 2, 28)),
        (D(2024, 2, 29), 12, D(2023, 2, 28)),
        (D(2025, 12, 31), -1, D(2026, 1, 31)),
        (D(2025, 6, 30), 0, D(2025, 6, 30)),
    ],
)
def test_months_before_a_missing_day_is_the_last_of_the_month(day, months, expected):
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("day", "years", "months", "expected"),
    [
        (D(2025, 3, 10), 1, 0, D(2026, 3, 10)),
        (D(2024, 2, 29), 1, 0, D(2025, 2, 28)),
        (D(2024, 2, 29), 3, 0, D(2027, 2, 28)),
        (D(2024, 2, 29), 4, 0, D(2028, 2, 29)),
        (D(2025, 12, 31), 0, 2, D(2026, 2, 28)),
        (D(2025, 12, 31), 5, 0, D(2030, 12, 31)),
    ],
)
def test_a_period_ends_on_the_same_day_or_the_last_of_its_month(day, years, months, expected):
    assert period_end(day, years=years, months=months) == expected


@pytest.mark.parametrize("months", [1, 11, 12, 24])
def test_months_before_is_the_last_day_whose_anniversary_has_come(months):
    """What a query asks of stored dates (months_before) is what one date answers
    (anniversary), on every day of four years that hold a 29 February."""
    for today in days(D(2023, 1, 1), D(2026, 12, 31)):
        last = months_before(today, months)
        assert anniversary(last, months=months) <= today, today
        assert anniversary(last + ONE_DAY, months=months) > today, today


@pytest.mark.parametrize(
    "birthday",
    [
        D(2000, 2, 29),
        D(2000, 2, 28),
        D(2000, 3, 1),
        D(1999, 2, 28),
        D(1999, 3, 1),
        D(1999, 12, 31),
        D(2000, 1, 1),
    ],
)
def test_born_by_and_full_years_agree_on_every_day_of_four_years(birthday):
    """专家库's 年龄段 (born_by, a query) and 资格提示's 最高年龄 (full_years, one person) give
    the same age on every day from 2023 to 2026, 29 February 2024 included."""
    for today in days(D(2023, 1, 1), D(2026, 12, 31)):
        age = full_years(birthday, today)
        for years in (age, age + 1):
            assert (birthday <= born_by(today, years)) == (age >= years), (today, years)
        assert anniversary(birthday, years=age) <= today < anniversary(birthday, years=age + 1)


def test_a_birthday_on_29_february_comes_on_1_march_in_a_common_year():
    born = D(2000, 2, 29)
    assert full_years(born, D(2025, 2, 28)) == 24
    assert full_years(born, D(2025, 3, 1)) == 25
    assert full_years(born, D(2024, 2, 29)) == 24
    assert born_by(D(2025, 2, 28), 25) == D(2000, 2, 28)
    assert born_by(D(2025, 3, 1), 25) == D(2000, 3, 1)


def test_full_months_counts_a_month_end_to_the_next_first():
    assert full_months(D(2024, 3, 31), D(2025, 2, 28)) == 10
    assert full_months(D(2024, 3, 31), D(2025, 3, 1)) == 11
    assert full_months(D(2024, 12, 31), D(2025, 1, 31)) == 1
    assert full_months(D(2024, 12, 31), D(2025, 1, 30)) == 0


# The callers ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ban_from_29_february_ends_on_28_february_and_is_over_on_1_march(reviewer):
    until = services.ban_until("1", today=D(2024, 2, 29))
    assert until == D(2025, 2, 28)
    entry = Blacklist.objects.create(
        id_number_index="x" * 64, until=until, reason="测试", created_by=reviewer
    )
    assert Blacklist.in_force([entry.id_number_index], today=D(2025, 2, 28)) == entry
    assert Blacklist.in_force([entry.id_number_index], today=D(2025, 3, 1)) is None
    assert services.ban_until("forever", today=D(2024, 2, 29)) is None


@pytest.mark.django_db
def test_a_confirmation_of_29_february_lapses_on_1_march_two_years_on(unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = services.approve_application(applicant.application, reviewer)
    moment = timezone.make_aware(datetime.datetime(2024, 2, 29, 23, 30))
    ExpertApplication.objects.filter(pk=application.pk).update(confirmed_at=moment)

    assert not lifecycle.lapsed(D(2026, 2, 28)).filter(pk=application.pk).exists()
    assert lifecycle.lapsed(D(2026, 3, 1)).filter(pk=application.pk).exists()
    assert not lifecycle.due_for_reminder(D(2025, 1, 28)).filter(pk=application.pk).exists()
    assert lifecycle.due_for_reminder(D(2025, 1, 29)).filter(pk=application.pk).exists()


@pytest.mark.django_db
def test_work_may_start_on_the_14th_birthday_of_someone_born_on_29_february(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    applicant.id_number = factories.resident_id(birth="19800229")
    applicant.save()
    ExpertApplication.objects.filter(user=applicant).update(birth_date=D(1980, 2, 29))
    applicant.application.refresh_from_db()
    client.force_login(applicant)

    early = factories.application_post_data(applicant, "save", work_started_on="1994-02-28")
    refused = client.post(reverse("experts:form"), early)
    on_time = factories.application_post_data(applicant, "save", work_started_on="1994-03-01")
    accepted = client.post(reverse("experts:form"), on_time)

    assert refused.status_code == 400
    assert "参加工作时间不能早于年满14周岁" in refused.content.decode()
    assert accepted.status_code == 302
    assert ExpertApplication.objects.get(user=applicant).work_started_on == D(1994, 3, 1)


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (D(2026, 11, 1), "2026年11月1日"),
        (D(2028, 1, 3), "2028年1月3日"),
        (D(2026, 12, 31), "2026年12月31日"),
    ],
)
def test_a_day_in_chinese_has_no_leading_zeros(day, written):
    assert chinese_date(day) == written
