"""The lockout page as a person meets it after five wrong passwords (issue 20)."""

import pytest
from playwright.sync_api import expect

from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_five_wrong_passwords_show_when_and_how_to_unlock(journey):
    applicant = factories.make_applicant(factories.make_unit(), ApplicationStatus.DRAFT)
    tab = journey()
    tab.open("/login/")
    for _ in range(4):
        tab.page.get_by_label("用户名").fill(applicant.username)
        tab.page.get_by_label("密码").fill("Wrong#Pass2026")
        tab.page.get_by_role("button", name="登录").click()
        # The answer to this try, not the last one's: its page comes back without the password.
        expect(tab.page.get_by_label("密码")).to_have_value("")
        expect(tab.page.get_by_text("用户名或密码错误")).to_be_visible()
    tab.snap("fourth-failure")
    tab.page.get_by_label("用户名").fill(applicant.username)
    tab.page.get_by_label("密码").fill("Wrong#Pass2026")
    tab.page.get_by_role("button", name="登录").click()

    lock = tab.page.get_by_test_id("lockout")
    expect(lock).to_contain_text("该账号在您当前的网络位置登录失败次数过多")
    expect(lock).to_contain_text("同一网络中的其他账号不受影响")
    expect(lock.get_by_role("link", name="找回密码")).to_be_visible()
    tab.snap("locked")
