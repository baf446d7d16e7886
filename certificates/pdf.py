"""The 入库证明 as a one-page A4 PDF, drawn by WeasyPrint from certificates/documents/.

What does not change between certificates is made once per process: the template, the
stylesheet with its @font-face, and WeasyPrint's font configuration (fontconfig's view of the
fonts). A certificate then costs its own layout and its own font subset (docs/performance.md)."""

import base64
import functools
import io
from pathlib import Path

import jinja2
import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from weasyprint import CSS, HTML, URLFetcher
from weasyprint.text.fonts import FontConfiguration

from certificates import fonts
from certificates.models import Certificate
from certificates.rules import printed
from portal.dates import chinese_date

DOCUMENTS = Path(__file__).resolve().parent / "documents"
# The document reads nothing from the network: data: URIs (the QR code) and the font file.
FETCHER = URLFetcher(allowed_protocols=("data", "file"))
QR_SCALE = 8  # pixels per module: sharp at the printed size whatever the viewer interpolates
QR_BORDER = 2  # blank modules around the symbol


@functools.cache
def _template() -> jinja2.Template:
    # A document of its own, not a portal page: its own small environment, autoescaped.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DOCUMENTS), autoescape=True, auto_reload=False
    )
    environment.filters["chinese_date"] = chinese_date
    return environment.get_template("certificate.html")


@functools.cache
def _style() -> tuple[FontConfiguration, CSS]:
    """The stylesheet and the font configuration it registered its @font-face in. Cleared by
    forget_fonts() after the subset is (re)built."""
    font_config = FontConfiguration()
    faces = ""
    subset = fonts.subset_path()
    if subset.exists():
        faces = f"@font-face {{ font-family: CertificateSerif; src: url({subset.as_uri()}); }}\n"
    css = CSS(
        string=faces + (DOCUMENTS / "certificate.css").read_text(encoding="utf-8"),
        font_config=font_config,
        url_fetcher=FETCHER,
    )
    return font_config, css


def forget_fonts() -> None:
    _style.cache_clear()


def verification_url(certificate: Certificate) -> str:
    """The 证书查验 page with this certificate's code: what the QR code holds."""
    return f"{settings.PORTAL_URL}{reverse('certificates:verify')}?code={certificate.code}"


def qr_data_uri(url: str) -> str:
    """The QR code as a PNG data: URI, QR_BORDER blank modules around it. segno draws the
    modules; Pillow scales and encodes them (segno's own PNG writer, in Python, took a fifth of
    a certificate's time)."""
    matrix = segno.make(url, error="m").matrix
    width = len(matrix)
    size = width + 2 * QR_BORDER
    blank = [255] * size
    pixels = blank * QR_BORDER
    for row in matrix:
        pixels += [255] * QR_BORDER + [0 if dark else 255 for dark in row] + [255] * QR_BORDER
    pixels += blank * QR_BORDER
    picture = Image.new("L", (size, size))
    picture.putdata(pixels)
    picture = picture.resize((size * QR_SCALE, size * QR_SCALE), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render(certificate: Certificate) -> bytes:
    """The PDF. Reads the application's account, unit and 专业领域 (two queries when the
    certificate was loaded with its application, user and unit)."""
    application = certificate.application
    url = verification_url(certificate)
    html = _template().render(
        **printed(application),
        admitted_on=timezone.localdate(certificate.admitted_at),
        # Admitted in the bureau's previous system (import_roster): not 单位推荐 and 审核 here.
        imported=application.imported_at is not None,
        valid_until=certificate.valid_until,
        issued_on=timezone.localdate(certificate.issued_at),
        code=certificate.display_code,
        qr=qr_data_uri(url),
        verify_url=f"{settings.PORTAL_URL}{reverse('certificates:verify')}",
        issuer=settings.CERTIFICATE_ISSUER,
    )
    font_config, css = _style()
    return HTML(string=html, url_fetcher=FETCHER).write_pdf(
        stylesheets=[css], font_config=font_config
    )
