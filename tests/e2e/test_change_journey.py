"""信息变更 in the browser (issue 23 part 1): an admitted expert changes their unit and title, the
new unit confirms, the old unit sees the notice, the bureau approves, and the expert's home
shows the new values. Each page is also shot at 390 px (a phone), and the shots are copied to
/tmp/shots-changes/ to be looked at."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

SHOTS = Path("/tmp/shots-changes")


def phone_snap(tab, name):
    """The tab's page again at 390 px (a phone), then back at 1280."""
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.page.reload()
    tab.snap(f"phone-{name}")
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    tab.page.reload()


def test_an_expert_changes_unit_and_title_and_both_units_and_the_bureau_act(journey):
    old_unit = factories.make_unit(name="武汉示范大学")
    new_unit = factories.make_unit(name="光谷先进制造研究院")
    expert = factories.make_applicant(old_unit, ApplicationStatus.APPROVED, name="王建国")
    reviewer = factories.make_reviewer()

    # The expert: 修改专家信息 → a new unit and title, and a new mobile (applies at once).
    tab = journey()
    tab.log_in(expert.username, factories.PASSWORD)
    tab.page.get_by_role("link", name="修改专家信息").click()
    tab.snap("expert-form")
    expect(tab.page.get_by_label("专业技术职称")).to_have_value("教授")
    tab.page.get_by_label("搜索所属单位").fill("光谷")
    tab.page.wait_for_timeout(600)
    tab.page.locator("#id_unit").select_option(label="光谷先进制造研究院")
    tab.page.get_by_label("专业技术职称").fill("研究员")
    tab.page.get_by_label("手机").fill("13900001111")
    tab.page.get_by_role("button", name="保存修改").first.click()
    expect(tab.page.get_by_text("手机已修改并生效。")).to_be_visible()
    pending = tab.page.get_by_test_id("pending-change")
    expect(pending).to_contain_text("专业技术职称、工作单位")
    expect(pending).to_contain_text("待单位确认")
    tab.snap("expert-home-pending")
    phone_snap(tab, "expert-home-pending")
    tab.page.get_by_role("link", name="修改专家信息").click()
    phone_snap(tab, "expert-form")

    # The old unit: its expert is moving away; no button to confirm.
    unit_tab = journey()
    unit_tab.log_in(factories.unit_account(old_unit).username, factories.PASSWORD)
    unit_tab.open("/unit/people/")
    expect(unit_tab.page.get_by_test_id("moving-away")).to_contain_text(
        "本单位专家王建国申请将工作单位变更为“光谷先进制造研究院”"
    )
    unit_tab.snap("old-unit-notice")
    phone_snap(unit_tab, "old-unit-notice")

    # The new unit confirms.
    new_tab = journey()
    new_account = factories.unit_account(new_unit)
    new_tab.log_in(new_account.username, factories.PASSWORD)
    new_tab.open("/unit/people/")
    new_tab.page.get_by_role("link", name="信息变更待确认").click()
    new_tab.snap("new-unit-list")
    new_tab.page.get_by_role("row", name="王建国").get_by_role("link", name="确认").click()
    expect(new_tab.page.get_by_test_id("new-unit")).to_contain_text("光谷先进制造研究院")
    expect(new_tab.page.get_by_test_id("changed-row")).to_have_count(2)
    new_tab.snap("new-unit-detail")
    phone_snap(new_tab, "new-unit-detail")
    new_tab.page.get_by_role("button", name="确认", exact=True).click()
    expect(new_tab.page.get_by_text("已确认王建国的变更申请，将由市科技局审核。")).to_be_visible()

    # The bureau approves.
    bureau = journey()
    bureau.log_in(reviewer.username, factories.PASSWORD)
    bureau.page.get_by_role("link", name="专家审核").first.click()
    bureau.page.get_by_role("link", name="已入库专家信息变更审核").click()
    bureau.snap("bureau-list")
    phone_snap(bureau, "bureau-list")
    bureau.page.get_by_role("row", name="王建国").get_by_role("link", name="审核").click()
    bureau.snap("bureau-detail")
    phone_snap(bureau, "bureau-detail")
    bureau.page.get_by_role("button", name="通过", exact=True).click()
    expect(bureau.page.get_by_text("王建国的变更申请已通过")).to_be_visible()
    assert any("新信息将立即生效" in question for question in bureau.dialogs)

    # The expert's home shows the new values.
    tab.open("/expert/")
    expect(tab.page.get_by_test_id("change-history")).to_contain_text("已通过")
    tab.snap("expert-home-approved")
    phone_snap(tab, "expert-home-approved")
    tab.open("/expert/form/")
    expect(tab.page.get_by_text("光谷先进制造研究院").first).to_be_visible()
    expect(tab.page.get_by_text("研究员").first).to_be_visible()
    tab.snap("expert-readonly-new-values")
    assert User.objects.get(pk=expert.pk).unit_id == new_unit.pk

    # Kept for looking at beside the other pieces' screenshots.
    SHOTS.mkdir(parents=True, exist_ok=True)
    for shot in tab.folder.glob("*.png"):
        shutil.copy(shot, SHOTS / shot.name)
