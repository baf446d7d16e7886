"""The portal's own Chinese pages for the errors Django answers itself (400, 403 CSRF, 405),
including those raised before AuthenticationMiddleware has set `request.user`."""

from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.urls import reverse

from experts.models import ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_host_not_allowed_answers_the_portals_400_page(settings):
    # CommonMiddleware refuses the host before AuthenticationMiddleware runs: the page is
    # rendered for a request that has no `user`.
    settings.DEBUG = False

    response = Client().get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    page = response.content.decode()
    assert "请求无法处理" in page
    assert settings.PORTAL_NAME in page


def test_a_page_opened_on_a_host_not_allowed_is_not_told_of_unsaved_content(settings):
    """Ops walk: with ALLOWED_HOSTS left at localhost, every visitor opening a page read
    "您提交的内容格式不正确，内容未保存。", though they had submitted nothing."""
    settings.DEBUG = False

    page = Client().get("/", HTTP_HOST="evil.example").content.decode()

    assert "本系统无法处理这个请求。" in page
    assert "请检查网址是否正确，或从首页重新进入。" in page
    assert "未保存" not in page


def test_a_form_posted_to_a_host_not_allowed_is_told_nothing_was_saved(settings):
    settings.DEBUG = False

    response = Client().post("/accounts/login/", {"username": "x"}, HTTP_HOST="evil.example")

    assert response.status_code == 400
    page = response.content.decode()
    assert "本系统无法处理这次提交，内容未保存。" in page
    assert "请返回上一页重新填写后提交。" in page


def test_a_missing_static_file_answers_the_portals_404_page(settings):
    # The static files handler answers outside the middleware (runserver --insecure).
    settings.DEBUG = False
    handler = StaticFilesHandler(WSGIHandler())
    environ = {"PATH_INFO": "/static/no-such-file.css", "HTTP_HOST": "localhost"}
    setup_testing_defaults(environ)
    status = []

    body = b"".join(handler(environ, lambda code, headers: status.append(code)))

    assert status == ["404 Not Found"]
    assert "页面不存在" in body.decode()


def test_a_typed_logout_answers_405_with_the_portals_page(client):
    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    page = response.content.decode()
    assert "此地址只接受表单提交，不能直接打开" in page
    assert f'href="{reverse("home")}">返回首页</a>' in page
    assert response["Content-Length"] == str(len(response.content))


def test_reopening_a_decisions_address_answers_405_with_the_persons_own_links(client, unit):
    # A 退回 with an empty reason is shown again at /unit/people/<pk>/return/; opening that
    # address again is a GET.
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    client.force_login(factories.unit_account(unit))

    response = client.get(reverse("experts:unit_return", args=[applicant.application.pk]))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "此地址只接受表单提交，不能直接打开" in page
    assert f'href="{reverse("home")}">返回我的首页</a>' in page
    assert "用户账号管理" in page  # the unit's own navigation


def test_a_form_posted_with_an_outdated_token_answers_the_portals_expired_page(unit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.unit_account(unit))

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": factories.PASSWORD, "csrfmiddlewaretoken": "x" * 64},
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期，刚才提交的内容没有保存" in page
    assert "刷新页面后重新填写并提交" in page
    assert "用户账号管理" in page  # in the portal's frame, with the unit's navigation
    assert "DEBUG" not in page
    assert unit.name in page


def test_a_login_posted_without_a_token_answers_the_portals_expired_page(db):
    response = Client(enforce_csrf_checks=True).post(
        reverse("accounts:login"), {"username": "nobody", "password": "x"}
    )

    assert response.status_code == 403
    assert "页面已过期，刚才提交的内容没有保存" in response.content.decode()
