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
    tab.snap("page")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("link", name="下载我的个人信息（JSON）").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["账号"]["姓名"] == "周明" and data["专家状态"] == "待单位推荐"
    assert re.fullmatch(r"我的个人信息-\d{8}\.json", download.value.suggested_filename)
