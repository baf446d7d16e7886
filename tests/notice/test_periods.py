"""The 公示期 in Chinese working days (notice.periods), across the 2026 National Day holidays
and their make-up Saturday (2026-10-10), where Monday-to-Friday counting would be wrong."""

import datetime

import pytest

from notice import periods
from portal.dates import chinese_date

D = datetime.date


@pytest.mark.parametrize(
    ("decided_on", "ends"),
    [
        (D(2026, 9, 29), D(2026, 10, 12)),  # 9-30, 10-8, 10-9, 10-10 (调休), 10-12
        (D(2026, 10, 3), D(2026, 10, 13)),  # decided on a holiday: the period starts after it
        (D(2026, 12, 4), D(2026, 12, 11)),  # an ordinary Friday: the next Friday
    ],
)
def test_the_period_ends_on_the_fifth_working_day_after_the_decision(decided_on, ends):
    assert periods.ends_on(decided_on, 5) == ends


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (D(2026, 10, 12), D(2026, 9, 29)),
        (D(2026, 10, 8), D(2026, 9, 23)),  # 9-25 (中秋) and the week of holidays are skipped
        (D(2026, 12, 4), D(2026, 11, 27)),
    ],
)
def test_the_list_starts_with_the_first_decision_day_still_on_notice(today, first):
    assert periods.first_decision_day(today, 5) == first
    # The boundary: that day is on notice today, the day before it is not.
    assert periods.ends_on(first, 5) >= today
    assert periods.ends_on(first - datetime.timedelta(days=1), 5) < today


def test_period_of_a_decision_says_whether_it_runs(settings):
    settings.PUBLIC_NOTICE_DAYS = 5
    decided = periods.start_of(D(2026, 9, 29)) + datetime.timedelta(hours=16)
    assert periods.period_of(decided, D(2026, 10, 12)) == periods.Period(
        D(2026, 9, 29), D(2026, 10, 12), True
    )
    assert periods.period_of(decided, D(2026, 10, 13)).running is False
    assert periods.period_of(None) is None


def test_the_approval_sms_names_the_end_of_the_notice_when_there_is_one(settings):
    from django.utils import timezone

    from experts.services import approval_sms

    def approval_text(decided_at) -> str:
        template, params = approval_sms(decided_at)
        return template.content({"name": "王芳", **params}).removeprefix("王芳您好，")

    now = timezone.now()  # an approval is texted when it is made
    ends = periods.ends_on(timezone.localdate(now))
    # 拟入选 while on 公示, as the 公示 page says (an expert's-year walk read 已入选 in the SMS).
    assert approval_text(now) == (
        f"您的专家入库申请已审核通过，拟入选市科技局专家库，现正公示至{chinese_date(ends)}；"
        "公示期满无异议即正式入库，届时可登录本系统下载入库证明。"
    )
    settings.PUBLIC_NOTICE_ENABLED = False  # a bureau without 公示
    assert approval_text(now) == (
        "您的专家入库申请已审核通过，已入选市科技局专家库，可登录本系统下载入库证明。"
    )
