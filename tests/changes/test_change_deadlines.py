"""截止日期 of 信息变更 (as the three queues have theirs: portal.deadlines): a request is due
UNIT_REVIEW_WORKING_DAYS after it enters 待单位确认 and BUREAU_REVIEW_WORKING_DAYS after the
unit confirms it; the date is cleared when it stops waiting."""

import datetime
import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from changes import services
from changes.models import ChangeRequest, ChangeStatus, ChangeTransition
from experts import due_dates
from tests import factories
from tests.changes.helpers import admitted, submit

pytestmark = pytest.mark.django_db
S = ChangeStatus
D = datetime.date


def at(day: D, hour=10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def clock(monkeypatch):
    """Set the time the transitions read (timezone.now, and so timezone.localdate)."""

    def set_to(day: D) -> None:
        monkeypatch.setattr(timezone, "now", lambda: at(day))

    return set_to


@pytest.fixture
def working_days(settings):
    settings.UNIT_REVIEW_WORKING_DAYS = 5
    settings.BUREAU_REVIEW_WORKING_DAYS = 10


def due(change) -> D | None:
    return ChangeRequest.objects.values_list("due_on", flat=True).get(pk=change.pk)


def asked(client, user, **overrides) -> ChangeRequest:
    assert submit(client, user, **overrides).status_code == 302
    return ChangeRequest.objects.filter(requested_by=user, kind="key").latest("pk")


def test_a_request_is_due_while_it_waits_counting_the_national_day(
    client, reference_data, unit, reviewer, clock, working_days
):
    person = admitted(unit, name="变更专家")
    # Friday 25 Sep 2026: 28, 29, 30 Sep, then 1–7 Oct off, 8 and 9 Oct → due Fri 9 Oct.
    clock(D(2026, 9, 25))
    change = asked(client, person, title="研究员")
    assert due(change) == D(2026, 10, 9)
    # 修改 on Tue 29 Sep: what the unit confirms changed, its wait starts again: 30 Sep, 8 and
    # 9 Oct, Sat 10 Oct (a working day), Mon 12 Oct.
    clock(D(2026, 9, 29))
    asked(client, person, title="副研究员")
    assert due(change) == D(2026, 10, 12)
    # 确认 on Fri 9 Oct: ten working days for the bureau → Thu 22 Oct (Sat 10 Oct is worked).
    clock(D(2026, 10, 9))
    services.confirm_change(change, factories.unit_account(unit))
    assert due(change) == D(2026, 10, 22)
    services.approve_change(change, reviewer)
    assert due(change) is None


def test_an_application_of_no_review_has_no_due_date(client, reference_data, unit):
    person = admitted(unit)
    submit(client, person, address="武汉市新地址1号")
    assert ChangeRequest.objects.get(requested_by=person, status=S.APPLIED).due_on is None


@pytest.mark.parametrize("step", ["return", "reject", "withdraw_waiting_unit", "withdraw", "close"])
def test_a_request_that_stops_waiting_is_due_no_more(client, reference_data, unit, reviewer, step):
    person = admitted(unit)
    change = asked(client, person, title="研究员")
    assert due(change) is not None
    unit_account = factories.unit_account(unit)
    if step == "return":
        services.return_change(change, unit_account, "材料不符")
    elif step == "withdraw_waiting_unit":
        services.withdraw_change(change, person)
    else:
        services.confirm_change(change, unit_account)
        assert due(change) is not None
        if step == "reject":
            services.reject_change(change, reviewer, "材料不符")
        elif step == "withdraw":
            services.withdraw_change(change, person)
        else:
            change.refresh_from_db()
            services.close_on_leaving(change.application, reviewer, "remove")
    assert due(change) is None


# --- recompute and the migration


def test_recompute_moves_open_requests_due_dates(
    client, reference_data, unit, reviewer, clock, working_days
):
    """Due dates stored on the Monday-to-Friday fallback (as if National Day 2026 were
    unknown) move once the calendar knows better, from when each request entered its state."""
    clock(D(2026, 9, 25))
    waiting_unit = asked(client, admitted(unit, name="待确认"), title="研究员")
    waiting_bureau = asked(client, admitted(unit, name="待审核"), title="研究员")
    services.confirm_change(waiting_bureau, factories.unit_account(unit))
    decided = asked(client, admitted(unit, name="已退回"), title="研究员")
    services.return_change(decided, factories.unit_account(unit), "材料不符")
    # Monday to Friday from Fri 25 Sep: 5 days → Fri 2 Oct, 10 days → Fri 9 Oct.
    ChangeRequest.objects.filter(pk=waiting_unit.pk).update(due_on=D(2026, 10, 2))
    ChangeRequest.objects.filter(pk=waiting_bureau.pk).update(due_on=D(2026, 10, 9))

    assert due_dates.recompute(dry_run=True).changes == 2
    assert due(waiting_unit) == D(2026, 10, 2)  # a dry run writes nothing
    out = StringIO()
    call_command("recompute_deadlines", stdout=out)
    assert "信息变更2条" in out.getvalue()
    assert due(waiting_unit) == D(2026, 10, 9)
    assert due(waiting_bureau) == D(2026, 10, 15)  # 28–30 Sep, 8–10 Oct (Sat worked), 12–15
    assert due(decided) is None
    assert due_dates.recompute().changes == 0


def test_the_migration_dates_open_requests_from_their_history(
    client, reference_data, unit, clock, working_days
):
    migration = importlib.import_module("changes.migrations.0009_due_dates")
    clock(D(2026, 9, 25))
    waiting_unit = asked(client, admitted(unit, name="待确认"), title="研究员")
    waiting_bureau = asked(client, admitted(unit, name="待审核"), title="研究员")
    clock(D(2026, 10, 9))
    services.confirm_change(waiting_bureau, factories.unit_account(unit))
    # One made before its history was written: its created_at stands in.
    bare = asked(client, admitted(unit, name="无记录"), title="研究员")
    ChangeTransition.objects.filter(change_request=bare).delete()
    ChangeRequest.objects.filter(pk=bare.pk).update(created_at=at(D(2026, 9, 29)))
    ChangeRequest.objects.update(due_on=None)

    migration.set_due_dates(apps, SimpleNamespace(connection=connection))
    assert due(waiting_unit) == D(2026, 10, 9)
    assert due(waiting_bureau) == D(2026, 10, 22)
    assert due(bare) == D(2026, 10, 12)
