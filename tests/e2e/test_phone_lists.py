"""The lists on a phone (390 px, walk report D1 and R7): each row's action is in view without
scrolling sideways, however long a unit's name or a title, and a button keeps to one line."""

import pytest
from playwright.sync_api import expect

from accounts.choices import UnitStatus
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
S = ApplicationStatus
LONG_UNIT = "华中科技大学同济医学院附属协和医院（武汉协和医院）"


def row(page, name):
    return page.get_by_role("row").filter(has_text=name)


def fits(tab, button) -> None:
    """No table wider than its box (a sideways scroll), and `button` on one line, on screen."""
    page = tab.page
    wider = page.evaluate(
        "() => [...document.querySelectorAll('.table-responsive')]"
        ".filter(box => box.scrollWidth > box.clientWidth).length"
    )
    assert wider == 0
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    assert box["height"] < 2 * line


def test_the_bureaus_lists_keep_their_actions_in_view(journey):
    unit = factories.make_unit(name=LONG_UNIT)
    factories.make_unit(UnitStatus.PENDING, name=LONG_UNIT + "东院")
    for name, status in [("欧阳娜娜娜", S.PENDING_BUREAU), ("陈静", S.APPROVED)]:
        factories.make_applicant(unit, status, name=name)
    ExpertApplication.objects.filter(user__real_name="欧阳娜娜娜").update(
        title="教授级高级工程师", eligibility_flags=["年龄超过65岁", "职称低于副高级"]
    )
    reviewer = factories.make_reviewer()
    tab = journey(phone=True)
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page

    # 专家审核: the unit and the title under the name, the 审核 button whole.
    expect(row(page, "欧阳娜娜娜")).to_contain_text("教授级高级工程师")
    fits(tab, row(page, "欧阳娜娜娜").get_by_role("link", name="审核"))
    tab.snap("bureau-queue")

    page.get_by_role("button", name="展开导航").click()
    page.get_by_role("link", name="单位注册审核").first.click()
    waiting = row(page, LONG_UNIT + "东院")
    expect(waiting).to_contain_text("待审核")
    expect(waiting).to_contain_text("已等待0个工作日")
    fits(tab, waiting.get_by_role("link", name="审核"))
    tab.snap("unit-queue")

    page.get_by_role("button", name="展开导航").click()
    page.get_by_role("link", name="专家库").first.click()
    fits(tab, row(page, "陈静").get_by_role("link", name="查看"))
    tab.snap("pool")


def test_a_units_people_keep_their_action_in_view(journey):
    unit = factories.make_unit(name=LONG_UNIT)
    factories.make_applicant(unit, S.PENDING_UNIT, name="欧阳娜娜娜")
    ExpertApplication.objects.filter(user__real_name="欧阳娜娜娜").update(
        title="教授级高级工程师", eligibility_flags=["年龄超过65岁"]
    )
    tab = journey(phone=True)
    tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    page = tab.page
    page.goto(tab.base_url + "/unit/people/?status=pending_unit")

    # With the boxes of 批量处理 beside each row, the title under the name.
    expect(row(page, "欧阳娜娜娜")).to_contain_text("教授级高级工程师")
    fits(tab, row(page, "欧阳娜娜娜").get_by_role("link", name="专家信息查看"))
    tab.snap("people")
