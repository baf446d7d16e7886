"""入库证明: the expert's one-page PDF, and the public 证书查验 page."""

import datetime
import io
import re

import pytest
import segno
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.choices import UnitStatus
from certificates import codes, pdf
from certificates.models import Certificate
from certificates.rules import details_index, is_valid
from certificates.selectors import masked_name
from certificates.services import NotAdmitted, certificate_for, valid_until
from certificates.views import NOT_FOUND
from experts.models import ApplicationStatus, ExpertApplication
from experts.services import approve_application
from notice.periods import ends_on
from portal.dates import chinese_date
from tests import factories

pytestmark = pytest.mark.django_db

DOWNLOAD = reverse("certificates:download")
VERIFY = reverse("certificates:verify")
A4 = (595, 842)  # points, rounded


def download(client, user):
    client.force_login(user)
    return client.get(DOWNLOAD)


def pdf_of(response) -> PdfReader:
    return PdfReader(io.BytesIO(response.content))


def page_text(reader: PdfReader) -> str:
    # pypdf puts line breaks and spaces where the layout does; the checks compare words.
    return re.sub(r"\s+", "", reader.pages[0].extract_text())


# The certificate itself


def test_the_expert_downloads_a_one_page_a4_pdf_with_their_details(client, admitted):
    user = admitted("张三明")
    response = download(client, user)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    reader = pdf_of(response)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == A4
    certificate = Certificate.objects.get()
    text = page_text(reader)
    application = user.application
    for printed in [
        "专家入库证明",
        "张三明",
        application.unit.name,
        "电子信息；先进制造与自动化",  # the factory's two 专业领域, in code order, ；between
        f"入库日期{timezone.localdate(application.decided_at).isoformat()}",
        f"有效期至{certificate.valid_until.isoformat()}",
        f"于{chinese_date(timezone.localdate(certificate.admitted_at))}入选",
        chinese_date(timezone.localdate(certificate.issued_at)),
        certificate.display_code,
        "武汉市科学技术局",
    ]:
        assert printed in text, printed


def test_the_pdf_embeds_its_cjk_font_rather_than_relying_on_the_reader(client, admitted):
    reader = pdf_of(download(client, admitted()))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    descendants = [fonts[key].get_object()["/DescendantFonts"][0].get_object() for key in fonts]
    assert any("CertificateSerif" in name for name in names), names
    # Every font's program is in the file (FontFile2: TrueType, FontFile3: CFF).
    embedded = [set(d["/FontDescriptor"]) & {"/FontFile2", "/FontFile3"} for d in descendants]
    assert all(embedded), names


def test_a_name_outside_the_subset_is_drawn_from_the_whole_font(client, admitted):
    reader = pdf_of(download(client, admitted("王䶮")))
    assert "王䶮" in page_text(reader)
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts.values()}
    assert {"CertificateSerif", "Noto-Serif-CJK-SC"} <= names


def test_without_the_subset_the_whole_font_draws_everything(client, admitted, tmp_path):
    with override_settings(CERTIFICATE_FONT_DIR=tmp_path):  # nothing built there
        pdf.forget_fonts()
        reader = pdf_of(download(client, admitted("张三明")))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts.values()}
    assert "CertificateSerif" not in names
    assert "Noto-Serif-CJK-SC" in names
    assert "张三明" in page_text(reader)


def test_the_qr_code_holds_the_verification_url(client, admitted, settings):
    settings.PORTAL_URL = "https://expert.example.gov.cn"
    reader = pdf_of(download(client, admitted()))
    certificate = Certificate.objects.get()
    url = f"https://expert.example.gov.cn/certificate/verify/?code={certificate.code}"
    assert pdf.verification_url(certificate) == url
    images = reader.pages[0].images
    assert len(images) == 1
    picture = images[0].image.convert("L")
    # Read the embedded picture module by module and compare it with the symbol for the URL.
    expected = segno.make(url, error="m").matrix
    border, scale = pdf.QR_BORDER, pdf.QR_SCALE
    assert picture.size == ((len(expected) + 2 * border) * scale,) * 2
    read = [
        [
            picture.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2))
            < 128
            for x in range(len(expected))
        ]
        for y in range(len(expected))
    ]
    assert read == [[bool(module) for module in row] for row in expected]


