"""Keyboard and screen-reader use (the accessibility walk, 2026-12-06): focus that can be seen on
the dark header and in contrast modes, a form sent back with errors starting at the correction,
a focused field never under 申请成为专家's sticky bar, and the 所属单位 finder said aloud."""

import re

import pytest
from playwright.sync_api import expect

from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
        return {id: e.id, text: e.textContent.trim(), outline: s.outlineStyle,
                width: parseFloat(s.outlineWidth), colour: s.outlineColor}; }"""
    )


def test_focus_is_an_outline_white_on_the_header_also_in_forced_colours(journey):
    unit = factories.make_unit()
    applicant = factories.make_applicant(unit)
    tab = journey()
    tab.log_in(applicant.username, factories.PASSWORD)
    page = tab.page
    page.get_by_role("link", name="专家信息管理").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # a keyboard's focus (focus-visible)
    seen = focused(page)
    assert seen["text"] == "专家信息管理"
    assert seen["outline"] == "solid" and seen["width"] >= 2
    assert seen["colour"] == "rgb(255, 255, 255)"  # on the dark blue header
    tab.snap("header-focus")

    # Contrast modes drop box-shadows (Bootstrap's only focus mark); the outline stays.
    page.emulate_media(forced_colors="active")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert focused(page)["outline"] == "solid"


def test_a_refused_login_is_said_and_focused(journey):
    tab = journey()
    tab.open("/login/")
    page = tab.page
    page.get_by_label("用户名").fill("nobody")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("用户名或密码错误")
    expect(alert).to_be_focused()


def test_the_form_sent_back_starts_at_its_errors_and_no_field_hides_under_the_bar(journey):
    unit = factories.make_unit()
    applicant = factories.make_applicant(unit, complete=False)
    tab = journey()
    tab.log_in(applicant.username, factories.PASSWORD)
    tab.open("/expert/form/")
    page = tab.page
    page.emulate_media(reduced_motion="reduce")  # Bootstrap scrolls smoothly otherwise
    page.get_by_role("button", name="提交").first.click()
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()

    # 专业领域 (a group of boxes) leads to its first box, not to the page's top.
    summary.get_by_role("link", name="专业领域").click()
    expect(page.locator("#id_disciplines_0_0")).to_be_focused()
    # No box says 必填: one tick is enough; the group says why it is refused.
    assert page.locator("#id_disciplines_0_0").get_attribute("aria-required") is None
    described = page.locator("#div_id_disciplines fieldset").get_attribute("aria-describedby")
    assert "id_disciplines_error" in described.split()

    # A field reached from the summary is below the sticky 保存草稿/提交 bar, not under it.
    page.locator("#id_address").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    summary.get_by_role("link", name="通讯地址").click()
    expect(page.locator("#id_address")).to_be_focused()
    bar = page.locator(".sticky-actions").bounding_box()
    label = page.locator("label[for=id_address]").bounding_box()
    assert label["y"] >= bar["y"] + bar["height"]  # its label too
    tab.snap("errors-under-bar")


def test_a_decision_sent_back_focuses_the_field_to_correct(journey):
    unit = factories.make_unit()
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="周敏")
    reviewer = factories.make_reviewer()
    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.open(f"/bureau/experts/{applicant.application.pk}/")
    page = tab.page
    expect(page).to_have_title(re.compile(r"^周敏 - 专家审核 - "))  # tabs told apart
    page.get_by_label("批注字段1").select_option(label="专业技术职称")
    page.get_by_role("button", name="审核不通过").click()
    # Neither a reason nor a comment: the first field refused (理由说明), far down the page.
    expect(page.get_by_label("理由说明")).to_be_focused()
    expect(page.get_by_label("批注1")).to_have_attribute("aria-invalid", "true")
    tab.snap("decision-error-focused")


def test_the_unit_finder_says_what_it_found(journey):
    factories.make_unit(name="武汉示范大学")
    factories.make_unit(name="武汉示范学院")
    tab = journey()
    tab.open("/register/individual/")
    page = tab.page
    said = page.locator(".unit-picker [aria-live=polite]")
    page.get_by_label("搜索所属单位").fill("武汉示范")
    expect(said).to_have_text("找到2个已审核单位，请在下方列表中选择")
    page.get_by_label("搜索所属单位").fill("示范大学")
    expect(said).to_have_text("已选择：武汉示范大学")
    page.get_by_label("搜索所属单位").fill("不存在的单位")
    expect(said).to_have_text("没有匹配的已审核单位")
    # Enter searches at once and does not send the registration form (all of it still empty).
    page.evaluate("window.notReloaded = true")
    page.get_by_label("搜索所属单位").fill("示范学院")
    page.get_by_label("搜索所属单位").press("Enter")
    expect(said).to_have_text("找到1个已审核单位，请在下方列表中选择")  # 武汉示范大学 kept
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("[data-form-errors]")).to_have_count(0)


def test_a_rows_eligibility_badge_opens_by_keyboard(journey):
    unit = factories.make_unit()
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="王敏")
    applicant.application.eligibility_flags = ["职称级别低于副高级"]
    applicant.application.has_eligibility_flags = True
    applicant.application.save(update_fields=["eligibility_flags", "has_eligibility_flags"])
    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.open("/bureau/experts/?status=pending_bureau")
    badge = tab.page.get_by_role("row", name="王敏").get_by_test_id("eligibility-badge")
    rule = badge.get_by_text("职称级别低于副高级", exact=True)
    expect(rule).to_be_hidden()
    badge.locator("summary").focus()
    tab.page.keyboard.press("Enter")
    expect(rule).to_be_visible()
    tab.snap("eligibility-open")


def test_a_reviewers_comments_describe_their_fields(journey):
    unit = factories.make_unit()
    applicant = factories.returned_with_comments(unit)
    tab = journey()
    tab.log_in(applicant.username, factories.PASSWORD)
    tab.open("/expert/form/")
    page = tab.page
    title = page.locator("#id_title")
    expect(title).to_have_accessible_description(re.compile("职称与证书不一致"))
    group = page.locator("#div_id_disciplines fieldset")
    assert "comment-disciplines" in group.get_attribute("aria-describedby").split()
    # The list at the top leads to each field.
    page.get_by_role("link", name="专业技术职称").click()
    expect(title).to_be_focused()
