"""A resubmission as the bureau's reviewer reads it: what changed since the last 提交 (issue 21)."""

import pytest
from playwright.sync_api import expect

from experts import services
from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_the_reviewer_sees_what_changed_and_can_show_only_that(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="周敏")
    account = factories.unit_account(unit)
    services.submit_application(applicant.application, applicant)
    services.return_application(applicant.application, account, "所在部门填写有误。")
    services.save_draft(applicant.application, applicant, {"department": "光电信息学院"})
    services.submit_application(applicant.application, applicant)
    services.recommend_application(applicant.application, account)
    reviewer = factories.make_reviewer()

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.page.get_by_role("row", name="周敏").get_by_role("link", name="审核").click()
    changes = tab.page.get_by_role("region", name="与上次提交相比")
    expect(changes.get_by_test_id("changed-count")).to_have_text("1 项已修改")
    expect(changes.get_by_test_id("changed-row")).to_contain_text("光电信息学院")
    tab.snap("changes")
    changes.get_by_role("link", name="只看变更").click()
    expect(tab.page.get_by_role("region", name="与上次提交相比").get_by_role("row")).to_have_count(
        2
    )
    tab.snap("only-changes")


def test_the_reviewer_sees_what_the_return_asked_and_which_comments_went_unanswered(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="钱芳")
    account = factories.unit_account(unit)
    services.submit_application(applicant.application, applicant)
    services.return_application(
        applicant.application,
        account,
        "请按批注修改。",
        field_comments=[
            {"field": "department", "label": "所在部门", "comment": "请写到二级学院"},
            {"field": "disciplines", "label": "专业领域", "comment": "请只选与职称一致的领域"},
        ],
    )
    services.save_draft(applicant.application, applicant, {"department": "光电信息学院"})
    services.submit_application(applicant.application, applicant)
    services.recommend_application(applicant.application, account)
    reviewer = factories.make_reviewer()

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.page.get_by_role("row", name="钱芳").get_by_role("link", name="审核").click()
    changes = tab.page.get_by_role("region", name="与上次提交相比")
    asked = changes.get_by_role("list", name="字段批注").get_by_role("listitem")
    expect(asked).to_have_text(
        ["所在部门：请写到二级学院 已修改", "专业领域：请只选与职称一致的领域 未修改"]
    )
    expect(changes.get_by_test_id("unanswered-count")).to_have_text("1 项批注字段未修改")
    changes.get_by_role("link", name="只看变更").click()
    rows = tab.page.get_by_role("region", name="与上次提交相比").get_by_role("row")
    expect(rows).to_have_count(3)  # the heading, 所在部门 (changed), 专业领域 (commented)
    expect(rows.nth(2)).to_contain_text("专业领域 未修改")
    tab.snap("asked-only-changes")
