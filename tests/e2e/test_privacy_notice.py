"""个人信息保护说明 in the browser (PIPL walk S4): a visitor opens it from the footer on a desktop
and on a phone (axe on each), and a person who registers without ticking it is told so, keeps
what they typed, and registers once it is ticked."""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from portal import privacy
from tests import factories
from tests.e2e.test_clerk_registration import agree, exactly

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
# Copies of the steps' screenshots for the review, beside tests/e2e/artifacts/.
SHOTS = Path("/tmp/shots-notice")
PASSWORD = factories.PASSWORD


def keep(tab, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    shots = sorted(tab.folder.glob(f"*-{name}.png"))
    shutil.copy(shots[-1], SHOTS / f"{name}.png")


def test_a_visitor_opens_the_notice_from_the_footer(journey):
    for phone in (False, True):
        tab = journey(phone=phone)
        tab.open("/")
        tab.page.get_by_role("contentinfo").get_by_role("link", name="个人信息保护说明").click()
        expect(tab.page.get_by_role("heading", name="个人信息保护说明", level=1)).to_be_visible()
        expect(tab.page.get_by_text(f"版本：{privacy.NOTICE_VERSION}")).to_be_visible()
        expect(tab.page.get_by_role("heading", name="五、短信和电子邮件")).to_be_visible()
        name = "privacy-390" if phone else "privacy-1280"
        tab.snap(name)
        keep(tab, name)


def test_a_person_who_does_not_tick_the_notice_is_told_and_keeps_what_they_typed(journey):
    unit = factories.make_unit(name="武汉示范大学")
    tab = journey()
    page = tab.page
    tab.open("/register/individual/")
    tab.snap("register-individual")
    keep(tab, "register-individual")
    page.get_by_label("用户名").fill("liuyang")
    exactly(page, "密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("姓名").fill("刘洋")
    page.get_by_label("证件号码").fill(factories.resident_id(birth="19780512", sex="female"))
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("电子邮箱").fill("liuyang@example.com")
    page.get_by_label("搜索所属单位").fill("示范")
    expect(exactly(page, "所属单位")).to_have_value(str(unit.pk))
    page.get_by_role("button", name="注册").click()

    summary = page.get_by_role("alert").locator("li")
    expect(summary.first).to_have_text(
        "个人信息保护说明：请阅读《个人信息保护说明》，勾选同意后再注册。"
    )
    expect(page.get_by_label("姓名")).to_have_value("刘洋")
    expect(page.get_by_label("手机号码")).to_have_value("13812345678")
    box = page.get_by_label(re.compile(r"^\s*我已阅读并同意《个人信息保护说明》"))
    expect(box).to_have_attribute("aria-invalid", "true")
    assert not User.objects.filter(username="liuyang").exists()
    tab.snap("register-unticked")
    keep(tab, "register-unticked")

    exactly(page, "密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    agree(page)
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_test_id("expert-status")).to_have_text("信息未填写")
    person = User.objects.get(username="liuyang")
    assert person.privacy_notice_version == privacy.NOTICE_VERSION


def test_the_unit_registration_links_the_notice_above_its_fields(journey):
    tab = journey()
    tab.open("/register/unit/")
    notice = tab.page.get_by_test_id("privacy-before")
    expect(notice.get_by_role("link", name="《个人信息保护说明》")).to_have_attribute(
        "href", "/privacy/"
    )
    tab.snap("register-unit")
    keep(tab, "register-unit")


def test_a_person_whose_notice_changed_reads_it_agrees_and_goes_on(journey, monkeypatch):
    """PIPL art. 17: a newer version is shown after login, with what changed, before anything
    else; 我已阅读并同意 records it and opens the page asked for. On a desktop and a phone."""
    monkeypatch.setattr(privacy, "NOTICE_VERSION", "2027-06")
    monkeypatch.setattr(
        privacy, "CHANGES", {"2027-06": ("短信改由某某云通信有限公司发送。",), **privacy.CHANGES}
    )
    unit = factories.make_unit(name="武汉示范大学")
    for phone in (False, True):
        person = factories.make_applicant(unit)
        User.objects.filter(pk=person.pk).update(privacy_notice_version="2026-12")
        tab = journey(phone=phone)
        page = tab.page
        tab.open("/login/?next=/expert/my-data/")
        page.get_by_label("用户名").fill(person.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()

        expect(page.get_by_role("heading", name="个人信息保护说明", level=1)).to_be_visible()
        expect(page.get_by_text("您此前同意的是2026-12版，现行版本为2027-06版。")).to_be_visible()
        expect(page.get_by_text("短信改由某某云通信有限公司发送。")).to_be_visible()
        expect(page.get_by_role("heading", name="一、个人信息处理者和联系方式")).to_be_visible()
        name = "renotice-390" if phone else "renotice-1280"
        tab.snap(name)
        keep(tab, name)
        # Nothing else opens meanwhile: the start page leads back here.
        tab.open("/expert/")
        expect(page.get_by_role("button", name="我已阅读并同意")).to_be_visible()

        page.get_by_role("button", name="我已阅读并同意").click()

        expect(page.get_by_text("已记录您同意本版《个人信息保护说明》。")).to_be_visible()
        assert page.url.endswith("/expert/")
        person.refresh_from_db()
        assert person.privacy_notice_version == "2027-06"