def test_a_unit_name_with_markup_is_printed_as_text(client, unit, reviewer, admitted):
    unit.name = '<img src="http://127.0.0.1:9/x.png">华中光电'
    unit.save()
    reader = pdf_of(download(client, admitted()))
    assert '<imgsrc="http://127.0.0.1:9/x.png">华中光电' in page_text(reader)
    assert len(reader.pages[0].images) == 1  # the QR code only


def test_a_second_download_is_the_same_certificate(client, admitted):
    user = admitted()
    first = pdf_of(download(client, user))
    second = pdf_of(download(client, user))
    certificate = Certificate.objects.get()
    assert certificate.display_code in page_text(first)
    assert certificate.display_code in page_text(second)
    assert Certificate.objects.count() == 1


def test_an_applicant_not_admitted_gets_no_certificate(unit):
    for status in [
        ApplicationStatus.DRAFT,
        ApplicationStatus.PENDING_UNIT,
        ApplicationStatus.PENDING_BUREAU,
        ApplicationStatus.REJECTED,
        ApplicationStatus.FROZEN,
        ApplicationStatus.EXIT_PENDING,
        ApplicationStatus.EXITED,
    ]:
        user = factories.make_applicant(unit, status)
        response = download(Client(), user)
        assert response.status_code == 302 and response.url == reverse("experts:home")
        told = [str(message) for message in get_messages(response.wsgi_request)]
        label = ApplicationStatus(status).label
        assert told == [f"入库证明只能在专家状态为“审核通过”时下载；您当前的状态为“{label}”。"]
    assert Certificate.objects.count() == 0


def test_units_and_reviewers_have_no_certificate_to_download(client, unit, reviewer, admitted):
    admitted()
    for user in [factories.unit_account(unit), reviewer]:
        assert download(client, user).status_code == 403
    client.logout()
    assert client.get(DOWNLOAD).status_code == 302
    assert Certificate.objects.count() == 0


def test_each_expert_gets_their_own_certificate(client, admitted):
    first, second = admitted("张三明"), admitted("王五")
    assert "张三明" in page_text(pdf_of(download(client, first)))
    text = page_text(pdf_of(download(client, second)))
    assert "王五" in text and "张三明" not in text
    mine, theirs = Certificate.objects.order_by("pk")
    assert (mine.application.user, theirs.application.user) == (first, second)
    assert mine.code != theirs.code


def test_the_home_page_offers_the_certificate_only_once_admitted(client, unit, admitted):
    pending = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    client.force_login(pending)
    assert "下载入库证明" not in client.get(reverse("experts:home")).content.decode()
    client.force_login(admitted())
    page = client.get(reverse("experts:home")).content.decode()
    assert f'href="{DOWNLOAD}"' in page and "下载入库证明" in page


def test_one_certificate_per_admission(admitted):
    application = admitted().application
    certificate = certificate_for(application)
    assert certificate_for(application) == certificate
    with pytest.raises(IntegrityError):
        Certificate.objects.create(
            application=application,
            admitted_at=application.decided_at,
            code=codes.new_code(),
            valid_until=certificate.valid_until,
            details_index=certificate.details_index,
        )


def test_certificate_for_refuses_an_application_not_admitted(unit):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    with pytest.raises(NotAdmitted):
        certificate_for(application)


