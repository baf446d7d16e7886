"""What an applicant and a unit clerk see, walked by visible labels (issue 19 points 1, 2, 5,
6, 7): a returned application, a saved draft, the consents, one primary action per state,
and 用户账号管理 on a phone."""

import re

import pytest
from playwright.sync_api import expect

from experts import services
from experts.models import ApplicationStatus
from tests import factories
from tests.e2e.test_manual import expect_status, fill_expert_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PASSWORD = factories.PASSWORD
RETURNED = "已退回（待修改）"


def primary_actions(tab) -> list[str]:
    """The visible primary buttons in the page's main content."""
    buttons = tab.page.locator("main .btn-primary:visible")
    return [text.strip() for text in buttons.all_inner_texts()]


def test_a_return_is_marked_for_the_applicant_the_unit_and_the_bureau(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="赵磊")
    factories.make_applicant(unit, ApplicationStatus.DRAFT, name="钱多")
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="孙立")

    # The unit returns it, and its list marks it beside the manual's state.
    unit_tab = journey()
    page = unit_tab.page
    unit_tab.log_in(factories.unit_account(unit).username, PASSWORD)
    page.get_by_role("link", name="用户账号管理").first.click()
    page.get_by_role("row", name="赵磊").get_by_role("link", name="专家信息查看").click()
    page.get_by_label("理由").fill("工作简历缺少2015年以后的经历。")
    page.get_by_role("button", name="退回").click()
    expect(page.get_by_role("alert").first).to_contain_text("已退回赵磊的专家信息")
    page.get_by_role("link", name="用户账号管理").first.click()
    expect(page.get_by_role("row", name="赵磊")).to_contain_text(RETURNED)
    expect(page.get_by_role("row", name="赵磊")).not_to_contain_text("信息未填写")
    expect(page.get_by_role("row", name="钱多")).not_to_contain_text(RETURNED)
    unit_tab.snap("unit-people-returned")
    page.get_by_role("link", name=f"只看{RETURNED}").click()
    expect(page.get_by_role("status")).to_have_text(f"只显示{RETURNED}的账号")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("row", name="赵磊")).to_be_visible()
    unit_tab.snap("unit-people-only-returned")

    # The applicant: the state, then the reason, then one button to act on it.
    person = journey()
    person.log_in(applicant.username, PASSWORD)
    expect_status(person, RETURNED)
    expect(person.page.get_by_role("status")).to_contain_text("工作简历缺少2015年以后的经历。")
    assert primary_actions(person) == ["修改并重新提交"]
    reason_box = person.page.get_by_role("status").bounding_box()
    button_box = person.page.get_by_role("link", name="修改并重新提交").bounding_box()
    assert reason_box["y"] < button_box["y"]
    person.snap("applicant-returned")
    person.page.get_by_role("link", name="修改并重新提交").click()
    expect(person.page.get_by_role("heading", name="专家信息管理-修改")).to_be_visible()

    # The bureau: a tab of the drafts back with their applicants, the returned marked the same way.
    bureau = journey()
    bureau.log_in(factories.make_reviewer().username, PASSWORD)
    bureau.page.get_by_role("link", name=re.compile(r"^\s*待申请人修改")).click()
    expect(bureau.page.get_by_role("row", name="赵磊")).to_contain_text(RETURNED)
    expect(bureau.page.get_by_role("row", name="赵磊")).not_to_contain_text("信息未填写")
    expect(bureau.page.locator("tbody tr")).to_have_count(1)
    bureau.snap("bureau-queue-returned")

    # Submitted again: the mark goes.
    person.page.get_by_role("button", name="提交").first.click()
    expect_status(person, "待单位推荐")
    page.reload()
    expect(page.locator("tbody tr")).to_have_count(0)


