"""Long file names and a long unit on a phone (390 px): an expert's own pages, the unit's and the
bureau's detail pages and Django admin's change page keep to the screen's width, a long name
breaking within its line rather than widening the page or its table, however it was uploaded
(60 Chinese characters, or a long name without spaces as a scanner writes it). The open request's
files are listed once on the expert's home page, where 删除 is."""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from changes.models import ChangeRequest
from experts import services as expert_services
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories
from tests.changes.helpers import admitted, proof_file, submit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
LONG_UNIT = "华中科技大学同济医学院附属协和医院（武汉协和医院）心血管内科研究所"
LONG_CN = (
    "关于申请人承担国家自然科学基金重大研究计划项目主要研究任务的"
    "情况说明及相关证明材料扫描件第一部分共三部分"
)[:60] + ".pdf"
LONG_ASCII = "Professional_Title_Certificate_of_the_Applicant_Scanned_Copy_Version_2026_final.pdf"
DEPARTMENT = "临床药理学与转化医学研究中心ClinicalPharmacologyAndTranslationalMedicineLaboratory"


def pdf(name: str) -> dict:
    """A file as the browser's file box takes it."""
    return {"name": name, "mimeType": "application/pdf", "buffer": proof_file(name).read()}


def fits_screen(page) -> None:
    """The page does not scroll sideways, nor does any table's box (a value cut off at its
    edge); the visually hidden headings of a stacked table do not count."""
    width = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert width[0] <= width[1]
    wider = page.evaluate(
        "() => [...document.querySelectorAll('.table-responsive, .inline-group')]"
        ".filter(box => box.scrollWidth > box.clientWidth)"
        ".map(box => box.getAttribute('aria-label') || box.id)"
    )
    assert wider == []


def on_one_line(page, button) -> None:
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    assert button.bounding_box()["height"] < 2 * line


def an_expert_with_long_names():
    """欧阳娜娜娜 of LONG_UNIT, admitted, in DEPARTMENT, whose application carries two files of
    long names."""
    unit = factories.make_unit(name=LONG_UNIT)
    expert = admitted(unit, name="欧阳娜娜娜")
    application = ExpertApplication.objects.get(user=expert)
    # Files are added while the form is editable; the expert is then admitted with them.
    ExpertApplication.objects.filter(pk=application.pk).update(status=ApplicationStatus.DRAFT)
    for name in (LONG_CN, LONG_ASCII):
        expert_services.add_attachment(application, expert, "other", proof_file(name))
    ExpertApplication.objects.filter(pk=application.pk).update(
        status=ApplicationStatus.APPROVED, department=DEPARTMENT
    )
    return unit, expert, application


def test_an_experts_own_pages_fit_a_phone_with_long_file_names(journey):
    _, expert, _ = an_expert_with_long_names()
    tab = journey(phone=True)
    tab.log_in(expert.username, factories.PASSWORD)
    page = tab.page

    # 修改专家信息: a new 职称 with its certificate, and another file, both of long names.
    page.get_by_role("link", name="修改专家信息").click()
    page.get_by_label("专业技术职称").fill("研究员")
    page.locator("#id_proof_title").set_input_files(pdf(LONG_CN))
    page.locator("#id_proof_other").set_input_files(pdf(LONG_ASCII))
    page.get_by_role("button", name="保存修改").first.click()
    # 首页: the messages name the files; the open request lists each once, with 删除.
    expect(page.get_by_role("alert").filter(has_text=f"“{LONG_ASCII}”已上传。")).to_be_visible()
    fits_screen(page)
    proofs = page.get_by_test_id("pending-proofs")
    for name in (LONG_CN, LONG_ASCII):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(1)
        expect(proofs.get_by_role("link", name=f"删除{name}")).to_be_visible()
    tab.snap("home")
    # On a wide screen 删除 stays whole beside a long name (it was squeezed to 删 over 除).
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    for name in (LONG_CN, LONG_ASCII):
        on_one_line(page, proofs.get_by_role("link", name=f"删除{name}"))
    tab.snap("home-wide")
    page.set_viewport_size({"width": 390, "height": 844})

    page.get_by_role("link", name="修改专家信息").click()
    expect(page.get_by_role("heading", name="变更申请已附证明材料（2份）")).to_be_visible()
    fits_screen(page)
    tab.snap("change-form")

    page.goto(tab.base_url + reverse("experts:form"))
    expect(page.get_by_role("link", name=LONG_ASCII, exact=True)).to_be_visible()
    fits_screen(page)
    tab.snap("submitted-form")

    # 我的个人信息: the department and the file names break within their lines.
    page.goto(tab.base_url + reverse("experts:own_data"))
    expect(page.get_by_text(DEPARTMENT)).to_be_visible()
    fits_screen(page)
    tab.snap("own-data")


