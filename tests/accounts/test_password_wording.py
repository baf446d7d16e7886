"""找回密码 is called so wherever a person meets it (the login page, the lock page and SMS), and
the password pages address the reader as 您, as the rest of the portal does."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_the_login_page_links_to_password_recovery_by_its_one_name():
    page = text(Client().get(reverse("accounts:login")))

    assert f'<a href="{reverse("accounts:password_reset")}">找回密码</a>' in page
    assert "忘记密码" not in page


def test_the_password_recovery_pages_are_titled_as_the_login_page_names_them():
    client = Client()
    form = text(client.get(reverse("accounts:password_reset")))
    sent = text(
        client.post(reverse("accounts:password_reset"), {"email": "x@example.com"}, follow=True)
    )

    assert "<title>找回密码 - " in form
    assert '<h1 class="h4 mb-3">找回密码</h1>' in form
    assert "电子邮箱" in form and "电子邮件" not in form
    assert "<title>找回密码：邮件已发送 - " in sent
    assert "密码重置" not in sent


def test_the_password_rules_address_the_reader_formally(unit):
    client = Client()
    client.force_login(factories.make_applicant(unit))

    page = text(client.get(reverse("accounts:password_change")))

    assert "您的密码不能与您的其他个人信息太相似。" in page
    assert "您的密码不能是常见密码。" in page
    assert "您的密码不能全是数字。" in page
    assert "你的" not in page
