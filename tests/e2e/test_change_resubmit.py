"""An expert whose 信息变更 the unit sent back carries on, by what they see: the home page says
已退回 with the unit's reason and the 证明材料 the request had, 修改后重新提交 opens 修改专家信息
with the values asked and the reason on top; a save without the certificate is refused beside
the file box, which says to choose the file again; with it, a new request is made. axe checks
each page, at 1280 and 390 px (an outside walk of an expert's year)."""

import pytest
from playwright.sync_api import expect

from changes import services
from changes.models import ChangeRequest, ChangeStatus
from tests import factories
from tests.e2e.test_change_proofs import asking_for_a_new_title

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

REASON = "职称证书扫描件不清晰，请重新上传。"


def test_an_expert_whose_change_was_sent_back_reads_why_and_resubmits(journey):
    tab, unit = asking_for_a_new_title(journey)
    page = tab.page
    scan = factories.png_bytes((400, 300))
    page.get_by_label("职称证书", exact=True).set_input_files(
        {"name": "模糊的证书.png", "mimeType": "image/png", "buffer": scan}
    )
    page.get_by_role("button", name="保存修改").first.click()
    expect(page.get_by_text("证明材料“模糊的证书.png”已上传。")).to_be_visible()
    services.return_change(
        ChangeRequest.objects.get(status=ChangeStatus.PENDING_UNIT),
        factories.unit_account(unit),
        REASON,
    )

    page.reload()
    returned = page.get_by_test_id("returned-change")
    expect(returned).to_contain_text("您的变更申请（专业技术职称）已被武汉示范大学退回")
    expect(returned).to_contain_text(f"退回理由：{REASON}")
    expect(returned.get_by_role("link", name="模糊的证书.png")).to_be_visible()
    history = page.get_by_test_id("change-history")
    expect(history.get_by_role("row").nth(1)).to_contain_text("已退回")
    expect(page.get_by_text("没有待审核的变更申请")).to_have_count(0)
    tab.snap("home-returned")
    tab.phone_snap("home-returned")

    returned.get_by_role("link", name="修改后重新提交").click()
    expect(page.get_by_role("heading", name="修改专家信息")).to_be_visible()
    expect(page.get_by_test_id("returned-change")).to_contain_text(f"退回理由：{REASON}")
    expect(page.get_by_label("专业技术职称")).to_have_value("研究员")  # as asked, not 教授
    tab.snap("form-prefilled")
    tab.phone_snap("form-prefilled")

    # Saved as it was, without the certificate: refused beside the file box, which says why
    # the file must be chosen again.
    page.get_by_role("button", name="保存修改").first.click()
    box = page.get_by_label("职称证书", exact=True)
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("reselect").first).to_have_text(
        "请重新选择要上传的文件（出错后浏览器不会保留已选的文件）。"
    )
    expect(page.get_by_test_id("returned-change")).to_contain_text(REASON)
    expect(page.get_by_label("专业技术职称")).to_have_value("研究员")
    tab.snap("form-refused")

    box.set_input_files({"name": "清晰的证书.png", "mimeType": "image/png", "buffer": scan})
    page.get_by_role("button", name="保存修改").first.click()
    expect(page.get_by_text("变更申请已重新提交（专业技术职称）", exact=False)).to_be_visible()
    expect(page.get_by_test_id("pending-change")).to_contain_text("待单位确认")
    expect(page.get_by_test_id("returned-change")).to_have_count(0)
    tab.snap("home-resubmitted")
    assert ChangeRequest.objects.filter(status=ChangeStatus.PENDING_UNIT).count() == 1
    assert ChangeRequest.objects.filter(status=ChangeStatus.REJECTED).count() == 1
