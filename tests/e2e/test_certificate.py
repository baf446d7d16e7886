"""入库证明 in the browser: the admitted expert downloads the PDF from their home page, and a
stranger without an account follows its QR link (and types its code) to see 有效."""

import io
import re
import subprocess

import pytest
from django.conf import settings
from playwright.sync_api import expect
from pypdf import PdfReader

from certificates import pdf
from certificates.models import Certificate
from experts.models import ApplicationStatus, ExpertApplication
from experts.services import approve_application
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_expert_downloads_the_certificate_and_a_stranger_verifies_it(journey):
    unit = factories.make_unit(name="华中光电技术研究所")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="张三明")
    approve_application(applicant.application, factories.make_reviewer())
    factories.past_notice(applicant.application)

    expert = journey()
    expert.log_in(applicant.username, factories.PASSWORD)
    button = expert.page.get_by_role("link", name="下载入库证明")
    expect(button).to_be_visible()
    expert.snap("home-with-certificate")
    with expert.page.expect_download() as downloading:
        button.click()
    download = downloading.value
    assert download.suggested_filename == "专家入库证明.pdf"
    saved = expert.folder / "pdf" / "certificate.pdf"
    saved.parent.mkdir()
    download.save_as(saved)
    # The PDF page as a picture beside the screenshots, to look at (glyphs, not boxes).
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", str(saved), str(saved.with_suffix(""))], check=True
    )
    assert (saved.parent / "certificate-1.png").stat().st_size > 10_000
    reader = PdfReader(io.BytesIO(saved.read_bytes()))
    assert len(reader.pages) == 1
    certificate = Certificate.objects.get()
    text = re.sub(r"\s+", "", reader.pages[0].extract_text())
    assert "张三明" in text and "华中光电技术研究所" in text and certificate.display_code in text

    stranger = journey()
    stranger.open(pdf.verification_url(certificate).removeprefix(settings.PORTAL_URL))
    result = stranger.page.get_by_test_id("certificate-result")
    expect(result.get_by_test_id("certificate-state")).to_have_text("有效")
    expect(result).to_contain_text("张*明")
    expect(result).to_contain_text("华中光电技术研究所")
    expect(result).not_to_contain_text("张三明")
    stranger.snap("verify-valid")

    phone = journey(phone=True)
    phone.open("/certificate/verify/")
    phone.page.get_by_label("验证码").fill(certificate.display_code.lower().replace("-", " "))
    phone.page.get_by_role("button", name="查验").click()
    expect(phone.page.get_by_test_id("certificate-state")).to_have_text("有效")
    phone.snap("verify-valid-phone")
    phone.page.get_by_label("验证码").fill("ABCD-EFGH-JKMN")
    phone.page.get_by_role("button", name="查验").click()
    expect(phone.page.get_by_test_id("certificate-not-found")).to_have_text(
        "未找到该证书，请核对验证码。"
    )
    phone.snap("verify-not-found-phone")

    # The expert leaves 审核通过 (here by a reversed admission): the same link reads 已失效.
    ExpertApplication.objects.filter(pk=applicant.application.pk).update(
        status=ApplicationStatus.REJECTED
    )
    stranger.page.reload()
    expect(result.get_by_test_id("certificate-state")).to_have_text("已失效")
    stranger.snap("verify-invalid")


def test_the_certificate_button_on_a_phone(journey):
    unit = factories.make_unit(name="华中光电技术研究所")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="王五")
    approve_application(applicant.application, factories.make_reviewer())
    factories.past_notice(applicant.application)
    phone = journey(phone=True)
    phone.log_in(applicant.username, factories.PASSWORD)
    expect(phone.page.get_by_role("link", name="下载入库证明")).to_be_visible()
    phone.snap("home-with-certificate-phone")


def test_too_many_lookups_are_refused_with_the_code_kept(journey, settings):
    settings.CERTIFICATE_VERIFY_LIMIT = 1
    # A fixed window of years: both lookups in one window, whatever the time of day (a
    # ten-minute window ended between them in a CI run at 19:00:00).
    settings.CERTIFICATE_VERIFY_WINDOW = 10**8
    tab = journey(phone=True)
    tab.open("/certificate/verify/")
    tab.page.get_by_label("验证码").fill("ABCD-EFGH-JKMN")
    tab.page.get_by_role("button", name="查验").click()
    # Its answer first: typed before that page is there, the second code would be lost with
    # the page it was typed on.
    expect(tab.page.get_by_test_id("certificate-not-found")).to_be_visible()
    tab.page.get_by_label("验证码").fill("WXYZ-EFGH-JKMN")
    tab.page.get_by_role("button", name="查验").click()
    expect(tab.page.get_by_test_id("too-many")).to_contain_text("查验次数过多，请稍后再试")
    expect(tab.page.get_by_label("验证码")).to_have_value("WXYZ-EFGH-JKMN")
    tab.snap("verify-too-many-phone")
