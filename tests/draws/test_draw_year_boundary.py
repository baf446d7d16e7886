"""A draw made in the last minutes of 31 December or the first of 1 January, Beijing time (the
other day in UTC), counts in its own local year and month: for the yearly cap and 专家详情's
本年度抽中次数 (draws.rules.drawn_this_year), and in 统计分析's 专家抽取 by month."""

import datetime

import pytest
from django.utils import timezone

from draws import rules
from draws.models import Pick
from experts.models import Discipline
from tests.draws.test_draw_statistics import figures, made_on, make
from tests.draws.test_draws import expert

pytestmark = pytest.mark.django_db


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


@pytest.fixture
def pool(unit):
    return [expert(unit) for _ in range(3)]


def local(*parts) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*parts))


def test_a_draw_at_the_turn_of_the_year_counts_in_its_local_year_and_month(reviewer, pool, field):
    year = timezone.localdate().year
    old_eve = make(reviewer, field, 1)
    new_day = make(reviewer, field, 1)
    made_on(old_eve, local(year - 1, 12, 31, 23, 30))  # 15:30 UTC, the same day
    made_on(new_day, local(year, 1, 1, 0, 30))  # 16:30 UTC on 31 December
    assert str(timezone.get_current_timezone()) == "Asia/Shanghai"

    counted = rules.drawn_this_year(local(year, 1, 1, 0, 45))
    assert list(counted.values_list("draw", flat=True)) == [new_day.pk]
    assert Pick.objects.filter(draw__in=[old_eve, new_day], role=Pick.Role.MEMBER).count() == 2

    months = figures(reviewer, datetime.date(year - 1, 12, 1), datetime.date(year, 1, 31))
    assert months["draw_months"].rows == [(f"{year - 1}-12", 1, 1), (f"{year}-01", 1, 1)]
