"""Forged and broken licence scans are refused with a message; real ones land under a random
name, outside any public URL."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from accounts import licence, services
from accounts.forms import UnitDetailsForm, UnitRegistrationForm
from accounts.licence import MAX_BYTES
from accounts.models import Unit
from tests import factories


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_bytes(javascript: str | None = None, password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if javascript:
        writer.add_open_action(JavaScript(javascript))
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pixel_bomb() -> bytes:
    # 36 million one-bit pixels: a few kilobytes on disk, over 100 MB once decoded as RGB.
    buffer = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def licence_errors(name: str, content: bytes) -> list[str]:
    form = UnitRegistrationForm(data={}, files={"licence": SimpleUploadedFile(name, content)})
    form.is_valid()
    return form.errors.get("licence", [])


FORGED = [
    ("program.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, "文件内容与扩展名不符"),
    ("program.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "文件内容与扩展名不符"),
    ("scan.png", factories.png_bytes()[:-30], "文件末尾含有多余内容或文件不完整"),
    ("scan.png", factories.png_bytes() + b"<html><script>alert(1)</script></html>", "多余内容"),
    ("scan.jpg", jpeg_bytes() + b"<script>alert(1)</script>", "多余内容"),
    (
        "scan.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "仅支持jpg、png或pdf",
    ),
    ("scan.jpg", pdf_bytes(), "文件内容与扩展名不符"),
    ("scan.png", jpeg_bytes(), "文件内容与扩展名不符"),
    ("scan.pdf", pdf_bytes()[:-200], "PDF文件不完整或已损坏"),
    ("scan.pdf", pdf_bytes(javascript="app.alert(1);"), "PDF文件含有脚本"),
    ("scan.pdf", pdf_bytes(password="secret"), "PDF文件已加密"),
    ("scan", factories.png_bytes(), "仅支持jpg、png或pdf"),
    ("scan.html", b"<html></html>", "仅支持jpg、png或pdf"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    FORGED,
    ids=[
        "executable-as-jpg",
        "elf-as-pdf",
        "truncated-png",
        "png-with-html-appended",
        "jpeg-with-script-appended",
        "svg",
        "pdf-named-jpg",
        "jpeg-named-png",
        "truncated-pdf",
        "pdf-with-javascript",
        "encrypted-pdf",
        "no-extension",
        "html",
    ],
)
def test_forged_or_broken_scans_are_refused_with_a_message(name, content, message):
    errors = licence_errors(name, content)
    assert len(errors) == 1 and message in errors[0], errors


def test_a_pixel_bomb_is_refused_before_it_is_decoded():
    errors = licence_errors("scan.png", pixel_bomb())
    assert errors == ["图片尺寸过大（超过2500万像素），请降低分辨率后上传。"]


def test_a_file_one_byte_over_5_mb_is_refused_and_one_at_the_limit_is_not_for_its_size():
    png = factories.png_bytes()
    over = png + b"\x00" * (MAX_BYTES + 1 - len(png))
    assert licence_errors("scan.png", over) == [
        "扫描件不能超过5MB，当前文件为5.00MB，请压缩后上传。"
    ]
    at_limit = png + b"\x00" * (MAX_BYTES - len(png))
    assert licence_errors("scan.png", at_limit) == []


@pytest.mark.django_db
def test_the_size_in_the_messages_follows_the_limit(monkeypatch, client):
    """The limit is said where it is applied and where the field asks for a file: a bureau
    that changes MAX_BYTES changes every message."""
    monkeypatch.setattr(licence, "MAX_BYTES", 2 * 1024 * 1024)
    png = factories.png_bytes()
    over = png + b"\x00" * (3 * 1024 * 1024 - len(png))

    errors = licence_errors("scan.png", over)
    page = client.get(reverse("accounts:register_unit")).content.decode()
    stored = UnitDetailsForm(instance=factories.make_unit())

    assert errors == ["扫描件不能超过2MB，当前文件为3.00MB，请压缩后上传。"]
    assert "支持jpg、png或pdf格式，不超过2MB。" in page
    assert "（jpg、png或pdf格式，不超过2MB）" in stored.fields["licence"].help_text
    assert "5MB" not in page + stored.fields["licence"].help_text
    monkeypatch.setattr(licence, "MAX_BYTES", 512 * 1024)
    assert licence.size_limit() == "0.5MB"


def test_the_pixel_limit_in_the_message_follows_the_limit(monkeypatch):
    monkeypatch.setattr(licence, "MAX_PIXELS", 1_000_000)
    buffer = io.BytesIO()
    Image.new("1", (1200, 1000)).save(buffer, "PNG")
    assert licence_errors("scan.png", buffer.getvalue()) == [
        "图片尺寸过大（超过100万像素），请降低分辨率后上传。"
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [("scan.pdf", pdf_bytes()), ("scan.PNG", factories.png_bytes()), ("扫描.jpeg", jpeg_bytes())],
)
def test_real_scans_are_accepted(name, content):
    assert licence_errors(name, content) == []


@pytest.mark.django_db
def test_a_path_like_file_name_lands_under_a_random_name(client):
    code = factories.credit_code()
    data = {
        "name": "路径测试单位",
        "credit_code": code,
        "nature": "enterprise",
        "district": "江汉区",
        "address": "武汉市江汉区1号",
        "contact_name": "张三",
        "contact_mobile": "13900139002",
        "email": "path@example.com",
        "licence": SimpleUploadedFile("../../etc/x.pdf", pdf_bytes()),
        "username": "pathunit",
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
    }
    response = client.post(reverse("accounts:register_unit"), data)
    assert response.status_code == 302
    stored = Unit.objects.get(credit_code=code).licence
    assert stored.name.startswith("licences/") and stored.name.endswith(".pdf")
    assert ".." not in stored.name and "etc" not in stored.name and "x.pdf" not in stored.name
    assert stored.storage.exists(stored.name)


def stored_scans() -> set[str]:
    folder = licence.LICENCE_FOLDER
    return {folder + name for name in default_storage.listdir(folder)[1]}


@pytest.mark.django_db
@pytest.mark.parametrize("taken", ["username", "credit_code"])
def test_a_registration_that_rolls_back_leaves_no_scan_behind(taken, settings, tmp_path):
    # Someone else registered the same username or credit code between the form's check and
    # the save: the rows roll back, and the scan stored by the save goes with them. In a
    # storage of its own: the tests' workers share one, and store scans meanwhile.
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default.get("OPTIONS", {}), "location": tmp_path}},
    }
    other = factories.make_unit()
    assert str(other.licence.path).startswith(str(tmp_path))
    account = factories.unit_account(other)
    before = stored_scans()
    unit = Unit(
        name="回滚测试单位",
        credit_code=other.credit_code if taken == "credit_code" else factories.credit_code(),
        nature="enterprise",
        district="江汉区",
        address="武汉市江汉区1号",
        contact_name="张三",
        contact_mobile="+8613900139002",
        email="rollback@example.com",
        licence=factories.licence_upload("营业执照.png"),
    )
    username = account.username if taken == "username" else "rollback"

    with pytest.raises(IntegrityError):
        services.register_unit(unit, username=username, password=factories.PASSWORD)

    assert stored_scans() == before
    assert not Unit.objects.filter(name="回滚测试单位").exists()
    # The unit that was there keeps its own scan.
    assert other.licence.storage.exists(other.licence.name)
