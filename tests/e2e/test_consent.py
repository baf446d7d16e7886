"""The sensitive-data consent in a real browser (PIPL walk S2, S7, S3): an applicant under
review withdraws it on a confirmation page and the application leaves review, its form no
longer on the bureau's page (which says why); the unit's page says why 查看完整信息 is not
offered for an expert who left; an operator's 删除个人信息 asks first, naming the person."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from experts import services
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PASSWORD = factories.PASSWORD


def test_withdrawing_under_review_then_the_reveal_refused_and_the_erasure_asked(journey):
    unit = factories.make_unit(name="武汉示范大学")
    person = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="孙敏")
    reviewer = factories.make_reviewer("bureau_consent")

    applicant = journey()
    page = applicant.page
    applicant.log_in(person.username, PASSWORD)
    region = page.get_by_test_id("consent-withdrawal")
    region.get_by_text("撤回敏感个人信息处理同意").click()
    applicant.snap("home-under-review")
    region.get_by_role("link", name="撤回同意…").click()
    expect(page.get_by_test_id("withdraw-consequence")).to_contain_text("不再等待市科技局审核")
    applicant.snap("withdraw-confirmation")
    page.get_by_role("button", name="确认撤回同意").click()
    expect(page.get_by_test_id("expert-status")).to_contain_text("信息未填写")
    # Said plainly, with what to do now: not 修改并重新提交 as after a 退回.
    expect(page.get_by_test_id("consent-withdrawn")).to_contain_text(
        "撤回敏感个人信息处理同意，专家入库申请随之撤回审核"
    )
    expect(page.get_by_role("link", name="再次申请入库")).to_be_visible()
    expect(page.get_by_role("link", name="修改并重新提交")).to_have_count(0)
    applicant.snap("home-after-withdrawal")
    page.set_viewport_size({"width": 390, "height": 844})
    applicant.snap("home-after-withdrawal-390")
    assert ExpertApplication.objects.get(user=person).consent_at is None

    # The bureau: the draft is the applicant's own again; the page says why it shows no form.
    bureau = journey()
    bureau.log_in(reviewer.username, PASSWORD)
    bureau.open(f"/bureau/experts/{person.application.pk}/")
    expect(bureau.page.get_by_test_id("content-hidden")).to_contain_text("申请人已撤回同意")
    expect(bureau.page.get_by_role("heading", name="基本信息")).to_have_count(0)
    expect(bureau.page.get_by_test_id("reveal-refused")).to_have_count(0)
    bureau.snap("bureau-content-hidden")

    # The unit, once an expert of its own has left: no numbers, no contact details.
    expert = factories.admitted_expert(unit, reviewer)
    services.request_exit(expert, expert.user)
    services.confirm_exit(expert, reviewer)
    clerk = journey()
    clerk.log_in(factories.unit_account(unit).username, PASSWORD)
    clerk.open(f"/unit/people/{expert.pk}/")
    expect(clerk.page.get_by_test_id("reveal-refused")).to_contain_text("已出库")
    clerk.snap("unit-exited-expert")

    # The operator: 删除个人信息 names the person and asks.
    User.objects.create_superuser("operator_consent", "op@example.com", PASSWORD)
    operator = journey()
    operator.log_in("operator_consent", PASSWORD)
    operator.open("/admin/experts/expertapplication/")
    operator.page.get_by_role("row", name="孙敏").get_by_role("checkbox").check()
    operator.page.get_by_label("动作").select_option("erase_personal_data")
    operator.page.get_by_role("button", name="执行").click()
    expect(operator.page.get_by_test_id("erase-names")).to_contain_text("孙敏")
    # Admin's own page (its lang is Django's zh-hans): a screenshot, no portal page checks.
    operator.page.screenshot(path=operator.folder / "admin-erase-confirmation.png", full_page=True)
    operator.page.get_by_role("button", name="确认删除个人信息（不能恢复）").click()
    expect(operator.page.locator(".messagelist")).to_contain_text("已删除孙敏的个人信息")
    assert ExpertApplication.objects.get(user=person).erased_at is not None