def test_a_saved_draft_shows_on_home_with_what_is_missing(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    person = journey()
    page = person.page
    person.log_in(applicant.username, PASSWORD)
    expect(page.get_by_text("草稿已保存")).to_have_count(0)
    page.get_by_role("link", name="申请成为专家").click()
    fill_expert_form(person, complete=True)
    page.get_by_label("工作简历").fill("")
    page.get_by_label("主要业绩与成果").fill("")
    page.get_by_label("银行账号").fill("")
    page.get_by_role("button", name="保存草稿").first.click()
    expect(page.get_by_role("alert").first).to_contain_text("草稿已保存")

    page.get_by_role("link", name="我的专家状态").click()
    expect_status(person, "信息未填写")
    expect(page.get_by_test_id("draft-saved")).to_have_text(
        re.compile(r"^草稿已保存（\d{4}-\d\d-\d\d \d\d:\d\d）$")
    )
    expect(page.get_by_test_id("missing-count")).to_have_text(
        "还有 3 项必填信息未填写（工作简历、主要业绩与成果、银行账号）"
    )
    assert primary_actions(person) == ["继续填写"]
    person.snap("home-draft-saved")
    page.get_by_role("link", name="继续填写").click()
    expect(page.get_by_label("专业技术职称")).to_have_value("研究员")

    phone = journey(phone=True)
    phone.log_in(applicant.username, PASSWORD)
    expect(phone.page.get_by_test_id("missing-count")).to_contain_text("还有 3 项")
    assert primary_actions(phone) == ["继续填写"]
    phone.snap("phone-home-draft-saved")


def test_each_consent_text_stands_above_its_own_checkbox(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    person = journey()
    page = person.page
    person.log_in(applicant.username, PASSWORD)
    page.get_by_role("link", name="申请成为专家").click()

    boxes = []
    for label, text in [
        ("本人已阅读并同意上述诚信承诺", "本人承诺所填报的信息真实"),
        ("本人同意上述敏感个人信息处理（单独同意）", "本人同意武汉市科学技术局"),
    ]:
        checkbox = page.get_by_label(label)
        expect(checkbox).to_have_accessible_description(re.compile("^" + text))
        paragraph = page.get_by_text(text)
        assert paragraph.bounding_box()["y"] < checkbox.bounding_box()["y"]
        boxes.append(paragraph)
    # The same style for both: font size and colour of a normal paragraph, not help text.
    styles = [
        box.evaluate("e => [getComputedStyle(e).fontSize, getComputedStyle(e).color]")
        for box in boxes
    ]
    assert styles[0] == styles[1]
    body = page.locator("body").evaluate("e => getComputedStyle(e).fontSize")
    assert styles[0][0] == body
    person.snap("form-consents")


def test_after_rejection_the_home_has_one_primary_action(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="陈静")
    services.reject_application(
        applicant.application, factories.make_reviewer(), "主要业绩与成果缺少佐证材料。"
    )
    person = journey()
    person.log_in(applicant.username, PASSWORD)
    expect_status(person, "审核不通过")
    assert primary_actions(person) == ["修改专家信息"]
    secondary = person.page.get_by_role("link", name="查看已提交的专家信息")
    expect(secondary).to_have_class(re.compile(r"\bbtn-outline-secondary\b"))
    primary = person.page.get_by_role("button", name="修改专家信息").bounding_box()
    assert primary["height"] > secondary.bounding_box()["height"]
    person.snap("applicant-rejected")
    # On a phone the history and SMS tables scroll sideways, reachable by keyboard (axe), and no
    # word breaks a character a line.
    phone = journey(phone=True)
    phone.log_in(applicant.username, PASSWORD)
    reason = phone.page.get_by_role("region", name="审核记录").locator(".history-comment")
    assert reason.first.bounding_box()["width"] >= 150
    phone.snap("phone-applicant-rejected")


def one_line(locator) -> bool:
    """Whether the element's text fits on one line (its height holds one line and padding)."""
    return locator.evaluate(
        """e => {
            const s = getComputedStyle(e);
            const inner = e.getBoundingClientRect().height - parseFloat(s.paddingTop)
                - parseFloat(s.paddingBottom) - parseFloat(s.borderTopWidth)
                - parseFloat(s.borderBottomWidth);
            return inner < 1.5 * parseFloat(s.lineHeight);
        }"""
    )


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_unit_people_header_and_view_button_fit_on_one_line(journey, phone):
    unit = factories.make_unit(name="武汉示范大学")
    factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="欧阳明")
    returned = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="司马青")
    services.return_application(returned.application, factories.unit_account(unit), "请补充。")
    tab = journey(phone=phone)
    tab.log_in(factories.unit_account(unit).username, PASSWORD)
    if phone:
        tab.page.get_by_role("button", name="展开导航").click()
    tab.page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="用户账号管理"
    ).click()

    header = tab.page.get_by_role("columnheader", name="专业技术职称")
    person = tab.page.get_by_role("row", name="欧阳明")
    view = person.get_by_role("link", name="专家信息查看")
    expect(view).to_be_visible()  # the full label stays the accessible name
    # What is seen: the short label on a phone, the full one on a wide screen.
    seen = view.locator("[aria-hidden=true]") if phone else view.locator(".d-md-inline")
    expect(seen).to_be_visible()
    expect(seen).to_have_text("查看" if phone else "专家信息查看")
    hidden = view.locator(".d-md-inline") if phone else view.locator(".d-md-none")
    expect(hidden).to_be_hidden()
    assert one_line(view)
    # 专业技术职称: a column on a wide screen; on a phone a line under the name, where as a
    # column beside the boxes of 批量处理 it pushed the table past the screen's edge.
    under_name = person.locator(".d-md-none").filter(has_text="教授")
    if phone:
        expect(header).to_be_hidden()
        expect(under_name).to_be_visible()
    else:
        expect(header).to_be_visible()
        expect(under_name).to_be_hidden()
        assert one_line(header)
    expect(tab.page.get_by_role("row", name="司马青")).to_contain_text(RETURNED)
    tab.snap("phone-unit-people" if phone else "unit-people")
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= (390 if phone else 1280)
