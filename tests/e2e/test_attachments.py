"""证明材料 in the browser, by what people see: the applicant uploads a scan below the form,
what they had typed above and not saved is offered back, they submit; their unit sees the
file on 专家信息查看 and opens it; the bureau sees it on 专家审核's page. axe checks each page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_applicant_uploads_and_submits_and_the_unit_opens_it(journey, tmp_path):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="林芳")
    scan = Path(tmp_path) / "职称证书.png"
    scan.write_bytes(factories.png_bytes((400, 300)))

    person = journey()
    person.log_in(applicant.username, factories.PASSWORD)
    person.page.get_by_role("link", name="申请成为专家").click()
    page = person.page
    # Typed and not saved, then the upload below: the page reloads.
    page.get_by_label("工作简历").fill("2005年至今在华中科技大学任教，未保存的一句。")
    page.get_by_label("材料类型").select_option(label="职称证书")
    page.get_by_label("选择文件").set_input_files(scan)
    page.get_by_role("button", name="上传证明材料").click()
    expect(page.get_by_text("证明材料“职称证书.png”已上传。")).to_be_visible()
    files = page.get_by_role("region", name="证明材料列表")
    expect(files.get_by_role("link", name="职称证书.png")).to_be_visible()
    person.snap("uploaded")
    # What was typed is offered back, and comes back.
    page.get_by_role("button", name="恢复未保存的内容").click()
    expect(page.get_by_label("工作简历")).to_have_value(
        "2005年至今在华中科技大学任教，未保存的一句。"
    )
    page.get_by_role("button", name="提交").first.click()
    expect(page.get_by_text("已提交，专家状态变更为“待单位推荐”")).to_be_visible()
    page.get_by_role("link", name="查看已提交的专家信息").click()
    expect(page.get_by_role("link", name="职称证书.png")).to_be_visible()
    expect(page.get_by_role("button", name="上传证明材料")).to_have_count(0)
    expect(page.get_by_role("button", name="删除职称证书.png")).to_have_count(0)
    person.snap("read-only")

    clerk = journey()
    clerk.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    clerk.page.get_by_role("link", name="用户账号管理").first.click()
    clerk.page.get_by_role("row", name="林芳").get_by_role("link", name="专家信息查看").click()
    expect(clerk.page.get_by_role("heading", name="证明材料（1份）")).to_be_visible()
    clerk.snap("unit-detail")
    link = clerk.page.get_by_role("link", name="职称证书.png")
    answer = clerk.page.request.get(clerk.base_url + link.get_attribute("href"))
    assert answer.ok and answer.body() == scan.read_bytes()

    reviewer = factories.make_reviewer()
    bureau = journey()
    bureau.log_in(reviewer.username, factories.PASSWORD)
    bureau.open(f"/bureau/experts/{applicant.application.pk}/")
    expect(bureau.page.get_by_role("link", name="职称证书.png")).to_be_visible()
    bureau.snap("bureau-detail")
