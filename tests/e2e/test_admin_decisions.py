"""An operator's decisions and switches in Django admin, in chromium: a decision never saves what
is typed on the page (found by a walk: 审核不通过 then 取消 had saved a new 通讯地址), and
unticking a unit's 启用 asks first, saying how many people it shuts out."""

import pytest
from playwright.sync_api import expect

from accounts.models import Unit
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories
from tests.e2e.test_admin_layout import operator_tab

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_a_decision_leaves_the_pages_edits_unsaved(journey, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    address = applicant.application.address
    tab = operator_tab(journey)
    page = tab.page
    tab.open(f"/admin/experts/expertapplication/{applicant.application.pk}/change/")
    page.get_by_label("通讯地址").fill("不该保存的新地址")
    page.get_by_role("link", name="审核不通过").click()
    expect(page.locator("h1", has_text="审核不通过：")).to_be_visible()
    page.get_by_role("link", name="取消").click()
    assert ExpertApplication.objects.get(pk=applicant.application.pk).address == address

    page.get_by_label("通讯地址").fill("不该保存的新地址")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("ul.messagelist")).to_contain_text("已审核通过")
    assert "本页未保存的修改不会随之保存" in tab.dialogs[-1]
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert (application.status, application.address) == (ApplicationStatus.APPROVED, address)
    page.screenshot(path=tab.folder / "approved.png", full_page=True)


def test_unticking_a_units_switch_asks_first(journey, unit):
    for _ in range(2):
        factories.make_applicant(unit, ApplicationStatus.APPROVED)
    tab = operator_tab(journey)
    page = tab.page
    tab.open(f"/admin/accounts/unit/{unit.pk}/change/")
    page.get_by_label("启用").uncheck()
    page.once("dialog", lambda dialog: dialog.dismiss())  # 取消: nothing is saved
    page.remove_listener("dialog", tab.confirm)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_label("启用")).not_to_be_checked()
    assert Unit.objects.get(pk=unit.pk).is_active

    page.on("dialog", tab.confirm)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("ul.messagelist")).to_be_visible()
    assert tab.dialogs[-1].startswith(f"停用后，“{unit.name}”的3个账号")
    assert not Unit.objects.get(pk=unit.pk).is_active
    # The list shows which units are switched off.
    tab.open("/admin/accounts/unit/?is_active__exact=0")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.screenshot(path=tab.folder / "unit-list-switched-off.png", full_page=True)
