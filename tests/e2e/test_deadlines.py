"""截止日期 in the queues, in the browser by visible labels (issue 21 item 2, in the lists)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import UnitStatus
from accounts.models import Unit
from experts import counts
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
S = ApplicationStatus


def due_in(model, days: int, **which) -> datetime.date:
    """Make one row due `days` from today, with the kept counts rebuilt as after a repair."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    assert model.objects.filter(**which).update(due_on=day) == 1
    counts.recount()
    return day


@pytest.fixture
def queues():
    unit = factories.make_unit(name="武汉示范大学")
    for name, status in [
        ("陈静", S.PENDING_BUREAU),
        ("李强", S.PENDING_BUREAU),
        ("王芳", S.PENDING_UNIT),
        ("周敏", S.PENDING_UNIT),
        ("赵磊", S.APPROVED),
    ]:
        factories.make_applicant(unit, status, name=name)
    late = {
        "陈静": due_in(ExpertApplication, -3, user__real_name="陈静"),
        "王芳": due_in(ExpertApplication, -1, user__real_name="王芳"),
    }
    due_in(ExpertApplication, 4, user__real_name="李强")
    factories.make_unit(UnitStatus.PENDING, name="光谷示范科技有限公司")
    factories.make_unit(UnitStatus.PENDING, name="江城新材料研究院")
    late["光谷示范科技有限公司"] = due_in(Unit, -2, name="光谷示范科技有限公司")
    return unit, late


def row(page, name):
    return page.get_by_role("row").filter(has_text=name)


def test_the_bureau_finds_and_sorts_overdue_applications_and_units(journey, queues):
    _, late = queues
    reviewer = factories.make_reviewer()
    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    expect(page.get_by_role("heading", name="专家审核")).to_be_visible()
    pending = page.get_by_role("link", name="待科技局审核")
    expect(pending).to_contain_text("已超期 1")
    expect(page.get_by_role("link", name="待单位推荐")).to_contain_text("已超期 1")
    expect(row(page, "陈静")).to_contain_text(f"{late['陈静']:%Y-%m-%d} 已超期")
    expect(row(page, "李强")).not_to_contain_text("已超期")
    tab.snap("bureau-queue")

    page.get_by_role("link", name="只看已超期").click()
    expect(page.get_by_role("status")).to_have_text("只显示已超期的申请")
    expect(page.get_by_role("row")).to_have_count(2)  # the header and 陈静
    page.get_by_role("link", name="按截止日期").click()
    expect(page).to_have_url(re.compile(r"overdue=true.*sort=due|sort=due.*overdue=true"))
    expect(row(page, "陈静")).to_be_visible()
    tab.snap("bureau-queue-overdue-sorted")

    row(page, "陈静").get_by_role("link", name="审核").click()
    deadline = page.locator("p", has_text="截止日期：")
    expect(deadline).to_contain_text(f"{late['陈静']:%Y-%m-%d} 已超期")
    tab.snap("bureau-detail")

    page.get_by_role("link", name="单位注册审核").first.click()
    expect(page.get_by_role("link", name="待审核")).to_contain_text("已超期 1")
    expect(row(page, "光谷示范科技有限公司")).to_contain_text("已超期")
    expect(row(page, "江城新材料研究院")).not_to_contain_text("已超期")
    tab.snap("unit-queue")


def test_the_bureaus_queue_on_a_phone(journey, queues):
    reviewer = factories.make_reviewer()
    tab = journey(phone=True)
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    expect(page.get_by_role("link", name="待科技局审核")).to_contain_text("已超期 1")
    expect(row(page, "陈静")).to_contain_text("已超期")
    # The unit under the name, and the 审核 button on one line (it wrapped a character a line
    # beside a 工作单位 column).
    expect(row(page, "陈静").get_by_text("武汉示范大学").first).to_be_visible()
    button = row(page, "陈静").get_by_role("link", name="审核")
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    assert button.bounding_box()["height"] < 2 * line
    tab.snap("bureau-queue-phone")


def test_a_unit_sees_its_overdue_people(journey, queues):
    unit, late = queues
    tab = journey()
    tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    page = tab.page
    page.get_by_role("link", name="用户账号管理").first.click()
    expect(page.get_by_role("link", name="待单位推荐")).to_contain_text("已超期 1")
    page.get_by_role("link", name="按截止日期").click()
    # Soonest due of the unit's own first: 王芳 (1 day late), then those due later; 陈静
    # waits on the bureau, whose deadline is not the unit's (no date, no 已超期).
    first = page.get_by_role("row").nth(1)
    expect(first).to_contain_text("王芳")
    expect(row(page, "王芳")).to_contain_text(f"{late['王芳']:%Y-%m-%d} 已超期")
    expect(row(page, "陈静")).not_to_contain_text("已超期")
    tab.snap("unit-people-sorted")
