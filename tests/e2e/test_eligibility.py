"""资格提示 as a reviewer and an applicant see them: the badge and the filter on 专家审核, the box
on the detail page, and 参加工作时间 on the form (issue 21 item 6)."""

import datetime

import pytest
from playwright.sync_api import expect

from experts import eligibility
from experts.models import (
    ApplicationStatus,
    EligibilityKind,
    EligibilityRule,
    ExpertApplication,
)
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def waiting(unit, name, **fields):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name=name)
    rows = ExpertApplication.objects.filter(pk=applicant.application.pk)
    rows.update(**{"work_started_on": datetime.date(2003, 7, 1), **fields})
    eligibility.recompute(rows)
    return applicant


def test_reviewer_filters_flagged_applications_and_reads_the_flags(journey):
    unit = factories.make_unit(name="武汉示范大学")
    waiting(unit, "王敏", title_level="intermediate", work_started_on=datetime.date(2023, 9, 1))
    waiting(unit, "李强")
    waiting(unit, "张伟", birth_date=datetime.date(1958, 5, 1), work_started_on=None)

    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.page.get_by_role("link", name="专家审核").first.click()
    badge = tab.page.get_by_role("row", name="王敏").get_by_test_id("eligibility-badge")
    expect(badge).to_contain_text("资格提示：职称级别低于副高级；从业不足5年")
    expect(
        tab.page.get_by_role("row", name="李强").get_by_test_id("eligibility-badge")
    ).to_have_count(0)
    tab.snap("queue")

    tab.page.get_by_role("group", name="资格提示").get_by_role("link", name="有提示").click()
    expect(tab.page.get_by_role("row")).to_have_count(3)  # the header and two flagged rows
    expect(tab.page.get_by_role("row", name="李强")).to_have_count(0)
    tab.snap("queue-flagged")

    tab.page.get_by_role("row", name="张伟").get_by_role("link", name="审核").click()
    box = tab.page.get_by_role("region", name="资格提示（仅供参考，不影响审核）")
    expect(box.get_by_role("listitem")).to_have_text(["年龄超过65岁", "未填写参加工作时间"])
    tab.snap("detail")


def test_applicant_gives_the_date_work_started_and_a_future_one_is_refused(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="赵磊")

    tab = journey()
    tab.log_in(applicant.username, factories.PASSWORD)
    tab.open("/expert/form/")
    field = tab.page.get_by_label("参加工作时间")
    field.fill("2099-09-01")
    tab.page.get_by_role("button", name="保存草稿").first.click()
    expect(tab.page.get_by_text("参加工作时间不能晚于今天。", exact=True)).to_be_visible()
    tab.snap("form-future-date")

    tab.page.get_by_label("参加工作时间").fill("2004-09-01")
    tab.page.get_by_role("button", name="保存草稿").first.click()
    # The page the save answers with: the field keeps its value only once that page is there
    # (before it, the typed value passes too, and the save may not have reached the server).
    expect(tab.page.get_by_text("草稿已保存，可随时回来继续填写。")).to_be_visible()
    expect(tab.page.get_by_label("参加工作时间")).to_have_value("2004-09-01")
    tab.snap("form-saved")
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.work_started_on == datetime.date(2004, 9, 1)


def test_unit_sees_the_flags_of_its_people_and_filters_them(journey):
    unit = factories.make_unit(name="武汉示范大学")
    for name, fields in [("王敏", {"title_level": "other"}), ("李强", {})]:
        applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name=name)
        rows = ExpertApplication.objects.filter(pk=applicant.application.pk)
        rows.update(**{"work_started_on": datetime.date(2003, 7, 1), **fields})
        eligibility.recompute(rows)

    tab = journey()
    tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    tab.page.get_by_role("link", name="用户账号管理").first.click()
    expect(
        tab.page.get_by_role("row", name="王敏").get_by_test_id("eligibility-badge")
    ).to_contain_text("资格提示：职称级别低于副高级")
    tab.page.get_by_role("group", name="资格提示").get_by_role("link", name="无提示").click()
    expect(tab.page.get_by_role("row", name="李强")).to_have_count(1)
    expect(tab.page.get_by_role("row", name="王敏")).to_have_count(0)
    tab.snap("people-clear")


def test_operator_is_told_a_bad_value_then_how_many_were_recomputed(journey):
    from accounts.models import User

    unit = factories.make_unit(name="武汉示范大学")
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="王敏")
    User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    tab = journey()
    tab.log_in("operator", factories.PASSWORD)
    # The portal's own 最少从业年限 rule (5 years; one active rule of a kind).
    rule = EligibilityRule.objects.get(kind=EligibilityKind.MIN_YEARS, active=True)
    tab.open(f"/admin/experts/eligibilityrule/{rule.pk}/change/")
    tab.page.get_by_label("年数").fill("0")
    tab.page.get_by_role("button", name="保存", exact=True).click()
    expect(tab.page.get_by_text("“最少从业年限”的年数应在1至60之间。")).to_be_visible()
    # Admin's own pages: a screenshot only (Journey.snap's checks are for the portal's pages).
    tab.page.screenshot(path=tab.folder / "rule-bad-value.png", full_page=True)

    tab.page.get_by_label("年数").fill("10")
    tab.page.get_by_role("button", name="保存", exact=True).click()
    expect(
        tab.page.get_by_text(
            "已按当前规则重新核对1份待审核或已退回的申请的资格提示，其中1份有变化。"
        )
    ).to_be_visible()
    tab.page.screenshot(path=tab.folder / "rule-saved.png", full_page=True)
