"""After admission, by visible labels (issue 23 parts 2 and 3): the 年度确认 banner and its
button, 申请退出, and the bureau's 确认退出 and 出库（清退） with 禁入."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Blacklist
from experts import services
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def admitted(unit, reviewer, name, months_ago=0):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name=name)
    services.approve_application(applicant.application, reviewer)
    when = timezone.now() - datetime.timedelta(days=30 * months_ago + 5)
    ExpertApplication.objects.filter(user=applicant).update(confirmed_at=when)
    return applicant


def test_expert_confirms_then_leaves_and_the_bureau_confirms(journey):
    unit = factories.make_unit(name="武汉示范大学")
    reviewer = factories.make_reviewer()
    expert = admitted(unit, reviewer, "王敏", months_ago=11)

    tab = journey()
    tab.log_in(expert.username, factories.PASSWORD)
    expect(tab.page.get_by_test_id("confirm-due")).to_contain_text("已满11个月")
    tab.snap("confirm-due")
    tab.page.get_by_role("button", name="确认信息无变化").click()
    expect(tab.page.get_by_text("已确认您的专家信息")).to_be_visible()
    expect(tab.page.get_by_test_id("confirm-due")).to_have_count(0)
    tab.page.get_by_role("button", name="申请退出").click()
    expect(tab.page.get_by_test_id("expert-status")).to_have_text("退出待确认")
    tab.snap("exit-pending")
    tab.log_out()

    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.page.get_by_role("link", name="专家审核").first.click()
    tab.page.get_by_role("link", name="退出待确认").click()
    tab.page.get_by_role("row", name="王敏").get_by_role("link").first.click()
    tab.snap("bureau-exit")
    tab.page.get_by_role("button", name="确认退出").click()
    expect(tab.page.get_by_text("已确认王敏退出专家库")).to_be_visible()
    assert ExpertApplication.objects.get(user=expert).status == ApplicationStatus.EXITED


def test_bureau_removes_an_expert_with_a_ban(journey):
    unit = factories.make_unit(name="武汉示范大学")
    reviewer = factories.make_reviewer()
    expert = admitted(unit, reviewer, "李强")
    tab = journey(phone=True)
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.open(f"/bureau/experts/{expert.application.pk}/")
    card = tab.page.get_by_role("region", name="出库管理")
    card.get_by_label("出库理由").select_option(label="提供虚假信息")
    card.get_by_label("说明").fill("学历信息不实")
    card.get_by_label("禁入").select_option(label="3年")
    tab.snap("remove-form")
    card.get_by_role("button", name="出库（清退）").click()
    expect(tab.page.get_by_text("已将李强移出专家库")).to_be_visible()
    tab.snap("removed")
    assert Blacklist.objects.get().name == "李强"
