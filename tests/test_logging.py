"""A refusal by role is one log line an operator can read; an error keeps its traceback."""

import logging

import pytest
from django.urls import path, reverse

from portal.urls import urlpatterns as portal_urlpatterns
from tests import factories


def boom(request):
    raise RuntimeError("a real error")


urlpatterns = [path("tests/boom/", boom), *portal_urlpatterns]


def request_records(caplog):
    return [record for record in caplog.records if record.name == "django.request"]


@pytest.mark.urls("tests.test_logging")
def test_a_wrong_role_get_logs_one_line_without_traceback(client, unit, caplog):
    account = factories.unit_account(unit)
    client.force_login(account)
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("experts:form"))
    assert response.status_code == 403
    records = request_records(caplog)
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    line = record.getMessage()
    assert "\n" not in line
    assert reverse("experts:form") in line
    assert f"user={account.get_username()}" in line
    assert "role=单位账号" in line
    assert "Traceback" not in caplog.text


@pytest.mark.urls("tests.test_logging")
def test_an_error_still_logs_its_traceback(client, db, caplog):
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO):
        response = client.get("/tests/boom/")
    assert response.status_code == 500
    (record,) = [r for r in request_records(caplog) if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert "RuntimeError: a real error" in caplog.text
