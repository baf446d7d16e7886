"""Admin's pages of our own, in chromium at 1,280 px: the 审核不通过 reason page and the
查看完整信息 page lay their fields out as admin's change forms do (found by a walk: their help
text stood above the box and the fields were cramped), and the pages changed with them (禁入名单,
a unit's contact mobile, 增加用户) are seen in screenshots under tests/e2e/artifacts/<test>/."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Authenticator, Blacklist, User
from experts.models import ApplicationStatus
from tests import factories
from tests.e2e.test_admin_layout import operator_tab

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

# For each visible form row: where its label, box and help text are on the page.
ROWS = """() => [...document.querySelectorAll('#content-main fieldset.aligned .form-row')]
  .filter(row => row.offsetParent !== null)
  .map(row => {
    const box = el => el ? el.getBoundingClientRect() : null;
    const label = box(row.querySelector('label'));
    const field = box(row.querySelector('input:not([type=hidden]), textarea, select'));
    const help = box(row.querySelector('.help'));
    return {
      name: row.className,
      labelLeft: label.left, labelTop: label.top, labelRight: label.right,
      fieldLeft: field.left, fieldTop: field.top, fieldBottom: field.bottom,
      helpTop: help ? help.top : null,
    };
  })"""


def shot(tab, name: str) -> None:
    """A full-page screenshot to look at (admin's pages are not the portal's: no axe run)."""
    tab.page.wait_for_load_state()
    count = len(list(tab.folder.glob("*.png"))) + 1
    tab.page.screenshot(path=tab.folder / f"{count:02d}-{name}.png", full_page=True)


def assert_laid_out_as_admin(page) -> None:
    rows = page.evaluate(ROWS)
    assert rows, "no admin form rows"
    for row in rows:
        # The label beside its box (admin's aligned form), not above it.
        assert row["fieldLeft"] >= row["labelRight"] - 1, row
        assert abs(row["fieldTop"] - row["labelTop"]) < 30, row
        # The help text under the box.
        if row["helpTop"] is not None:
            assert row["helpTop"] >= row["fieldBottom"] - 1, row
    # One column of labels, as on admin's change pages.
    assert len({round(row["labelLeft"]) for row in rows}) == 1, rows


def test_the_reject_reason_page_reads_like_an_admin_form(journey, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    tab = operator_tab(journey)
    page = tab.page
    tab.open(f"/admin/experts/expertapplication/{applicant.application.pk}/transition/reject/")
    expect(page.locator("h1", has_text="审核不通过：")).to_be_visible()
    assert_laid_out_as_admin(page)
    shot(tab, "reject-reason")
    page.get_by_role("button", name="确认审核不通过").click()
    expect(page.locator(".errornote")).to_have_text("请修正下面的错误。")
    expect(page.locator(".form-row.errors.field-reason .errorlist")).to_be_visible()
    assert_laid_out_as_admin(page)
    shot(tab, "reject-reason-error")


def test_a_units_contact_mobile_is_masked_and_opened_with_a_reason(journey, unit):
    tab = operator_tab(journey)
    page = tab.page
    tab.open(f"/admin/accounts/unit/{unit.pk}/change/")
    row = page.locator(".form-row.field-masked_contact_mobile")
    expect(row).to_contain_text("139****9000")
    expect(page.locator("#id_contact_mobile")).to_have_count(0)
    shot(tab, "unit-change")
    page.get_by_role("link", name="查看完整信息").click()
    assert_laid_out_as_admin(page)
    shot(tab, "personal-data-reason")
    page.get_by_label("核对本人身份").check()
    page.get_by_role("button", name="查看完整信息").click()
    expect(page.locator("#content-main table")).to_contain_text("13900139000")
    shot(tab, "personal-data-shown")


def test_the_blacklist_pages(journey, reviewer):
    today = timezone.localdate()
    for name, until in [("张三", today + datetime.timedelta(days=365)), ("李四", today)]:
        Blacklist.objects.create(
            id_number_index=name, name=name, until=until, reason="出库（清退）", created_by=reviewer
        )
    Blacklist.objects.create(
        id_number_index="w",
        name="王五",
        until=today - datetime.timedelta(days=1),
        reason="出库（清退）",
        created_by=reviewer,
    )
    tab = operator_tab(journey)
    page = tab.page
    tab.open("/admin/accounts/blacklist/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator("td.field-state", has_text="已结束")).to_have_count(1)
    shot(tab, "blacklist-list")
    page.get_by_role("link", name="已结束").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    tab.open(f"/admin/accounts/blacklist/{Blacklist.objects.get(name='张三').pk}/change/")
    page.get_by_label("禁入截止日期").fill("2099-01-01")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".form-row.field-until .errorlist")).to_contain_text("只能提前")
    shot(tab, "blacklist-later-refused")


def test_adding_a_user_asks_for_a_password_only(journey):
    tab = operator_tab(journey)
    page = tab.page
    tab.open("/admin/accounts/user/add/")
    expect(page.locator("#content-main")).not_to_contain_text("LDAP")
    expect(page.locator("#content-main")).not_to_contain_text("当前密码")
    shot(tab, "user-add")
    page.get_by_label("用户名").fill("newclerk")
    page.locator("#id_password1").fill("Lantern-Orbit-57")
    page.locator("#id_password2").fill("Lantern-Orbit-57")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("ul.messagelist")).to_be_visible()
    user = User.objects.get(username="newclerk")
    assert user.has_usable_password()
    page.get_by_role("link", name="重置密码").click()
    expect(page.locator("#content-main")).not_to_contain_text("LDAP")
    shot(tab, "user-password")


def test_doubled_reasons_and_rules_are_refused_and_a_reset_returns_to_its_list(journey, reviewer):
    Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    tab = operator_tab(journey)
    page = tab.page
    tab.open("/admin/experts/reasoncode/add/")
    page.get_by_label("代码").fill("信息")
    page.get_by_label("中文说明").fill("信息不完整")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".form-row.field-code .errorlist")).to_contain_text("代码只能由")
    expect(page.locator(".form-row.field-label .errorlist")).to_contain_text("已有启用的理由")
    shot(tab, "reason-code-refused")

    tab.open("/admin/experts/eligibilityrule/add/")
    page.get_by_label("规则类型").select_option(label="最高年龄")
    page.get_by_label("年数").fill("60")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".form-row.field-kind .errorlist")).to_contain_text("同一类型只能启用一条")
    shot(tab, "rule-refused")

    tab.open("/admin/audit/reminder/")
    expect(page.locator("#changelist-filter")).not_to_contain_text("已交短信发送队列")
    shot(tab, "reminders")

    tab.open("/admin/accounts/authenticator/?confirmed=1")
    page.get_by_role("link", name=reviewer.username).first.click()
    page.get_by_role("link", name="删除").click()
    page.get_by_role("button", name="是的，我确定").click()
    expect(page.locator("ul.messagelist")).to_be_visible()
    assert page.url.endswith("/admin/accounts/authenticator/?confirmed=1")
    shot(tab, "authenticator-deleted")
