"""导出Excel from 专家库 in the browser, by visible labels (issue 22 part 3): filter, confirm
(含敏感信息 and 含联系方式 need a reason), watch the progress, download a real .xlsx."""

from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.validators import display_mobile
from experts import exports
from experts.models import ApplicationStatus, ExpertApplication, ExportJob
from portal.templating import masked_id_number
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

FULL = "含敏感信息（证件号码、银行账号、手机号码）"
CONTACT = "含联系方式（手机号码，不含证件号码和银行账号）"


def test_a_reviewer_exports_the_filtered_pool_and_downloads_the_file(journey, tmp_path):
    unit = factories.make_unit(name="武汉示范大学")
    now = timezone.now()
    for n, (name, level) in enumerate(
        [("陈静", "senior"), ("李强", "associate"), ("王芳", "senior"), ("赵磊", "intermediate")]
    ):
        person = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
        ExpertApplication.objects.filter(user=person).update(
            title_level=level, decided_at=now - timedelta(minutes=n)
        )
    reviewer = factories.make_reviewer()

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    page.get_by_role("link", name="专家库").click()
    page.get_by_label("职称级别").select_option(label="正高级（2）")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2 人")  # of 4
    tab.snap("pool-filtered")
    page.get_by_role("link", name="导出Excel").click()

    expect(page.get_by_role("heading", name="导出专家名单")).to_be_visible()
    expect(page.get_by_test_id("export-filter")).to_have_text(
        "专家状态：审核通过；职称级别：正高级"
    )
    expect(page.get_by_test_id("export-count")).to_have_text("2 人")
    tab.snap("confirm")
    page.get_by_label(FULL).check()
    page.get_by_role("button", name="导出").click()
    expect(page.get_by_role("alert")).to_contain_text("选择“含敏感信息”时，请填写理由。")
    expect(page.get_by_label(FULL)).to_be_checked()  # nothing lost
    tab.snap("confirm-needs-reason")
    page.get_by_label("理由").fill("组织项目评审，核对专家身份")
    page.get_by_role("button", name="导出").click()

    expect(page.get_by_test_id("export-state")).to_contain_text("排队中")
    expect(page.get_by_role("progressbar", name="导出进度")).to_be_visible()
    tab.snap("queued")
    # A keyboard user waits on 刷新; the card's updates do not drop the focus to the page's top.
    page.get_by_role("link", name="刷新").focus()
    # The export worker (manage.py run_exports) runs beside the server; here, one round of it.
    assert exports.run_pending() == {"exports": 1, "failed": 0}
    # The page follows by itself (static/js/export-progress.js), with no reload.
    expect(page.get_by_test_id("export-state")).to_have_text("已完成：共 2 人。", timeout=5000)
    expect(page.get_by_role("link", name="下载Excel文件")).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("已完成，可以点击“下载Excel文件”下载")
    tab.snap("done")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载Excel文件").click()
    download = download_info.value
    assert download.suggested_filename.startswith("专家名单（含敏感信息）-")
    target = tmp_path / "export.xlsx"
    download.save_as(target)
    rows = list(load_workbook(target).worksheets[0].iter_rows(values_only=True))
    assert rows[2][:2] == ("筛选条件", "专家状态：审核通过；职称级别：正高级")
    assert rows[4][:2] == ("是否含敏感信息", "是（理由：组织项目评审，核对专家身份）")
    assert [row[0] for row in rows[7:]] == ["陈静", "王芳"]


def test_a_reviewer_exports_a_call_list_with_whole_mobiles_and_masked_numbers(journey, tmp_path):
    """The middle choice: the mobiles a panel is phoned on, not the ID numbers or accounts."""
    unit = factories.make_unit(name="武汉示范大学")
    for name in ["陈静", "李强"]:
        factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    reviewer = factories.make_reviewer()
    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    tab.open("/bureau/pool/export/")
    expect(page.get_by_label("不含敏感信息")).to_be_checked()  # the least, unless asked
    page.get_by_label(CONTACT).check()
    page.get_by_role("button", name="导出").click()
    expect(page.get_by_role("alert")).to_contain_text("选择“含联系方式”时，请填写理由。")
    expect(page.get_by_label(CONTACT)).to_be_checked()
    tab.snap("call-list-needs-reason")
    page.get_by_label("理由").fill("组织项目评审，电话通知抽中专家")
    page.get_by_role("button", name="导出").click()
    expect(page.get_by_test_id("export-state")).to_contain_text("排队中")
    exports.run_pending()
    expect(page.get_by_role("link", name="下载Excel文件")).to_be_visible(timeout=5000)
    expect(page.get_by_text("仅联系方式（手机号码完整")).to_be_visible()
    tab.snap("call-list-done")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载Excel文件").click()
    download = download_info.value
    assert download.suggested_filename.startswith("专家名单（含联系方式）-")
    target = tmp_path / "calls.xlsx"
    download.save_as(target)
    rows = list(load_workbook(target).worksheets[0].iter_rows(values_only=True))
    header = list(rows[6])
    mobile, id_number = header.index("手机"), header.index("证件号码")
    for row in rows[7:]:
        application = ExpertApplication.objects.get(user__real_name=row[0])
        assert row[mobile] == display_mobile(application.mobile)
        assert row[id_number] == masked_id_number(application.user.id_number)


def test_the_export_pages_on_a_phone(journey):
    unit = factories.make_unit(name="武汉示范大学")
    for name in ["陈静", "李强"]:
        factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    reviewer = factories.make_reviewer()
    tab = journey(phone=True)
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    tab.open("/bureau/pool/")
    expect(page.get_by_role("link", name="导出Excel")).to_be_visible()
    tab.snap("pool-phone")
    page.get_by_role("link", name="导出Excel").click()
    expect(page.get_by_role("heading", name="导出专家名单")).to_be_visible()
    tab.snap("confirm-phone")
    page.get_by_role("button", name="导出").click()
    expect(page.get_by_test_id("export-state")).to_contain_text("排队中")
    tab.snap("queued-phone")
    # Half-way, as the worker reports it (a real run of two rows is too quick to see).
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, rows_done=1, rows_total=2
    )
    expect(page.get_by_test_id("export-state")).to_have_text("正在导出：已写入 1 / 2 人（50%）")
    tab.snap("running-phone")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.QUEUED, rows_done=0)
    exports.run_pending()
    expect(page.get_by_role("link", name="下载Excel文件")).to_be_visible(timeout=5000)
    tab.snap("done-phone")
