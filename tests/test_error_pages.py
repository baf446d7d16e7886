"""The portal's own Chinese pages for the errors Django answers itself (400, 403 CSRF, 405),
including those raised before AuthenticationMiddleware has set `request.user`."""

from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

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
