"""专家入库公示 in the browser (issue 23 part 4): a visitor opens the public list from the
footer, on a desktop and on a phone; a reviewer records an objection on an admission in its
公示期 and reverses it, after confirming; the expert then leaves the list."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from experts.models import ApplicationStatus, ExpertApplication
from notice.models import NoticeObjection
from sms.models import SMSMessage
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
# Copies of the steps' screenshots for the issue's review, beside tests/e2e/artifacts/.
SHOTS = Path("/tmp/shots-notice")


def keep(tab, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    shots = sorted(tab.folder.glob(f"*-{name}.png"))
    shutil.copy(shots[-1], SHOTS / f"{name}.png")


def test_a_visitor_reads_the_notice_from_the_footer(journey):
    unit = factories.make_unit(name="武汉示范大学")
    for name in ["陈静", "李强"]:
        factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="王芳")

    for phone in (False, True):
        tab = journey(phone=phone)
        tab.open("/")
        tab.page.get_by_role("link", name="专家入库公示").click()
        expect(tab.page.get_by_role("heading", name="专家入库公示")).to_be_visible()
        rows = tab.page.get_by_role("row")
        expect(rows).to_have_count(3)  # the header and two experts
        expect(tab.page.get_by_role("table")).to_contain_text("陈静")
        expect(tab.page.get_by_role("table")).not_to_contain_text("王芳")
        expect(tab.page.get_by_test_id("objection-contact")).to_contain_text(
            "如有异议，请在公示期内向市科技局实名反映"
        )
        name = "public-390" if phone else "public-1280"
        tab.snap(name)
        keep(tab, name)


def test_a_reviewer_records_an_objection_and_reverses_the_admission(journey):
    unit = factories.make_unit(name="武汉示范大学")
    expert = factories.make_applicant(unit, ApplicationStatus.APPROVED, name="陈静")
    reviewer = factories.make_reviewer()

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    page.get_by_role("link", name="专家库").first.click()
    page.get_by_role("row", name="陈静").get_by_role("link", name="查看").click()
    notice = page.get_by_role("region", name="公示与异议")
    expect(notice).to_contain_text("公示中")
    # An objection without its content: refused, with what was typed still there.
    notice.get_by_label("异议人").fill("王某（某大学职工）")
    notice.get_by_label("收到方式").select_option(label="信函")
    notice.get_by_role("button", name="记录异议").click()
    expect(page.get_by_text("请填写异议内容。")).to_be_visible()
    expect(page.get_by_label("异议人")).to_have_value("王某（某大学职工）")
    tab.snap("objection-missing-content")
    page.get_by_label("异议内容").fill("其博士学位证书系伪造，附相关材料。")
    page.get_by_role("button", name="记录异议").click()
    notice = page.get_by_role("region", name="公示与异议")
    expect(page.get_by_role("alert").first).to_contain_text("已记录对陈静的公示异议。")
    expect(notice.get_by_test_id("objection")).to_contain_text("其博士学位证书系伪造")
    tab.snap("objection-recorded")
    keep(tab, "objection-recorded")
    assert NoticeObjection.objects.get().created_by == reviewer

    # Another reviewer: a second login of the first within one TOTP step would reuse its code.
    phone = journey(phone=True)
    phone.log_in(factories.make_reviewer().username, factories.PASSWORD)
    phone.open(f"/bureau/experts/{expert.application.pk}/")
    phone.page.get_by_role("region", name="公示与异议").scroll_into_view_if_needed()
    phone.snap("objection-390")
    keep(phone, "objection-390")

    notice.get_by_label("撤销理由").fill("经核实，其申报的博士学位证书不实。")
    notice.get_by_role("button", name="撤销入库").click()
    expect(page.get_by_role("alert").first).to_contain_text("已撤销陈静的入库")
    assert tab.dialogs == [
        "确认撤销陈静的入库吗？其专家状态将变为“审核不通过”，移出专家库和公示名单，"
        "并以短信通知本人。"
    ]
    expect(page.get_by_role("heading", level=1)).to_contain_text("审核不通过")
    expect(page.get_by_role("region", name="审核记录")).to_contain_text("撤销入库（公示异议）")
    tab.snap("revoked")
    keep(tab, "revoked")
    assert ExpertApplication.objects.get(pk=expert.application.pk).status == "rejected"
    assert "撤销" in SMSMessage.objects.get().body

    phone.open(f"/bureau/experts/{expert.application.pk}/")
    phone.snap("revoked-390")
    keep(phone, "revoked-390")

    visitor = journey()
    visitor.open("/notice/")
    expect(visitor.page.get_by_text("目前没有处于公示期的拟入库专家。")).to_be_visible()
