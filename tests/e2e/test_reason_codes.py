"""A 退回 with reason codes and a field comment, as the unit gives it and as the applicant reads
it: the codes and the text on the home page, the comment beside its field on the form
(issue 21 item 4)."""

import pytest
from playwright.sync_api import expect

from experts.models import ApplicationStatus, ApplicationTransition
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_unit_returns_with_two_codes_and_a_field_comment_the_applicant_sees_the_marker(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="赵磊")

    unit_tab = journey()
    unit_tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    unit_tab.page.get_by_role("link", name="用户账号管理").first.click()
    unit_tab.page.get_by_role("row", name="赵磊").get_by_role("link", name="专家信息查看").click()
    decide = unit_tab.page.get_by_role("region", name="审核推荐")
    # 其他 without a text: refused, with what was ticked and typed still there.
    decide.get_by_label("信息不完整").check()
    decide.get_by_label("其他").check()
    decide.get_by_label("批注字段1").select_option(label="工作简历")
    decide.get_by_label("批注1").fill("缺少2015年以后的工作经历")
    decide.get_by_role("button", name="退回").click()
    decide = unit_tab.page.get_by_role("region", name="审核推荐")
    expect(decide.get_by_text("选择“其他”时，请在理由说明中写明具体原因。")).to_be_visible()
    expect(decide.get_by_label("信息不完整")).to_be_checked()
    expect(decide.get_by_label("批注1")).to_have_value("缺少2015年以后的工作经历")
    unit_tab.snap("other-without-text")
    decide.get_by_label("其他").uncheck()
    decide.get_by_label("证明材料不清晰").check()
    decide.get_by_label("理由说明").fill("请按批注补充后重新提交。")
    decide.get_by_role("button", name="退回").click()
    expect(unit_tab.page.get_by_role("alert").first).to_contain_text("已退回赵磊的专家信息")
    history = unit_tab.page.get_by_role("region", name="审核记录")
    expect(history.get_by_test_id("reason-code")).to_have_text(["信息不完整", "证明材料不清晰"])
    unit_tab.snap("returned-history")
    row = ApplicationTransition.objects.get(action="send_back")
    assert row.field_comments == [
        {"field": "resume", "label": "工作简历", "comment": "缺少2015年以后的工作经历"}
    ]

    person = journey()
    person.log_in(applicant.username, factories.PASSWORD)
    reason = person.page.get_by_test_id("latest-reason")
    expect(reason.get_by_test_id("reason-code")).to_have_text(["信息不完整", "证明材料不清晰"])
    expect(reason).to_contain_text("请按批注补充后重新提交。")
    expect(reason).to_contain_text("工作简历：缺少2015年以后的工作经历")
    person.snap("applicant-home")
    person.page.get_by_role("link", name="修改并重新提交").click()
    marker = person.page.get_by_test_id("field-comment")
    expect(marker).to_have_count(1)
    expect(marker).to_contain_text("审核批注缺少2015年以后的工作经历")
    # Beside its field: the marker and the 工作简历 box share one column of the form.
    column = person.page.locator("div", has=person.page.get_by_label("工作简历")).filter(has=marker)
    expect(column.last).to_be_visible()
    person.snap("form-marker")


def test_after_a_rejection_the_applicant_reads_the_marker_on_the_submitted_information(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="钱程")
    reviewer = factories.make_reviewer()

    bureau = journey()
    bureau.log_in(reviewer.username, factories.PASSWORD)
    bureau.page.get_by_role("link", name="专家审核").click()
    bureau.page.get_by_role("row", name="钱程").get_by_role("link", name="审核").click()
    bureau.page.get_by_label("证明材料不清晰").check()
    bureau.page.get_by_label("批注字段1").select_option(label="主要业绩与成果")
    bureau.page.get_by_label("批注1").fill("请附验收证书")
    bureau.page.get_by_role("button", name="审核不通过").click()
    expect(bureau.page.get_by_role("alert").first).to_contain_text("审核不通过")

    person = journey()
    person.log_in(applicant.username, factories.PASSWORD)
    person.page.get_by_role("link", name="查看已提交的专家信息").click()
    marker = person.page.get_by_test_id("field-comment")
    expect(marker).to_have_count(1)
    expect(marker).to_contain_text("审核批注请附验收证书")
    person.snap("readonly-marker")
