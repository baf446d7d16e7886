"""统计分析 as a reviewer reads it: from the navigation, the charts, a table behind 表格, the
专家抽取 figures, and a date range (issue 22 part 4)."""

import pytest
from playwright.sync_api import expect

from draws import services
from draws.rules import Criteria
from experts.models import ApplicationStatus, Discipline
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_reviewer_reads_the_statistics(journey, phone):
    unit = factories.make_unit(name="武汉示范大学")
    for status in (
        ApplicationStatus.APPROVED,
        ApplicationStatus.APPROVED,
        ApplicationStatus.PENDING_UNIT,
    ):
        factories.make_applicant(unit, status).application.disciplines.set(
            Discipline.objects.filter(code="01")
        )
    reviewer = factories.make_reviewer()
    # A draw of both approved experts, neither answered yet.
    services.make_draw(
        reviewer,
        project_name="2027年度科技计划项目评审",
        review_at=factories.review_day(),
        review_place="会议室",
        criteria=Criteria(),
        asks=[services.QuotaAsk(Discipline.objects.get(code="01"), 2, 0)],
    )
    tab = journey(phone=phone)
    tab.log_in(reviewer.username, factories.PASSWORD)
    if phone:
        tab.page.get_by_role("button", name="展开导航").click()
    tab.page.get_by_role("link", name="统计分析").click()
    expect(tab.page.get_by_role("heading", name="统计分析")).to_be_visible()
    status = tab.page.get_by_role("figure").filter(has_text="专家状态")
    bars = status.get_by_role("list", name="专家状态条形图")
    expect(bars.get_by_role("listitem").filter(has_text="审核通过：2")).to_be_visible()
    status.get_by_text("表格").click()
    expect(status.get_by_role("row", name="审核通过 2")).to_be_visible()
    tab.snap("statistics")
    answers = tab.page.get_by_role("figure").filter(has_text="抽中专家答复")
    answered = answers.get_by_role("list", name="抽中专家答复条形图")
    expect(answered.get_by_role("listitem").filter(has_text="待确认：2")).to_be_visible()
    expect(answers).to_contain_text("注：已作废的抽取不计入。")
    answers.get_by_text("表格").click()
    expect(answers.get_by_role("row", name="待确认 2")).to_be_visible()
    tab.snap("statistics-draws")
    tab.page.get_by_label("从", exact=True).fill("2026-12-10")
    tab.page.get_by_label("至", exact=True).fill("2026-12-01")
    tab.page.get_by_role("button", name="统计").click()
    expect(tab.page.get_by_role("alert")).to_contain_text("开始日期不能晚于结束日期")
    tab.snap("bad-range")
