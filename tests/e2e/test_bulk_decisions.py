"""A bulk decision in the browser, by visible labels (issue 21 item 1)."""

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_the_bureau_approves_ticked_rows_after_confirming(journey):
    unit = factories.make_unit(name="武汉示范大学")
    names = ["陈静", "李强", "王芳"]
    for name in names:
        factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name=name)
    reviewer = factories.make_reviewer()

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    bulk = page.get_by_role("group", name="批量处理")
    page.get_by_role("checkbox", name="全选本页").check()
    expect(bulk).to_contain_text("已选 3 项")
    page.get_by_role("checkbox", name="选择王芳").uncheck()
    expect(bulk).to_contain_text("已选 2 项")
    tab.snap("queue-ticked")
    bulk.get_by_role("button", name="批量审核通过").click()

    expect(page.get_by_role("heading", name="批量审核通过：共 2 份申请")).to_be_visible()
    # In the queue's order, each with its unit beside the name.
    expect(page.get_by_test_id("bulk-names").locator("li")).to_have_text(
        ["陈静 武汉示范大学", "李强 武汉示范大学"]
    )
    tab.snap("confirm")
    page.get_by_role("button", name="确认审核通过（2）").click()

    expect(page.get_by_test_id("bulk-summary")).to_contain_text(
        "已完成 2 份申请。短信通知将在几秒内陆续发给申请人。"
    )
    tab.snap("result")
    # The result is a page of its own: reloading it (F5) shows it again and decides nothing.
    page.reload()
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("已完成 2 份申请。")
    expect(page.get_by_test_id("done-names").locator("li")).to_have_text(["陈静", "李强"])
    # Back to the confirmation page: the browser asks the server again (which answers with the
    # batch's result) or shows the page as it was (whose 确认 then leads to that result).
    # Either way the batch's result and why, nothing decided twice.
    page.go_back()
    again = page.get_by_role("button", name="确认审核通过（2）")
    if again.is_visible():
        again.click()
    expect(page.get_by_role("alert")).to_contain_text("该批次已处理，未重复执行。")
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("已完成 2 份申请。")
    tab.snap("back-to-the-confirmation")
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 1
    # The confirmation page is the question: no dialog asks it again (a December walk).
    assert tab.dialogs == []
    statuses = dict(ExpertApplication.objects.values_list("user__real_name", "status"))
    assert statuses == {"陈静": "approved", "李强": "approved", "王芳": "pending_bureau"}


def test_a_unit_returns_a_batch_with_one_reason(journey):
    unit = factories.make_unit(name="武汉示范大学")
    for name in ["赵磊", "孙丽"]:
        factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name=name)

    tab = journey()
    tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    page = tab.page
    page.get_by_role("link", name="用户账号管理").first.click()
    page.get_by_role("link", name="待单位推荐").click()
    # "All matching" and back gives the rows ticked by hand back.
    page.get_by_role("checkbox", name="选择孙丽").check()
    page.get_by_role("checkbox", name="选择全部符合当前筛选条件的 2 份申请").check()
    page.get_by_role("checkbox", name="选择全部符合当前筛选条件的 2 份申请").uncheck()
    expect(page.get_by_role("checkbox", name="选择孙丽")).to_be_checked()
    expect(page.get_by_role("checkbox", name="选择赵磊")).not_to_be_checked()
    expect(page.get_by_role("group", name="批量处理")).to_contain_text("已选 1 项")
    page.get_by_role("checkbox", name="选择全部符合当前筛选条件的 2 份申请").check()
    # The count says what will be sent; the rows are ticked and locked meanwhile.
    expect(page.get_by_role("group", name="批量处理")).to_contain_text(
        "已选全部符合条件的 2 份申请"
    )
    expect(page.get_by_role("checkbox", name="选择赵磊")).to_be_disabled()
    page.get_by_role("group", name="批量处理").get_by_role("button", name="批量退回").click()
    page.get_by_role("button", name="确认退回（2）").click()
    expect(page.get_by_role("alert")).to_contain_text("请勾选至少一项理由或填写理由说明")
    tab.snap("return-needs-reason")
    page.get_by_label("证明材料不清晰").check()
    page.get_by_label("理由说明").fill("请补充近三年的主要业绩证明材料。")
    page.get_by_role("button", name="确认退回（2）").click()

    expect(page.get_by_test_id("bulk-summary")).to_have_text(
        "已完成 2 份申请。申请人将收到短信，并在其页面上看到退回理由。"
    )
    tab.snap("returned")
    assert set(ExpertApplication.objects.values_list("status", flat=True)) == {"draft"}


def test_two_tabs_of_one_login_each_keep_their_batchs_result(journey):
    """One reviewer, two tabs: a batch confirmed in each, one after the other. Each tab's
    result page, reloaded, shows its own batch; another reviewer given its address sees the
    list and why, not the result."""
    unit = factories.make_unit(name="武汉示范大学")
    for name in ["陈静", "李强"]:
        factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name=name)
    reviewer = factories.make_reviewer()

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    first = tab.page
    second = tab.context.new_page()  # the same browser, the same login
    second.goto(first.url)
    for page, name in ((first, "陈静"), (second, "李强")):
        page.get_by_role("checkbox", name=f"选择{name}").check()
        page.get_by_role("group", name="批量处理").get_by_role(
            "button", name="批量审核通过"
        ).click()
        expect(page.get_by_role("button", name="确认审核通过（1）")).to_be_visible()
    for page in (first, second):
        page.get_by_role("button", name="确认审核通过（1）").click()
        expect(page.get_by_test_id("bulk-summary")).to_contain_text("已完成 1 份申请。")

    for page, name in ((first, "陈静"), (second, "李强")):
        page.reload()
        expect(page.get_by_test_id("done-names").locator("li")).to_have_text([name])
    tab.snap("first-tab-result")
    result = first.url

    stranger = journey()
    stranger.log_in(factories.make_reviewer().username, factories.PASSWORD)
    stranger.page.goto(result)
    expect(stranger.page.get_by_role("alert")).to_contain_text("未找到此批量处理结果")
    expect(stranger.page.get_by_role("heading", name="批量审核通过结果")).to_have_count(0)
    stranger.snap("another-reviewer-given-the-address")
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 2
