"""After a review, as a bureau reviewer does it by visible labels: 专家评价 of each expert who
confirmed (a grade below 称职 needs its 说明), then 专家劳务费 for those who came, and the
劳务费发放表 for the finance office."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from draws import services
from draws.models import Event, Pick
from draws.rules import Criteria
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def held_review(reviewer):
    """A draw of three experts, reviewed yesterday, all three 确认参加; their names in order."""
    unit = factories.make_unit(name="武汉示范大学")
    field = Discipline.objects.get(code="01")
    for name in ("王敏", "李强", "张伟"):
        factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    for application in ExpertApplication.objects.all():
        application.disciplines.set([field])
    ExpertApplication.objects.update(title_level="senior", bank_name="招商银行武汉分行")
    draw = services.make_draw(
        reviewer,
        project_name="2026年度科技成果转化项目验收",
        review_at=timezone.now() - datetime.timedelta(days=1),
        review_place="市科技局三楼会议室",
        criteria=Criteria(),
        asks=[services.QuotaAsk(field, 3, 0)],
    )
    members = Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER).order_by("position")
    names = []
    for pick in members.select_related("application__user"):
        services.answer(reviewer, draw, pick.application_id, Event.Action.CONFIRM)
        names.append(pick.application.user.real_name)
    return draw, names


def evaluation(tab, name: str):
    """The 专家评价 line of the expert `name`."""
    lines = tab.page.get_by_test_id("evaluations").get_by_role("listitem")
    return lines.filter(has_text=name)


def test_reviewer_evaluates_the_panel_and_records_its_fees(journey):
    reviewer = factories.make_reviewer()
    draw, (absent, first, second) = held_review(reviewer)

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.open(f"/bureau/draws/{draw.pk}/")
    tab.page.get_by_label(f"{absent}的评价", exact=True).select_option(label="无故缺席")
    evaluation(tab, absent).get_by_role("button", name="保存评价").click()
    expect(tab.page.get_by_role("alert").first).to_contain_text("请填写评价说明")
    tab.page.get_by_label(f"{absent}的评价", exact=True).select_option(label="无故缺席")
    tab.page.get_by_label(f"{absent}的评价说明").fill("未到会，事先未请假")
    evaluation(tab, absent).get_by_role("button", name="保存评价").click()
    tab.page.get_by_label(f"{first}的评价", exact=True).select_option(label="优秀")
    evaluation(tab, first).get_by_role("button", name="保存评价").click()
    tab.snap("evaluated")

    tab.page.get_by_role("link", name="专家劳务费").click()
    fees = tab.page.get_by_test_id("fees")
    # Who did not come is not paid.
    expect(fees).not_to_contain_text(absent)
    # 1500 a day after tax (the default standard): 1675.00 before it.
    expect(tab.page.get_by_label(f"{first}的应发金额（税前，元）")).to_have_value("1675.00")
    tab.page.get_by_label(f"{first}的评审天数").fill("2")
    tab.page.get_by_label(f"{first}的应发金额（税前，元）").fill("-1")
    tab.page.get_by_role("button", name="保存劳务费").click()
    expect(tab.page.get_by_role("alert").filter(has_text="请修改以下错误")).to_contain_text(
        f"{first}的应发金额（税前，元）：应发金额不能为负数。"
    )
    # What was typed stays.
    expect(tab.page.get_by_label(f"{first}的评审天数")).to_have_value("2")
    tab.snap("fee-refused")
    tab.page.get_by_label(f"{first}的应发金额（税前，元）").fill("3000")
    tab.page.get_by_role("button", name="保存劳务费").click()
    expect(tab.page.get_by_test_id("fee-totals")).to_contain_text("4675.00")
    expect(tab.page.get_by_test_id("fee-totals")).to_contain_text("615.00")  # 440 + 175
    tab.snap("fees-saved")
    tab.phone_snap("fees-saved")

    tab.page.get_by_role("link", name="导出劳务费发放表").click()
    tab.page.get_by_label("含敏感信息（证件号码、银行账号、手机号码）").check()
    tab.page.get_by_label("理由").fill("财务处发放评审费")
    tab.snap("fee-export")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("button", name="导出").click()
    # The download's temporary file has no suffix, which openpyxl wants: read it as bytes.
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = [[cell.value for cell in row] for row in book.active.iter_rows()]
    names = [row[1] for row in rows if isinstance(row[0], int)]
    assert names == [first, second]
    assert rows[-1][0] == "合计" and rows[-1][10] == 4675
