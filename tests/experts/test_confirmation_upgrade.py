"""Ops walk G1: after upgrading from a release without 年度确认, its migration took every
admission as the last confirmation, and the first daily run froze every expert admitted more
than 24 months before, texting each one. `review_confirmations --dry-run` says who would be
frozen and reminded without doing it; `start_confirmation_clock` starts everyone's year at the
upgrade, audited."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def expert(unit, name, days_ago, status=S.APPROVED, reminded=False):
    """An expert in `status`, last confirmed `days_ago` days ago."""
    application = factories.make_applicant(unit, status, name=name).application
    now = timezone.now()
    ExpertApplication.objects.filter(pk=application.pk).update(
        confirmed_at=now - datetime.timedelta(days=days_ago),
        confirm_reminded_at=now if reminded else None,
    )
    return ExpertApplication.objects.get(pk=application.pk)


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def state():
    rows = ExpertApplication.objects.order_by("pk")
    return (
        list(rows.values_list("status", "confirmed_at", "confirm_reminded_at")),
        SMSMessage.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_dry_run_names_who_would_be_frozen_and_reminded_and_changes_nothing(unit):
    lapsed = expert(unit, "冻结甲", days_ago=3 * 365)
    due = expert(unit, "提醒乙", days_ago=340)
    expert(unit, "未到丙", days_ago=200)
    expert(unit, "已提醒丁", days_ago=340, reminded=True)
    expert(unit, "草稿戊", days_ago=3 * 365, status=S.DRAFT)
    before = state()

    lines = run("review_confirmations", "--dry-run")

    assert state() == before
    confirmed = {a.pk: f"{timezone.localtime(a.confirmed_at):%Y-%m-%d}" for a in (lapsed, due)}
    assert lines == [
        f"将冻结：冻结甲（申请编号{lapsed.pk}，最近确认{confirmed[lapsed.pk]}）",
        f"将提醒：提醒乙（申请编号{due.pk}，最近确认{confirmed[due.pk]}）",
        "试运行：将冻结 1 人，将发送年度确认提醒 1 人；未做任何更改。",
    ]
    # The run itself does what the dry run said.
    assert run("review_confirmations") == ["冻结 1 人，发送年度确认提醒 1 人。"]


def test_starting_the_clock_renews_every_earlier_confirmation_once_audited(unit):
    old = expert(unit, "老专家", days_ago=3 * 365, reminded=True)
    recent = expert(unit, "新专家", days_ago=30)
    draft = expert(unit, "草稿", days_ago=3 * 365, status=S.DRAFT)
    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    was = timezone.localdate(old.confirmed_at)
    before = state()

    assert run("start_confirmation_clock", "--dry-run") == [
        f"试运行：将有 2 位审核通过的专家的年度确认改为从{today}起算；未做任何更改。"
    ]
    assert state() == before
    assert run("start_confirmation_clock") == [
        f"已将 2 位审核通过的专家的年度确认改为从{today}起算。"
    ]

    for application in (old, recent):
        application.refresh_from_db()
        assert (application.confirmed_at, application.confirm_reminded_at) == (midnight, None)
    assert ExpertApplication.objects.get(pk=draft.pk).confirmed_at == draft.confirmed_at
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGE).order_by("pk")
    assert [(e.object_id, e.username, e.role) for e in events] == [
        (str(old.pk), "start_confirmation_clock", "运维人员"),
        (str(recent.pk), "start_confirmation_clock", "运维人员"),
    ]
    assert events[0].detail == (
        f"年度确认改为从{today}起算（原最近确认时间：{was}；start_confirmation_clock）"
    )
    assert SMSMessage.objects.count() == 0
    # Nobody is frozen or reminded now, and a second run the same day changes nobody.
    assert run("review_confirmations") == ["冻结 0 人，发送年度确认提醒 0 人。"]
    assert run("start_confirmation_clock") == [
        f"已将 0 位审核通过的专家的年度确认改为从{today}起算。"
    ]


@pytest.mark.parametrize(
    ("date", "message"),
    [("2026-13-01", "日期“2026-13-01”不存在：月份应为01至12。"), ("2999-01-01", "不能晚于今天")],
)
def test_a_bad_or_future_start_is_refused_and_changes_nothing(unit, date, message):
    expert(unit, "老专家", days_ago=3 * 365)
    before = state()
    with pytest.raises(CommandError, match=message):
        run("start_confirmation_clock", "--date", date)
    assert state() == before
