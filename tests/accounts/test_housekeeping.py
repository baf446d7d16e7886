"""Ops walk G9: the daily `housekeeping` deletes expired sessions (the database store keeps
them until clearsessions runs) and django-axes' login records older than LOGIN_LOG_KEEP_DAYS."""

import datetime
import io

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


def session(key: str, expires: datetime.datetime) -> None:
    Session.objects.create(session_key=key, session_data="", expire_date=expires)


def login_record(days_ago: int) -> AccessLog:
    record = AccessLog.objects.create(username=f"user{days_ago}", ip_address="192.0.2.1")
    at = timezone.now() - datetime.timedelta(days=days_ago)
    AccessLog.objects.filter(pk=record.pk).update(attempt_time=at)
    return record


def test_expired_sessions_and_old_login_records_go_the_rest_stay(settings):
    settings.LOGIN_LOG_KEEP_DAYS = 90
    now = timezone.now()
    session("expired" + "x" * 25, now - datetime.timedelta(minutes=1))
    session("current" + "x" * 25, now + datetime.timedelta(minutes=29))
    old, recent = login_record(91), login_record(89)
    out = io.StringIO()

    call_command("housekeeping", stdout=out)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "x" * 25]
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk
    assert out.getvalue() == "已清理过期会话，删除90天前的登录日志1条。\n"
