"""Personal data shown only when needed (issue 19 point 11), in a real browser: the detail pages
show the 证件号码 and 银行账号 masked; 查看完整信息 with a reason shows them in full once; the
next visit is masked again; the applicant sees their own in full."""

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from portal.templating import masked_bank_account, masked_id_number
from tests import factories

# A live server needs committed data (see test_manual.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PASSWORD = factories.PASSWORD
BANK = "6217000010001234567"


def reveals() -> list[str]:
    events = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL_DATA)
    return list(events.order_by("pk").values_list("detail", flat=True))


def expect_masked(page, applicant) -> None:
    body = page.locator("main")
    expect(body).to_contain_text(masked_id_number(applicant.id_number))
    expect(body).to_contain_text(masked_bank_account(BANK))
    expect(body).not_to_contain_text(applicant.id_number)
    expect(body).not_to_contain_text(BANK)


def test_clerks_see_numbers_masked_and_reveal_them_once_with_a_reason(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="孙敏")
    ExpertApplication.objects.filter(user=applicant).update(bank_account=BANK)
    reviewer = factories.make_reviewer("bureau_pipl")

    # The bureau opens the application: both numbers masked, nothing audited.
    bureau = journey()
    page = bureau.page
    bureau.log_in(reviewer.username, PASSWORD)
    page.get_by_role("link", name="专家审核").click()
    page.get_by_role("row", name="孙敏").get_by_role("link", name="审核").click()
    detail_url = page.url
    expect_masked(page, applicant)
    reveal = page.get_by_role("region", name="查看完整信息")
    expect(reveal).to_contain_text("证件号码和银行账号已部分隐藏")
    bureau.snap("bureau-masked")
    assert reveals() == []

    # Folded until asked for; without a choice or a reason: the page again, open and still
    # masked, saying what is missing.
    expect(reveal.get_by_role("button", name="查看完整信息")).to_be_hidden()
    reveal.get_by_text("确需核对时点此展开").click()
    reveal.get_by_role("button", name="查看完整信息").click()
    expect(page.get_by_role("alert").first).to_contain_text("未显示完整信息：")
    expect(page.get_by_role("alert").first).to_contain_text("请选择查看事由。")
    expect_masked(page, applicant)
    bureau.snap("bureau-reveal-refused")
    assert reveals() == []

    # Both numbers, to verify the person's identity: shown in full, one audit event.
    reveal = page.get_by_role("region", name="查看完整信息")
    reveal.get_by_label("证件号码").check()
    reveal.get_by_label("银行账号").check()
    reveal.get_by_label("查看事由").select_option(label="核实身份")
    reveal.get_by_role("button", name="查看完整信息").click()
    expect(page.get_by_test_id("revealed-notice")).to_contain_text(
        "证件号码、银行账号已完整显示，仅限本次页面"
    )
    expect(page.locator("main")).to_contain_text(applicant.id_number)
    expect(page.locator("main")).to_contain_text(BANK)
    bureau.snap("bureau-revealed")
    assert reveals() == ["查看证件号码、银行账号；事由：核实身份"]

    # Opened again: masked again; nothing kept it open.
    page.goto(detail_url)
    expect_masked(page, applicant)
    expect(page.get_by_test_id("revealed-notice")).to_have_count(0)
    bureau.snap("bureau-masked-again")
    assert len(reveals()) == 1

    # The unit may reveal the 证件号码 only; 其他 needs a few words.
    unit_tab = journey()
    page = unit_tab.page
    unit_tab.log_in(factories.unit_account(unit).username, PASSWORD)
    page.get_by_role("link", name="用户账号管理").first.click()
    page.get_by_role("row", name="孙敏").get_by_role("link", name="专家信息查看").click()
    expect_masked(page, applicant)
    reveal = page.get_by_role("region", name="查看完整信息")
    expect(reveal.get_by_label("证件号码")).to_be_checked()  # its only choice
    expect(reveal.get_by_label("银行账号")).to_have_count(0)
    unit_tab.snap("unit-masked")
    reveal.get_by_text("确需核对时点此展开").click()
    reveal.get_by_label("查看事由").select_option(label="其他（须说明）")
    reveal.get_by_role("button", name="查看完整信息").click()
    expect(page.get_by_role("alert").first).to_contain_text("选择“其他”时，请填写事由说明。")
    expect_masked(page, applicant)
    reveal = page.get_by_role("region", name="查看完整信息")
    reveal.get_by_label("事由说明").fill("核对人事档案")
    reveal.get_by_role("button", name="查看完整信息").click()
    expect(page.get_by_test_id("revealed-notice")).to_contain_text("证件号码已完整显示")
    expect(page.locator("main")).to_contain_text(applicant.id_number)
    expect(page.locator("main")).to_contain_text(masked_bank_account(BANK))
    expect(page.locator("main")).not_to_contain_text(BANK)
    unit_tab.snap("unit-revealed-id")
    assert reveals()[-1] == "查看证件号码；事由：其他：核对人事档案"

    # The applicant sees their own numbers in full, without asking.
    person = journey()
    person.log_in(applicant.username, PASSWORD)
    person.page.get_by_role("link", name="查看已提交的专家信息").click()
    expect(person.page.locator("main")).to_contain_text(applicant.id_number)
    expect(person.page.locator("main")).to_contain_text(BANK)
    expect(person.page.get_by_role("button", name="查看完整信息")).to_have_count(0)
    person.snap("applicant-own-in-full")
    assert len(reveals()) == 2
