"""What a person types is never cut or lost at a limit, and a decision lacking its reason is
not confirmed first: found by walking the portal from outside."""

import pytest
from playwright.sync_api import expect

from changes.models import ChangeRequest, ChangeStatus
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories
from tests.changes.helpers import admitted, key_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_a_text_over_its_limit_is_counted_kept_whole_and_refused_in_chinese(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="赵磊")
    tab = journey()
    tab.log_in(applicant.username, factories.PASSWORD)
    tab.open("/expert/form/")
    before = ExpertApplication.objects.get(user=applicant).research_direction

    field = tab.page.get_by_label("研究方向/擅长领域")
    field.fill("")
    # Typed, as a person pastes: the browser does not stop at 500 (no maxlength).
    field.press_sequentially("光" * 495 + "😀" * 5)
    counter = tab.page.locator("#id_research_direction + [data-char-count]")
    # An emoji is one character, as the server counts it.
    expect(counter).to_have_text("已输入500/500字")
    field.press_sequentially("超出的十个字符也留下来")
    expect(counter).to_have_text("已超出11字，请删减至500字以内")
    tab.snap("over-the-limit")

    tab.page.get_by_role("button", name="保存草稿").first.click()
    expect(
        tab.page.get_by_text("研究方向/擅长领域不能超过500字，当前511字。").first
    ).to_be_visible()
    field = tab.page.get_by_label("研究方向/擅长领域")
    assert len(field.input_value()) == 511  # whole, to be shortened
    tab.snap("refused-whole")
    assert ExpertApplication.objects.get(user=applicant).research_direction == before

    # Three lines of 100 characters: 302 as the page counts, and the server agrees.
    field.fill("\n".join(["行" * 100] * 3))
    expect(tab.page.locator("#id_research_direction + [data-char-count]")).to_have_text(
        "已输入302/500字"
    )
    tab.page.get_by_role("button", name="保存草稿").first.click()
    expect(tab.page.get_by_text("草稿已保存").first).to_be_visible()
    saved = ExpertApplication.objects.get(user=applicant).research_direction
    assert saved == "\n".join(["行" * 100] * 3)


def test_a_return_without_a_reason_is_not_confirmed_first(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="钱多")
    tab = journey()
    tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    tab.open(f"/unit/people/{applicant.application.pk}/")

    tab.page.get_by_role("button", name="退回").click()
    expect(tab.page.get_by_text("请勾选至少一项理由或填写理由说明").first).to_be_visible()
    assert tab.dialogs == []
    tab.snap("return-without-a-reason")
    assert ExpertApplication.objects.get(user=applicant).status == ApplicationStatus.PENDING_UNIT

    tab.page.get_by_label("理由说明").fill("工作简历缺少近五年的经历。")
    tab.page.get_by_role("button", name="退回").click()
    expect(tab.page.get_by_role("alert").first).to_contain_text("已退回钱多的专家信息")
    assert tab.dialogs == ["确认退回钱多的专家信息吗？将以短信通知申请人。"]


def test_a_refusal_whose_reason_is_only_spaces_is_not_confirmed_first(journey):
    """The server strips the reason, so spaces or blank lines are no reason: the page does not
    ask to confirm a 审核不通过 the server then refuses (found by a reviewer's walk)."""
    unit = factories.make_unit(name="武汉示范大学")
    change = key_request(admitted(unit, name="孙丽"), status=ChangeStatus.PENDING_BUREAU)
    reviewer = factories.make_reviewer()
    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.open(f"/bureau/changes/{change.pk}/")

    refusal = tab.page.locator("form", has=tab.page.get_by_role("button", name="审核不通过"))
    refusal.get_by_label("理由").fill("  \n  ")
    refusal.get_by_role("button", name="审核不通过").click()
    expect(tab.page.get_by_text("请填写理由，申请人将看到此理由。").first).to_be_visible()
    assert tab.dialogs == []
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PENDING_BUREAU

    refusal = tab.page.locator("form", has=tab.page.get_by_role("button", name="审核不通过"))
    refusal.get_by_label("理由").fill("职称证书与申报的职称不符。")
    refusal.get_by_role("button", name="审核不通过").click()
    expect(tab.page.get_by_role("alert").first).to_contain_text("孙丽的变更申请审核不通过")
    assert tab.dialogs == ["确认孙丽的变更申请审核不通过吗？将以短信通知专家。"]
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.REJECTED
