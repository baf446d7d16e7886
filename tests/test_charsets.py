"""Issue 18, items 1 and 4: a form body the portal cannot read as UTF-8 answers 400 with the
portal's own Chinese page, logs no error and changes nothing (portal/middleware.py)."""

import logging
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from experts.models import ExpertApplication
from tests import factories
from tests.test_access_table import OK, ROLES, TABLE, build_world, url_patterns

pytestmark = pytest.mark.django_db

CHINESE_FIELDS = {"username": "张三", "password": "密码", "resume": "中文简历", "reason": "理由"}
BOUNDARY = "charsetboundary"


def urlencoded(charset):
    return (
        urlencode(CHINESE_FIELDS, encoding=charset).encode("ascii"),
        f"application/x-www-form-urlencoded; charset={charset}",
    )


def multipart(charset):
    parts = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in CHINESE_FIELDS.items()
    )
    return (
        # The test client encodes a str body in the charset the content type names.
        f"{parts}--{BOUNDARY}--\r\n",
        f"multipart/form-data; boundary={BOUNDARY}; charset={charset}",
    )


BODIES = {
    "gbk": lambda: urlencoded("gbk"),
    "gb2312": lambda: urlencoded("gb2312"),
    "GB18030": lambda: urlencoded("GB18030"),
    "multipart-gbk": lambda: multipart("gbk"),
    "multipart-GB18030": lambda: multipart("GB18030"),
}


def project_url_names():
    """Every URL the project defines outside the admin (the access table checks none is missing)."""
    return [name for namespace, name in url_patterns() if not namespace.startswith("admin:")]


def role_for(url_name):
    """A role that may use the URL (logged in where needed), else a visitor."""
    expected = TABLE[url_name][1]
    return next((role for role in ROLES if expected[role] == OK), "anonymous")


def database_snapshot():
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in apps.get_models()
    }


def assert_portal_400(response):
    assert response.status_code == 400
    page = response.content.decode("utf-8")
    assert "请求无法处理" in page
    assert "内容未保存" in page
    assert "专家入库" in page or "<html" in page


def test_every_project_url_is_tried():
    names = project_url_names()
    assert "accounts:login" in names and "experts:form" in names
    assert len(names) == len(TABLE)


@pytest.mark.parametrize("body_name", list(BODIES))
@pytest.mark.parametrize("url_name", sorted(TABLE))
def test_other_charset_is_refused(caplog, url_name, body_name):
    # With CSRF checked, as in production: Django's own 400 handler then reads the body again.
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    world = build_world()
    role = role_for(url_name)
    if world["users"][role] is not None:
        client.force_login(world["users"][role])
    kwargs_for = TABLE[url_name][0]
    url = reverse(url_name, kwargs=kwargs_for(world) if kwargs_for else None)
    body, content_type = BODIES[body_name]()
    before = database_snapshot()
    with caplog.at_level(logging.INFO):
        response = client.post(url, data=body, content_type=content_type)
    assert_portal_400(response)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert database_snapshot() == before


@pytest.mark.parametrize("charset", ["UTF-8", "utf8", "Utf-8"])
def test_utf8_declared_in_any_case_is_accepted(client, charset):
    unit = factories.make_unit()
    applicant = factories.make_applicant(unit)
    body = urlencode({"username": applicant.username, "password": factories.PASSWORD})
    response = client.post(
        reverse("accounts:login"),
        data=body.encode("ascii"),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(applicant.pk)


def test_normal_login_still_works(client):
    applicant = factories.make_applicant(factories.make_unit())
    response = client.post(
        reverse("accounts:login"),
        {"username": applicant.username, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(applicant.pk)


def draft_values(application):
    return list(ExpertApplication.objects.filter(pk=application.pk).values_list())


@pytest.mark.parametrize("encoding", ["percent", "raw"])
def test_gbk_body_without_charset_leaves_the_draft_unchanged(caplog, encoding):
    client = Client(raise_request_exception=False)
    applicant = factories.make_applicant(factories.make_unit())
    client.force_login(applicant)
    data = factories.application_post_data(applicant, resume="中文简历")
    if encoding == "percent":
        body = urlencode(data, doseq=True, encoding="gbk").encode("ascii")
    else:
        body = "&".join(
            f"{k}={v}"
            for k, values in data.items()
            for v in ([values] if isinstance(values, str) else values)
        ).encode("gbk")
    before = draft_values(applicant.application)
    with caplog.at_level(logging.INFO):
        response = client.post(
            reverse("experts:form"), data=body, content_type="application/x-www-form-urlencoded"
        )
    assert_portal_400(response)
    assert "UTF-8" in response.content.decode("utf-8")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert draft_values(applicant.application) == before


def test_utf8_body_without_charset_saves_the_draft(client):
    applicant = factories.make_applicant(factories.make_unit())
    client.force_login(applicant)
    data = factories.application_post_data(applicant, resume="新的中文简历")
    body = urlencode(data, doseq=True).encode("ascii")
    response = client.post(
        reverse("experts:form"), data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (200, 302)
    applicant.application.refresh_from_db()
    assert applicant.application.resume == "新的中文简历"
