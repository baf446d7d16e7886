"""Issue 19 points 3, 4 and 8 in a real browser, by visible labels: both registrations end
signed in, a new unit reads one message, and history rows name a unit by its name."""

import re

import pytest
from playwright.sync_api import expect

from experts import services
from experts.models import ApplicationStatus
from tests import factories

# A live server needs committed data (see test_manual.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PASSWORD = factories.PASSWORD


def exactly(page, label: str):
    """The field labelled exactly `label` (a required field's label ends in an asterisk)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\*?\s*$"))


def agree(page) -> None:
    """Tick 我已阅读并同意《个人信息保护说明》 (the box is required on both registrations)."""
    page.get_by_label(re.compile(r"^\s*我已阅读并同意《个人信息保护说明》")).check()


def history(tab):
    return tab.page.get_by_role("region", name="审核记录")


def fill_unit(page, licence) -> None:
    """新用户注册：单位's unit fields, as a clerk types them, and the scan."""
    page.get_by_label("单位名称").fill("武汉光谷研究院")
    page.get_by_label("统一社会信用代码").fill(factories.credit_code())
    page.get_by_label("单位性质").select_option(label="科研院所")
    page.get_by_label("所在区").select_option(label="东湖新技术开发区")
    page.get_by_label("单位地址").fill("武汉市东湖高新区高新大道999号")
    exactly(page, "联系人").fill("王芳")
    page.get_by_label("联系人手机").fill("13900139001")
    page.get_by_label("电子邮箱").fill("office@example.org")
    page.get_by_label("营业执照或法人证书扫描件").set_input_files(licence)


def test_a_unit_registers_and_reads_one_message_signed_in(journey, tmp_path):
    licence = tmp_path / "营业执照.png"
    licence.write_bytes(factories.png_bytes((400, 300)))
    tab = journey()
    page = tab.page
    tab.open("/")
    page.get_by_role("link", name="用户注册").first.click()
    page.get_by_role("link", name="新用户注册：单位").click()
    fill_unit(page, licence)
    page.get_by_label("用户名").fill("guanggu")
    exactly(page, "密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    agree(page)
    page.get_by_role("button", name="注册").click()

    expect(page.get_by_role("heading", name="武汉光谷研究院")).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_text("单位账号 · 武汉光谷研究院")
    # One message, not a green one and a blue one saying the same.
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("已提交科技局审核")).to_have_count(1)
    expect(page.get_by_test_id("unit-pending")).to_contain_text("短信通知联系人 王芳")
    tab.snap("unit-registered")


def test_a_unit_registration_error_asks_for_the_scan_and_both_passwords_once(journey, tmp_path):
    """Found by a unit's walk: after a taken username the browser drops the scan and the
    passwords; the page said so for the scan only, and above the real error."""
    taken = factories.unit_account(factories.make_unit()).username
    licence = tmp_path / "营业执照.png"
    licence.write_bytes(factories.png_bytes((400, 300)))
    tab = journey()
    page = tab.page
    tab.open("/register/unit/")
    fill_unit(page, licence)
    page.get_by_label("用户名").fill(taken)
    exactly(page, "密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    agree(page)
    page.get_by_role("button", name="注册").click()

    summary = page.get_by_role("alert").locator("li")
    expect(summary).to_have_text(
        [
            "用户名：该用户名已被注册，请换一个。",
            "出于安全原因，请重新选择扫描件并重新输入密码、确认密码后再提交。",
        ]
    )
    for box in (exactly(page, "密码"), page.get_by_label("确认密码")):
        expect(box).to_have_value("")
        expect(box).to_have_attribute("aria-invalid", "true")
    tab.snap("unit-registration-error")

    page.get_by_label("用户名").fill("guanggu")
    page.get_by_label("营业执照或法人证书扫描件").set_input_files(licence)
    exactly(page, "密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_test_id("who")).to_have_text("单位账号 · 武汉光谷研究院")


def test_a_person_registers_and_lands_signed_in_on_their_home(journey):
    unit = factories.make_unit(name="武汉示范大学")
    tab = journey()
    page = tab.page
    tab.open("/")
    page.get_by_role("link", name="用户注册").first.click()
    page.get_by_role("link", name="新用户注册：个人").click()
    page.get_by_label("用户名").fill("liuyang")
    exactly(page, "密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("姓名").fill("刘洋")
    page.get_by_label("证件号码").fill(factories.resident_id(birth="19780512", sex="female"))
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("电子邮箱").fill("liuyang@example.com")
    page.get_by_label("搜索所属单位").fill("示范")
    expect(exactly(page, "所属单位")).to_have_value(str(unit.pk))  # the search chose it
    agree(page)
    page.get_by_role("button", name="注册").click()

    # No second login: the home page, signed in, with one success message.
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^\s*注册成功，您已登录。\s*$"))
    expect(page.get_by_test_id("expert-status")).to_have_text("信息未填写")
    expect(page.get_by_test_id("who")).to_have_text("申请人 · 武汉示范大学 · 刘洋")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_role("link", name="申请成为专家")).to_be_visible()
    tab.snap("person-registered")


def test_history_rows_name_the_unit_not_its_login_name(journey):
    unit = factories.make_unit(name="武汉示范大学")
    login_name = factories.unit_account(unit).username
    applicant = factories.make_applicant(unit, name="陈静")
    services.submit_application(applicant.application, applicant)
    services.recommend_application(
        applicant.application, factories.unit_account(unit), "情况属实，同意推荐。"
    )
    reviewer = factories.make_reviewer("zhao_reviewer")
    reviewer.real_name = "赵审核"
    reviewer.save(update_fields=["real_name"])

    bureau = journey()
    bureau.log_in(reviewer.username, PASSWORD)
    bureau.page.get_by_role("link", name="专家审核").click()
    bureau.page.get_by_role("row", name="陈静").get_by_role("link", name="审核").click()
    expect(history(bureau)).to_contain_text("单位账号（武汉示范大学）")
    expect(history(bureau)).to_contain_text("申请人（陈静）")
    expect(history(bureau)).not_to_contain_text(login_name)
    bureau.page.get_by_role("button", name="审核通过").click()
    expect(bureau.page.get_by_role("alert").first).to_contain_text("审核通过")
    bureau.page.goto(bureau.base_url + f"/bureau/experts/{applicant.application.pk}/")
    expect(history(bureau)).to_contain_text("科技局审核员（赵审核）")
    history(bureau).scroll_into_view_if_needed()
    bureau.snap("bureau-history")

    person = journey()
    person.log_in(applicant.username, PASSWORD)
    expect(person.page.get_by_test_id("expert-status")).to_have_text(
        ApplicationStatus.APPROVED.label
    )
    rows = history(person).get_by_role("row")
    expect(rows.nth(1)).to_contain_text("科技局审核员")
    expect(rows.nth(2)).to_contain_text("单位账号（武汉示范大学）")
    expect(history(person)).not_to_contain_text(login_name)
    expect(history(person)).not_to_contain_text("赵审核")
    person.snap("applicant-history")
