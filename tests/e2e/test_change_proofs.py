"""证明材料 of a 信息变更 in the browser, by what people see: the expert asks for a new 职称,
is told beside the file box that it needs a 职称证书 (what they typed still there), uploads
one; the bureau opens the request and the file. The expert removes a file sent by mistake after
confirming on a page of its own, but not the only 职称证书; an operator sees the files in admin.
axe checks each page, at 1280 and 390 px."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from changes import services
from changes.models import ChangeRequest
from tests import factories
from tests.changes.helpers import admitted

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def asking_for_a_new_title(journey):
    """王建国 of 武汉示范大学, admitted, on 修改专家信息 with 专业技术职称 typed as 研究员: the
    tab, and the unit (whose account confirms or returns the request)."""
    unit = factories.make_unit(name="武汉示范大学")
    expert = admitted(unit, name="王建国")
    tab = journey()
    tab.log_in(expert.username, factories.PASSWORD)
    tab.page.get_by_role("link", name="修改专家信息").click()
    tab.page.get_by_label("专业技术职称").fill("研究员")
    return tab, unit


def test_the_expert_uploads_the_certificate_and_the_bureau_opens_it(journey):
    tab, unit = asking_for_a_new_title(journey)
    page = tab.page
    scan = factories.png_bytes((400, 300))
    page.get_by_role("button", name="保存修改").first.click()
    # Refused beside the file box; what was typed is still there.
    box = page.get_by_label("职称证书", exact=True)
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(
        page.get_by_text("修改了专业技术职称，须上传职称证书作为证明材料。").first
    ).to_be_visible()
    expect(page.get_by_label("专业技术职称")).to_have_value("研究员")
    tab.snap("refused")
    box.set_input_files({"name": "职称证书.png", "mimeType": "image/png", "buffer": scan})
    page.get_by_role("button", name="保存修改").first.click()
    expect(page.get_by_text("证明材料“职称证书.png”已上传。")).to_be_visible()
    page.get_by_role("link", name="修改专家信息").click()
    expect(page.get_by_role("link", name="职称证书.png", exact=True)).to_be_visible()
    tab.snap("form-with-proof")
    tab.phone_snap("form-with-proof")
    # 我的个人信息 lists it, as the request's.
    page.get_by_role("link", name="我的专家状态").first.click()
    page.get_by_role("link", name="查看和下载我的个人信息").click()
    files = page.get_by_role("region", name="证明材料", exact=True)
    expect(files.get_by_role("row", name="职称证书.png")).to_contain_text("变更申请")
    tab.snap("own-data")
    tab.phone_snap("own-data")

    services.confirm_change(ChangeRequest.objects.get(), factories.unit_account(unit))
    reviewer = factories.make_reviewer()
    bureau = journey()
    bureau.log_in(reviewer.username, factories.PASSWORD)
    bureau.page.get_by_role("link", name="专家审核").first.click()
    bureau.page.get_by_role("link", name="已入库专家信息变更审核").click()
    bureau.page.get_by_role("row", name="王建国").get_by_role("link", name="审核").click()
    expect(bureau.page.get_by_role("heading", name="证明材料（1份）")).to_be_visible()
    link = bureau.page.get_by_role("link", name="职称证书.png")
    answer = bureau.page.request.get(bureau.base_url + link.get_attribute("href"))
    assert answer.ok and answer.body() == scan
    bureau.snap("bureau-detail")
    bureau.phone_snap("bureau-detail")


def test_the_expert_removes_a_wrong_file_after_confirming_but_not_the_only_certificate(journey):
    tab, _ = asking_for_a_new_title(journey)
    page = tab.page
    scan = factories.png_bytes((400, 300))
    page.get_by_label("职称证书", exact=True).set_input_files(
        {"name": "职称证书.png", "mimeType": "image/png", "buffer": scan}
    )
    # A scan of someone else's certificate, sent by mistake.
    page.get_by_label("其他证明材料", exact=True).set_input_files(
        {"name": "别人的证书.png", "mimeType": "image/png", "buffer": scan}
    )
    page.get_by_role("button", name="保存修改").first.click()
    expect(page.get_by_text("证明材料“职称证书.png”、“别人的证书.png”已上传。")).to_be_visible()

    # The home page lists both, as the unit and the bureau will see them.
    files = page.get_by_test_id("pending-proofs")
    expect(files.get_by_role("heading", name="本次变更申请的证明材料（2份）")).to_be_visible()
    expect(files.get_by_role("link", name="别人的证书.png", exact=True)).to_be_visible()
    tab.snap("home-with-proofs")
    tab.phone_snap("home-with-proofs")

    # 删除 asks first, on a page of its own; 取消 would leave the file.
    files.get_by_role("link", name="删除别人的证书.png").click()
    expect(page.get_by_role("heading", name="删除证明材料")).to_be_visible()
    expect(page.get_by_test_id("proof-to-delete")).to_contain_text("别人的证书.png")
    tab.snap("delete-confirm")
    tab.phone_snap("delete-confirm")
    page.get_by_role("button", name="确认删除").click()
    expect(
        page.get_by_text("证明材料“别人的证书.png”已删除，变更申请已更新，等待单位确认。")
    ).to_be_visible()
    files = page.get_by_test_id("pending-proofs")
    expect(files.get_by_role("heading", name="本次变更申请的证明材料（1份）")).to_be_visible()
    expect(files.get_by_role("link", name="别人的证书.png", exact=True)).to_have_count(0)
    tab.snap("home-after-delete")

    # The only 职称证书 of a 职称 change stays: the page says why and offers no button.
    files.get_by_role("link", name="删除职称证书.png").click()
    expect(page.get_by_test_id("delete-refusal")).to_contain_text(
        "申请变更专业技术职称须附职称证书"
    )
    expect(page.get_by_role("button", name="确认删除")).to_have_count(0)
    tab.snap("delete-refused")
    tab.phone_snap("delete-refused")
    assert list(
        ChangeRequest.objects.get().attachments.values_list("original_name", flat=True)
    ) == ["职称证书.png"]

    # An operator answering "my change is stuck" sees the request's files in Django admin.
    User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    admin = journey()
    admin.log_in("operator", factories.PASSWORD)
    request = ChangeRequest.objects.get()
    admin.page.goto(
        admin.base_url + reverse("admin:changes_changerequest_change", args=[request.pk])
    )
    expect(admin.page.get_by_role("link", name="职称证书.png", exact=True)).to_be_visible()
    expect(admin.page.get_by_role("link", name="别人的证书.png", exact=True)).to_have_count(0)
    # Screenshots only: Django admin's own pages are not the portal's (lang, axe) to check.
    for width in (1280, 390):
        admin.page.set_viewport_size({"width": width, "height": 900})
        admin.page.screenshot(path=admin.folder / f"admin-request-{width}.png", full_page=True)