def test_the_application_form_fits_a_phone_after_uploading_a_long_file_name(journey):
    unit = factories.make_unit(name=LONG_UNIT)
    applicant = factories.make_applicant(unit, name="李强")
    tab = journey(phone=True)
    tab.log_in(applicant.username, factories.PASSWORD)
    page = tab.page
    page.goto(tab.base_url + reverse("experts:form"))

    page.get_by_label("材料类型").select_option(label="其他证明材料")
    page.get_by_label("选择文件").set_input_files(pdf(LONG_ASCII))
    page.get_by_role("button", name="上传证明材料").click()

    expect(page.get_by_text(f"证明材料“{LONG_ASCII}”已上传。")).to_be_visible()
    expect(page.get_by_role("link", name=LONG_ASCII, exact=True)).to_be_visible()
    fits_screen(page)
    tab.snap("form-uploaded")


def test_the_units_and_the_bureaus_pages_and_admin_fit_a_phone_with_long_file_names(journey):
    unit, expert, application = an_expert_with_long_names()
    submit(Client(), expert, title="研究员", proof_title=proof_file(LONG_CN))
    submit(Client(), expert, title="研究员", proof_other=proof_file(LONG_ASCII))
    change = ChangeRequest.objects.get()

    tab = journey(phone=True)
    tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    for name, path in [
        ("unit-expert", reverse("experts:unit_detail", args=[application.pk])),
        ("unit-change", reverse("changes:unit_detail", args=[change.pk])),
    ]:
        tab.open(path)
        expect(tab.page.get_by_role("link", name=LONG_ASCII, exact=True)).to_be_visible()
        fits_screen(tab.page)
        tab.snap(name)

    bureau = journey(phone=True)
    bureau.log_in(factories.make_reviewer().username, factories.PASSWORD)
    for name, path in [
        ("bureau-expert", reverse("experts:bureau_detail", args=[application.pk])),
        ("bureau-change", reverse("changes:bureau_detail", args=[change.pk])),
    ]:
        bureau.open(path)
        expect(bureau.page.get_by_role("link", name=LONG_ASCII, exact=True)).to_be_visible()
        fits_screen(bureau.page)
        bureau.snap(name)

    # Django admin: the request's files and its 审核记录 (补充证明材料 with the long name) fit
    # the screen instead of scrolling sideways in their boxes.
    User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    admin = journey(phone=True)
    admin.log_in("operator", factories.PASSWORD)
    for name, path in [
        ("admin-request", reverse("admin:changes_changerequest_change", args=[change.pk])),
        (
            "admin-application",
            reverse("admin:experts_expertapplication_change", args=[application.pk]),
        ),
    ]:
        admin.page.goto(admin.base_url + path)
        expect(admin.page.get_by_role("link", name=LONG_ASCII, exact=True).first).to_be_visible()
        # At 390 and at 1,280 px. Screenshots only otherwise: Django admin's own pages are not
        # the portal's (lang, axe) to check.
        for width in (390, 1280):
            admin.page.set_viewport_size({"width": width, "height": 900})
            admin.page.reload()
            fits_screen(admin.page)
            admin.page.screenshot(path=admin.folder / f"{name}-{width}.png", full_page=True)