@pytest.mark.parametrize(
    ("admitted_on", "last_day"),
    [
        (datetime.date(2026, 3, 10), datetime.date(2029, 3, 9)),
        (datetime.date(2024, 2, 29), datetime.date(2027, 2, 28)),
        (datetime.date(2025, 12, 31), datetime.date(2028, 12, 30)),
    ],
)
def test_valid_for_three_years_from_the_admission(admitted_on, last_day):
    moment = timezone.make_aware(datetime.datetime.combine(admitted_on, datetime.time(23, 30)))
    assert valid_until(moment, on=admitted_on) == last_day


@pytest.mark.parametrize(
    ("on", "last_day"),
    [
        (datetime.date(2026, 7, 30), datetime.date(2026, 7, 30)),  # the first term's last day
        (datetime.date(2026, 7, 31), datetime.date(2029, 7, 30)),  # the second's first
        (datetime.date(2026, 12, 7), datetime.date(2029, 7, 30)),
        (datetime.date(2032, 8, 1), datetime.date(2035, 7, 30)),  # the fourth
    ],
)
def test_the_validity_runs_in_terms_from_the_admission(on, last_day):
    """An expert kept in the pool by 年度确认 is certified for the term they are in."""
    moment = timezone.make_aware(datetime.datetime(2023, 7, 31, 10))
    assert valid_until(moment, on=on) == last_day


def test_the_validity_follows_the_setting(settings):
    settings.CERTIFICATE_VALID_YEARS = 5
    moment = timezone.make_aware(datetime.datetime(2026, 3, 10, 9))
    assert valid_until(moment, on=datetime.date(2026, 3, 10)) == datetime.date(2031, 3, 9)
    assert valid_until(moment, on=datetime.date(2031, 3, 10)) == datetime.date(2036, 3, 9)


def test_a_term_on_the_expert_downloads_a_certificate_valid_today(client, admitted):
    """Found by a walk: an expert admitted three years and more ago, still 审核通过, was given
    a certificate that read 已失效 on the day it was printed."""
    user = admitted()
    application = user.application
    admitted_at = timezone.now() - datetime.timedelta(days=3 * 365 + 30)
    ExpertApplication.objects.filter(pk=application.pk).update(decided_at=admitted_at)
    application.refresh_from_db()
    # The paper the expert downloaded in the first term.
    first = Certificate.objects.create(
        application=application,
        admitted_at=admitted_at,
        valid_until=valid_until(admitted_at, on=timezone.localdate(admitted_at)),
        details_index=details_index(application),
        code=codes.new_code(),
    )

    response = download(client, user)

    second = Certificate.objects.exclude(pk=first.pk).get()
    assert second.code != first.code and second.admitted_at == first.admitted_at
    assert first.valid_until < timezone.localdate() <= second.valid_until
    assert second.valid_until == valid_until(admitted_at)
    assert f"有效期至{second.valid_until.isoformat()}" in page_text(pdf_of(response))
    assert 'data-testid="certificate-state">有效<' in verify(client, second.code).content.decode()
    old_page = verify(client, first.code).content.decode()
    assert 'data-testid="certificate-state">已失效<' in old_page and "已超过有效期。" in old_page
    assert certificate_for(application) == second  # and the next download is the same paper


def test_codes_are_twelve_unambiguous_characters_and_differ():
    drawn = {codes.new_code() for _ in range(200)}
    assert len(drawn) == 200
    for code in drawn:
        assert len(code) == 12 and set(code) <= set(codes.ALPHABET)
    assert not set("01IOL") & set(codes.ALPHABET)
    assert codes.grouped("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH-JKMN",
        "abcd efgh jkmn",
        " abcd-efgh-jkmn ",
        "ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ",
        "ABCD—EFGH_JKMN",
    ],
)
def test_codes_are_normalised(typed):
    assert codes.normalise(typed) == "ABCDEFGHJKMN"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三明", "张*明"), ("王五", "王*"), ("欧阳娜娜", "欧**娜"), ("李", "*"), ("", "")],
)
def test_names_are_masked(name, masked):
    assert masked_name(name) == masked


# 证书查验


def verify(client, code, ip="203.0.113.7"):
    return client.get(VERIFY, {"code": code}, REMOTE_ADDR=ip)


