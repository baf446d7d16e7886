"""Issue 21, item 3: operators see the day's reminders in admin, and the digest e-mail reads
well in a mail client (its HTML part, opened in the browser).

Screenshots land in tests/e2e/artifacts/<test>/."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Unit, UnitStatus, User
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def overdue_data(reviewer):
    yesterday = datetime.date(2026, 11, 30)
    unit = factories.make_unit(name="华中科技大学同济医学院附属协和医院")
    for name in ["欧阳晓明", "司马相如"]:
        factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name=name)
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="诸葛孔明")
    ExpertApplication.objects.update(due_on=yesterday)
    pending = factories.make_unit(UnitStatus.PENDING, name="武汉东湖新技术开发区管委会")
    Unit.objects.filter(pk=pending.pk).update(due_on=yesterday)
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.com")


def test_operators_see_the_reminders_and_the_digest_reads_well(journey, reviewer):
    overdue_data(reviewer)
    call_command("send_reminders", "--date", "2026-12-01")
    User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    tab = journey()
    tab.log_in("operator", factories.PASSWORD)
    page = tab.page

    tab.open("/admin/")
    page.get_by_role("link", name="超期提醒").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("row", name="单位短信提醒")).to_contain_text("待单位推荐2份")
    expect(page.get_by_role("row", name="科技局摘要邮件")).to_contain_text(
        "单位注册1项，待科技局审核1项"
    )
    expect(page.get_by_role("link", name="短信排队中")).to_be_visible()
    expect(page.get_by_role("link", name="增加 超期提醒")).to_have_count(0)
    page.screenshot(path=tab.folder / "reminder-changelist.png", full_page=True)

    page.get_by_role("row", name="科技局摘要邮件").get_by_role("link").first.click()
    expect(page.get_by_text("reviewer", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="保存")).to_have_count(0)
    page.screenshot(path=tab.folder / "reminder-digest-page.png", full_page=True)

    # The digest's HTML part as a mail client shows it.
    html = next(content for content, mimetype in mail.outbox[0].alternatives)
    page.set_content(html)
    expect(page.get_by_role("heading", name="单位注册审核（超期1项）")).to_be_visible()
    expect(page.get_by_role("cell", name="诸葛孔明")).to_be_visible()
    expect(page.get_by_role("link", name="查看并处理")).to_have_count(2)
    page.screenshot(path=tab.folder / "digest-email.png", full_page=True)
