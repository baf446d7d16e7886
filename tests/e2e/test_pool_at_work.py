"""Issue 22's journey, by visible labels, as one reviewer's afternoon: filter 专家库, export
the filtered pool, make a draw with avoidance from the same field, confirm one expert, replace
one who declines, export the draw, and open 统计分析."""

import io
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Unit
from draws.models import Pick
from experts import exports
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def expert(unit, name, level):
    person = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    ExpertApplication.objects.filter(user=person).update(
        title_level=level, decided_at=timezone.now() - timedelta(days=30)
    )
    person.application.disciplines.set(Discipline.objects.filter(code="01"))
    return person


def workbook(download) -> list[tuple]:
    content = io.BytesIO(Path(download.path()).read_bytes())
    sheet = openpyxl.load_workbook(content, read_only=True).worksheets[0]
    return [row for row in sheet.iter_rows(values_only=True) if row and row[0]]


def test_a_reviewer_staffs_a_panel_from_the_pool(journey):
    university = factories.make_unit(name="武汉示范大学")
    applicant_unit = factories.make_unit(name="申报单位科技公司")
    for name in ["王敏", "李强", "张伟", "刘洋", "陈静"]:
        expert(university, name, "senior")
    expert(applicant_unit, "赵磊", "senior")
    expert(university, "孙丽", "intermediate")

    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    page = tab.page

    # 1. Find: 专家库 filtered by 专业领域 and 职称级别, each option with its count.
    page.get_by_role("link", name="专家库").click()
    page.get_by_label("专业领域").select_option(label="电子信息（含子领域）（7）")
    page.get_by_role("button", name="筛选").click()
    page.get_by_label("职称级别").select_option(label="正高级（6）")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("6 人")
    tab.snap("pool-filtered")
    filtered = page.url  # the list's filters are its address: a bookmark, or the back button

    # 2. Export the filtered pool, masked.
    page.get_by_role("link", name="导出Excel").click()
    expect(page.get_by_test_id("export-count")).to_have_text("6 人")
    page.get_by_role("button", name="导出").click()
    # The job's page, so the job is saved before the worker looks for it.
    expect(page.get_by_test_id("export-state")).to_contain_text("排队中")
    assert exports.run_pending() == {"exports": 1, "failed": 0}  # one round of the export worker
    expect(page.get_by_test_id("export-state")).to_contain_text("已完成", timeout=5000)
    with page.expect_download() as pool_file:
        page.get_by_role("link", name="下载Excel文件").click()
    names = [row[0] for row in workbook(pool_file.value)]
    assert {"王敏", "赵磊"} <= set(names) and "孙丽" not in names

    # 3. Draw 3 + 1 备选 from the same field at 正高级, avoiding the applying unit: 专家库's
    # 按当前条件抽取 opens the form with the list's 专业领域 and 职称级别 filled in.
    page.goto(filtered)
    page.get_by_role("link", name="按当前条件抽取").click()
    expect(page.get_by_test_id("from-pool")).to_contain_text("专业领域（第1行）")
    row = page.get_by_test_id("quota-row").nth(0)
    expect(row.get_by_label("专业领域")).to_have_value(str(Discipline.objects.get(code="01").pk))
    expect(page.get_by_label("职称级别要求")).to_have_value("senior")
    page.get_by_label("项目名称").fill("2027年度重点研发计划评审")
    review_at = timezone.localtime() + timedelta(days=10)
    page.get_by_label("评审时间").fill(review_at.strftime("%Y-%m-%dT09:30"))
    page.get_by_label("评审地点").fill("市科技局三楼会议室")
    row.get_by_label("抽取人数").fill("3")
    row.get_by_label("备选人数").fill("1")
    page.get_by_label("回避单位").fill("申报单位科技公司")
    page.get_by_role("button", name="下一步：核对抽取条件").click()
    expect(page.get_by_test_id("confirm-quotas")).to_contain_text("5 人")
    page.get_by_role("button", name="确认抽取").click()
    expect(page.get_by_role("alert").filter(has_text="已完成抽取")).to_be_visible()
    tab.snap("drawn")
    members = list(Pick.objects.filter(role=Pick.Role.MEMBER).order_by("position"))
    drawn = {pick.application.user.real_name for pick in members}
    assert len(drawn) == 3 and not drawn & {"赵磊", "孙丽"}

    # 4. One confirms, one declines and the 备选 is called up.
    first, second = (pick.application.user.real_name for pick in members[:2])
    page.get_by_role("row", name=first).get_by_role("button", name="确认参加").click()
    expect(page.get_by_role("row", name=first)).to_contain_text("确认参加")
    page.get_by_role("row", name=second).get_by_role("textbox").fill("评审当天出差")
    page.get_by_role("row", name=second).get_by_role("button", name="不参加").click()
    expect(page.get_by_role("row", name=second)).to_contain_text("评审当天出差")
    page.get_by_role("button", name="递补备选专家").click()
    expect(page.get_by_role("alert").filter(has_text="已递补备选专家")).to_be_visible()
    tab.snap("replaced")

    # 5. Export the draw: 抽中, 递补 and their states.
    page.get_by_role("link", name="导出Excel").click()
    with page.expect_download() as draw_file:
        page.get_by_role("button", name="导出").click()
    roles = [row[1] for row in workbook(draw_file.value) if row[0] == "电子信息"]
    assert roles == ["抽中", "抽中", "抽中", "递补"]

    # 6. 统计分析.
    page.get_by_role("link", name="统计分析").click()
    field = page.get_by_role("figure").filter(has_text="专业领域")
    field.get_by_text("表格").click()
    expect(field.get_by_role("row", name="电子信息 7")).to_be_visible()
    tab.snap("statistics")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_reviewer_draws_a_panel_of_enterprises_in_a_district_under_55(journey, phone):
    """专家库 filtered by 单位性质, 所在区 and 年龄段, then 按当前条件抽取: the draw keeps to
    them, its confirmation and its record state them."""
    firm = factories.make_unit(name="光谷芯片科技公司")
    Unit.objects.filter(pk=firm.pk).update(nature="enterprise", district="东湖新技术开发区")
    university = factories.make_unit(name="光谷示范大学")
    Unit.objects.filter(pk=university.pk).update(district="东湖新技术开发区")
    young = [expert(firm, name, "senior") for name in ["周敏", "吴强", "郑伟"]]
    for person in young:
        ExpertApplication.objects.filter(user=person).update(birth_date=born(40))
    old = expert(firm, "冯老", "senior")
    ExpertApplication.objects.filter(user=old).update(birth_date=born(60))
    teacher = expert(university, "陈教授", "senior")
    ExpertApplication.objects.filter(user=teacher).update(birth_date=born(40))

    tab = journey(phone=phone)
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    page = tab.page
    page.goto(tab.base_url + "/bureau/pool/")
    page.get_by_label("单位性质").select_option(label="企业（4）")
    page.get_by_label("所在区").select_option(label="东湖新技术开发区（5）")
    page.get_by_label("年龄段").select_option(label="35—44岁（4）")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 人")
    tab.snap("pool-facets")
    page.get_by_role("link", name="按当前条件抽取").click()

    expect(page.get_by_test_id("from-pool")).to_contain_text("单位性质、所在区、年龄段")
    expect(page.get_by_role("checkbox", name="企业", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="东湖新技术开发区", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="35—44岁", exact=True)).to_be_checked()
    page.get_by_role(
        "checkbox", name="45—54岁", exact=True
    ).check()  # under 55, as the bureau asked
    page.get_by_label("项目名称").fill("光谷企业创新项目评审")
    review_at = timezone.localtime() + timedelta(days=10)
    page.get_by_label("评审时间").fill(review_at.strftime("%Y-%m-%dT09:30"))
    page.get_by_label("评审地点").fill("东湖高新区管委会会议室")
    row = page.get_by_test_id("quota-row").nth(0)
    row.get_by_label("专业领域").select_option(label="电子信息（含全部子领域）")
    row.get_by_label("抽取人数").fill("2")
    row.get_by_label("备选人数").fill("1")
    tab.snap("draw-form")
    page.get_by_role("button", name="下一步：核对抽取条件").click()

    expect(page.get_by_test_id("confirm-quotas")).to_contain_text("3 人")
    expect(page.get_by_text("35—44岁、45—54岁（按抽取当日计算）")).to_be_visible()
    tab.snap("draw-confirm")
    page.get_by_role("button", name="确认抽取").click()
    expect(page.get_by_role("alert").filter(has_text="已完成抽取")).to_be_visible()
    expect(page.get_by_text("东湖新技术开发区", exact=True)).to_be_visible()
    expect(page.get_by_text("35—44岁、45—54岁（按", exact=False)).to_be_visible()
    tab.snap("draw-detail")
    drawn = {pick.application.user.real_name for pick in Pick.objects.all()}
    assert drawn == {"周敏", "吴强", "郑伟"}


def born(years: int):
    """A birth date `years` full years before today (1 January: the age all year long)."""
    return date(timezone.localdate().year - years, 1, 1)