def test_a_valid_certificate_shows_the_masked_name_the_unit_and_valid(client, admitted):
    user = admitted("张三明")
    certificate = certificate_for(user.application)
    response = verify(client, certificate.display_code)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="certificate-state">有效<' in page
    assert "张*明" in page and "张三明" not in page
    assert user.application.unit.name in page
    assert user.id_number not in page and user.mobile not in page


def test_the_qr_link_opens_the_result_without_a_login(client, admitted):
    certificate = certificate_for(admitted().application)
    url = pdf.verification_url(certificate).removeprefix("http://localhost:8000")
    page = client.get(url).content.decode()
    assert 'data-testid="certificate-state">有效<' in page


def test_a_typed_code_in_any_case_with_spaces_is_found(client, admitted):
    certificate = certificate_for(admitted().application)
    typed = " ".join(certificate.display_code.lower())
    assert 'data-testid="certificate-state">有效<' in verify(client, typed).content.decode()


def test_an_expert_no_longer_admitted_shows_invalid(client, admitted):
    application = admitted().application
    certificate = certificate_for(application)
    ExpertApplication.objects.filter(pk=application.pk).update(status=ApplicationStatus.REJECTED)
    page = verify(client, certificate.code).content.decode()
    assert 'data-testid="certificate-state">已失效<' in page
    certificate.refresh_from_db()
    assert is_valid(certificate) is False


def test_a_change_of_name_or_unit_makes_a_new_certificate_and_the_old_one_invalid(
    client, admitted, unit, reviewer
):
    """One code, one paper: after an approved 信息变更 the next download is a new certificate
    with a new code and the new details, and the old paper reads 已失效 and why."""
    from changes.models import ChangeStatus
    from tests.changes.helpers import key_request

    user = admitted("肖凯玉")
    old = certificate_for(user.application)
    other = factories.make_unit(UnitStatus.APPROVED)
    change = key_request(user, status=ChangeStatus.PENDING_BUREAU, new_unit=other)
    client.force_login(reviewer)
    client.post(reverse("changes:bureau_approve", args=[change.pk]), {"comment": ""})

    application = ExpertApplication.objects.select_related("user", "unit").get(
        pk=old.application_id
    )
    new = certificate_for(application)
    assert new.code != old.code and new.admitted_at == old.admitted_at
    assert Certificate.objects.count() == 2
    old_page = verify(client, old.code).content.decode()
    assert 'data-testid="certificate-state">已失效<' in old_page
    assert "证明所载的持证人信息已变更，请以持证人重新下载的证明为准。" in old_page
    # The old paper's code tells nobody the new employer (an outside walk found it did).
    assert other.name not in old_page and unit.name not in old_page
    assert "证明所载的持证人信息已变更，不再显示" in old_page
    assert other.name in verify(client, new.code).content.decode()
    assert 'data-testid="certificate-state">有效<' in verify(client, new.code).content.decode()
    assert certificate_for(application) == new  # and a third download is the second paper


def test_an_expired_certificate_shows_invalid(client, admitted):
    certificate = certificate_for(admitted().application)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=yesterday)
    page = verify(client, certificate.code).content.decode()
    assert 'data-testid="certificate-state">已失效<' in page
    assert is_valid(certificate, today=certificate.valid_until) is True
    assert (
        is_valid(certificate, today=certificate.valid_until + datetime.timedelta(days=1)) is False
    )


def result_part(response) -> str:
    """The page below the form: the answer, without the echo of what was typed."""
    return response.content.decode().split("</form>", 1)[1]


