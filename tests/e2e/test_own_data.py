"""我的个人信息 as the person sees it: from the home page to the page, and the JSON download
(issue 23 part 6)."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_applicant_reads_and_downloads_their_data(journey, phone):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="周明")

    tab = journey(phone=phone)
    tab.log_in(applicant.username, factories.PASSWORD)
    tab.page.get_by_role("link", name="查看和下载我的个人信息").click()
    expect(tab.page.get_by_role("heading", name="我的个人信息")).to_be_visible()
    expect(tab.page.get_by_role("heading", name="专家信息（待单位推荐）")).to_be_visible()
    # The parts the privacy officer's walk found missing, each with its empty state.
    for part in ("资格提示", "公示异议", "入库证明", "身份验证器", "登录日志"):
        section = tab.page.get_by_role("region", name=part, exact=True)
        expect(section.get_by_role("heading", name=part)).to_be_visible()
    expect(
        tab.page.get_by_role("region", name="入库证明", exact=True).get_by_text("无。")
    ).to_be_visible()
    tab.snap("page")
    # Every table is read without scrolling sideways (审核记录's seven columns once were not).
    overflowing = tab.page.evaluate(
        "[...document.querySelectorAll('.table-responsive')]"
        ".filter(e => e.scrollWidth > e.clientWidth).map(e => e.getAttribute('aria-label'))"
    )
    assert overflowing == []
    with tab.page.expect_download() as download:
        tab.page.get_by_role("link", name="下载我的个人信息（JSON）").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["账号"]["姓名"] == "周明" and data["专家状态"] == "待单位推荐"
    assert re.fullmatch(r"我的个人信息-\d{8}\.json", download.value.suggested_filename)


def test_an_expert_reads_that_their_numbers_went_out_in_an_export(journey):
    """An export 含敏感信息 that held the person is in their 安全审计, with the role and the
    reason; the operator finds the people of the job on its admin page."""
    from django.contrib.auth import get_user_model

    from experts import exports
    from experts.models import ExportJob

    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.APPROVED, name="周明")
    for n in range(24):
        factories.make_applicant(unit, ApplicationStatus.APPROVED, name=f"专家{n:02d}")
    reviewer = factories.make_reviewer()
    job = exports.request_pool_export(reviewer, "", scope="full", reason="组织评审，核对劳务费账户")
    assert exports.run_pending() == {"exports": 1, "failed": 0}

    tab = journey()
    tab.log_in(applicant.username, factories.PASSWORD)
    tab.page.get_by_role("link", name="查看和下载我的个人信息").click()
    line = tab.page.get_by_role("row", name=re.compile("导出含敏感信息的专家名单"))
    expect(line).to_contain_text("科技局审核员")
    expect(line).to_contain_text("理由：组织评审，核对劳务费账户")
    line.scroll_into_view_if_needed()
    tab.snap("own-data-export")
    tab.log_out()

    get_user_model().objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    tab.log_in("operator", factories.PASSWORD)
    tab.open(f"/admin/experts/exportjob/{job.pk}/change/")
    expect(tab.page.get_by_text("共25人")).to_be_visible()
    tab.page.screenshot(path=tab.folder / "admin-export-job.png", full_page=True)
    tab.page.get_by_role("link", name="查看全部25人（分页，可按专家编号或姓名查找）").click()
    expect(tab.page.locator("#result_list tbody tr")).to_have_count(25)
    tab.page.screenshot(path=tab.folder / "admin-exported-list.png", full_page=True)
    assert ExportJob.objects.get().status == ExportJob.Status.DONE
