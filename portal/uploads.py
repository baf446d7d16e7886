"""Checks of an uploaded scan (jpg, png or pdf): what the file really is, not what its name
says. Scans are shown to reviewers, so anything that could carry script or exhaust the server
is refused with a message the person can act on. Used by the unit's licence scan
(accounts.licence) and the applicant's 证明材料 (experts.attachments), each with its own noun,
size cap and folder."""

import io
import logging
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from PIL import Image

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
# A 300 dpi A3 scan is about 17 million pixels; decoding 25 million RGB pixels takes ~75 MB.
MAX_PIXELS = 25_000_000
MAX_BYTES = 5 * MEGABYTE
SUFFIXES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".pdf": "PDF"}
# What an upload field's `accept` offers the browser's file picker (a hint; the checks decide).
ACCEPT = ".jpg,.jpeg,.png,.pdf"
# Shown in the browser (images); anything else is a download.
INLINE_SUFFIXES = {".png", ".jpg", ".jpeg"}
MAGIC = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n", "PDF": b"%PDF-"}
PNG_END = b"IEND\xaeB`\x82"
JPEG_END = b"\xff\xd9"
# PDF features that run something when the file is opened.
PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia")
WRONG_TYPE = "文件内容与扩展名不符，请上传真实的jpg、png或pdf扫描件。"


def size_text(max_bytes: int) -> str:
    """A limit as the messages print it: 5MB (0.5MB for a limit under one)."""
    return f"{max_bytes / MEGABYTE:g}MB"


def scan_response(field_file, *, filename: str, missing: str) -> FileResponse:
    """A stored scan for its reader, never a public URL: images shown in the browser,
    anything else a download, sandboxed and never cached. A file gone from storage is a 404
    saying `missing` (and an error in the log, for the operator)."""
    suffix = PurePath(field_file.name).suffix.lower()
    try:
        content = field_file.open("rb")
    except FileNotFoundError:
        logger.error("stored scan is missing: %s", field_file.name)
        raise Http404(missing) from None
    response = FileResponse(content, as_attachment=suffix not in INLINE_SUFFIXES, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


def check_scan(upload, *, noun: str, max_bytes: int, max_pixels: int = MAX_PIXELS) -> None:
    """jpg, png or pdf, at most `max_bytes`, and really of that type, whole and without
    extras; `noun` (扫描件, 证明材料) starts the messages about the file as a whole."""
    name = (upload.name or "").lower()
    kind = SUFFIXES.get(name[name.rfind(".") :] if "." in name else "")
    if kind is None:
        raise ValidationError(f"{noun}仅支持jpg、png或pdf格式。")
    if upload.size > max_bytes:
        raise ValidationError(
            f"{noun}不能超过%(limit)s，当前文件为%(size).2fMB，请压缩后上传。",
            params={"limit": size_text(max_bytes), "size": upload.size / MEGABYTE},
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if not data.startswith(MAGIC[kind]):
        raise ValidationError(WRONG_TYPE)
    if kind == "PDF":
        _check_pdf(data)
    else:
        _check_image(data, kind, max_pixels)


def _check_image(data: bytes, kind: str, max_pixels: int) -> None:
    end = PNG_END if kind == "PNG" else JPEG_END
    # Scanners may pad with zero bytes; anything else after the image's end (an HTML page,
    # an archive) is not part of a scan.
    if not data.rstrip(b"\x00").endswith(end):
        raise ValidationError("图片文件末尾含有多余内容或文件不完整，请重新扫描后上传。")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind:
                raise ValidationError(WRONG_TYPE)
            if image.width * image.height > max_pixels:
                raise ValidationError(
                    "图片尺寸过大（超过%(limit)s万像素），请降低分辨率后上传。",
                    params={"limit": f"{max_pixels / 10_000:g}"},
                )
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() skips the pixel data; decoding it finds truncated files
    except ValidationError:
        raise
    except Exception:
        # Pillow raises many types for broken or hostile files (decompression bombs included);
        # all mean "not a usable scan".
        raise ValidationError("图片文件已损坏或无法识别，请重新扫描后上传。") from None


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader

    if b"%%EOF" not in data[-1024:]:
        raise ValidationError("PDF文件不完整或已损坏，请重新导出后上传。")
    if any(marker in data for marker in PDF_ACTIVE):
        raise ValidationError("PDF文件含有脚本、附件或自动操作，请导出为普通PDF后上传。")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError("PDF文件已加密，请去除密码后上传。")
        if len(reader.pages) < 1:
            raise ValidationError("PDF文件没有页面，请重新导出后上传。")
    except ValidationError:
        raise
    except Exception:
        raise ValidationError("PDF文件已损坏或无法识别，请重新导出后上传。") from None