def test_a_wrong_or_forged_code_reads_the_same_as_any_other(
    client, admitted, django_assert_num_queries
):
    certificate = certificate_for(admitted().application)
    near = certificate.code[:-1] + ("A" if certificate.code[-1] != "A" else "B")
    forged = codes.new_code()
    answers = [verify(client, code) for code in [near, forged, "XXXX", "not-a-code-at-all"]]
    assert {response.status_code for response in answers} == {200}
    assert len({result_part(response) for response in answers}) == 1
    assert NOT_FOUND in result_part(answers[0])
    assert "有效" not in result_part(answers[0])
    # Every wrong code costs the same, one indexed lookup; a found one reads its holder's
    # 专业领域 besides, to tell whether the details printed are still theirs.
    with django_assert_num_queries(1):
        verify(client, forged)
    with django_assert_num_queries(1):
        verify(client, near)
    with django_assert_num_queries(2):
        verify(client, certificate.code)


def test_an_empty_code_asks_for_one_and_looks_nothing_up(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = verify(client, "  ")
    assert response.status_code == 200
    assert "请输入证明上的验证码。" in response.content.decode()
    assert NOT_FOUND not in response.content.decode()


def test_a_bare_visit_shows_the_form(client):
    response = client.get(VERIFY)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="code"' in page and NOT_FOUND not in page


def test_lookups_are_limited_per_address(client, admitted, settings):
    settings.CERTIFICATE_VERIFY_LIMIT = 3
    # The window is fixed (a multiple of its length): one of years, so that no test's lookups
    # fall on both sides of a window's end (a ten-minute window ends at 19:00:00).
    settings.CERTIFICATE_VERIFY_WINDOW = 10**8
    certificate = certificate_for(admitted().application)
    assert [verify(client, codes.new_code()).status_code for _ in range(3)] == [200] * 3
    refused = verify(client, certificate.code)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "查验次数过多，请稍后再试" in page
    assert 'data-testid="certificate-state"' not in page
    assert f'value="{certificate.code}"' in page  # what was typed stays in the form
    assert 1 <= int(refused["Retry-After"]) <= settings.CERTIFICATE_VERIFY_WINDOW
    # Another address is counted on its own; opening the bare form counts for nothing.
    assert verify(client, certificate.code, ip="198.51.100.9").status_code == 200
    assert client.get(VERIFY, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_the_migration_gives_issued_certificates_their_holders_details_now(admitted):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from certificates.rules import details_index

    certificate = certificate_for(admitted().application)
    Certificate.objects.update(details_index="")
    migration = importlib.import_module("certificates.migrations.0002_details_index")

    migration.fill(apps, SimpleNamespace(connection=connection))

    certificate.refresh_from_db()
    assert certificate.details_index == details_index(certificate.application) != ""
    assert is_valid(certificate)


# While on 公示


def test_the_certificate_waits_for_the_end_of_the_notice_period(client, unit, reviewer):
    """An admission on 公示 may still be reversed on an objection: the home page says until
    when, offers no download, and the URL issues nothing and says the same."""
    user = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="张三明")
    application = approve_application(user.application, reviewer)
    ends = ends_on(timezone.localdate(application.decided_at))
    client.force_login(user)
    home = client.get(reverse("experts:home")).content.decode()
    assert f"公示期至 {ends.isoformat()}，期满后可下载入库证明" in home
    assert 'data-testid="certificate-download"' not in home

    response = client.get(DOWNLOAD, follow=True)

    assert response.redirect_chain == [(reverse("experts:home"), 302)]
    said = [str(message) for message in response.context["messages"]]
    assert said == [f"您的入库信息正在公示，公示期至{ends.isoformat()}，期满后即可下载入库证明。"]
    assert not Certificate.objects.exists()
    factories.past_notice(application)
    assert download(client, user)["Content-Type"] == "application/pdf"


@override_settings(PUBLIC_NOTICE_ENABLED=False)
def test_without_notice_the_certificate_comes_at_once(client, unit, reviewer):
    user = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="张三明")
    approve_application(user.application, reviewer)
    client.force_login(user)
    assert (
        'data-testid="certificate-download"' in client.get(reverse("experts:home")).content.decode()
    )
    assert download(client, user)["Content-Type"] == "application/pdf"
