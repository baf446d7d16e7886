"""截止日期 of 信息变更 (as the three queues have theirs: portal.deadlines): a request is due
UNIT_REVIEW_WORKING_DAYS after it enters 待单位确认 and BUREAU_REVIEW_WORKING_DAYS after the
unit confirms it; the date is cleared when it stops waiting. The unit's and the bureau's lists
show it, filter to 已超期, sort by it and count each waiting tab's overdue requests."""

import datetime
import importlib
import re
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from changes import services
from changes.models import ChangeRequest, ChangeStatus, ChangeTransition
from experts import due_dates
from portal.templating import minutes
from tests import factories
from tests.changes.helpers import admitted, key_request, page, submit
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
S = ChangeStatus
D = datetime.date
BADGE = '<span class="badge text-bg-danger">已超期</span>'


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


# --- the lists


def make_change(unit, name, status=S.PENDING_UNIT, days=None, new_unit=None) -> ChangeRequest:
    """A request in `status`, due `days` from today (negative: overdue) when given."""
    change = key_request(admitted(unit, name=name), status=status, new_unit=new_unit)
    if days is not None:
        ChangeRequest.objects.filter(pk=change.pk).update(
            due_on=timezone.localdate() + datetime.timedelta(days=days)
        )
    return change


def row_of(text: str, name: str) -> str:
    (row,) = [row for row in re.findall(r"<tr>.*?</tr>", text, re.S) if name in row]
    return row


def names(response) -> list[str]:
    return [row.real_name for row in response.context["rows"]]


@pytest.fixture
def bureau_list(client, reviewer, unit, other_unit):
    make_change(unit, "审核超期甲", S.PENDING_BUREAU, days=-2)
    make_change(other_unit, "审核未到期乙", S.PENDING_BUREAU, days=3)
    make_change(unit, "确认超期丙", S.PENDING_UNIT, days=-1)
    make_change(unit, "已通过丁", S.APPROVED)
    client.force_login(reviewer)
    return reverse("changes:bureau_list")


def test_the_bureau_list_shows_due_dates_and_overdue(client, bureau_list):
    response = client.get(bureau_list)
    text = page(response)
    assert "<th" in text and "截止日期" in text
    late = timezone.localdate() - datetime.timedelta(days=2)
    assert late.isoformat() in row_of(text, "审核超期甲")
    assert BADGE in row_of(text, "审核超期甲")
    assert BADGE not in row_of(text, "审核未到期乙")
    # Each waiting tab's overdue count beside its own.
    assert response.context["overdue"] == {S.PENDING_BUREAU: 1, S.PENDING_UNIT: 1}
    assert "已超期 1" in text


def test_the_bureau_list_filters_overdue_and_sorts_by_due_date(client, bureau_list):
    response = client.get(bureau_list, {"overdue": "true"})
    assert names(response) == ["审核超期甲"]
    assert "只显示已超期的申请" in page(response)
    response = client.get(bureau_list, {"status": "all", "sort": "due"})
    assert names(response) == ["审核超期甲", "确认超期丙", "审核未到期乙", "已通过丁"]
    response = client.get(bureau_list, {"status": "all", "overdue": "true"})
    assert sorted(names(response)) == ["审核超期甲", "确认超期丙"]


def test_the_unit_list_shows_and_counts_its_own_deadline_only(client, unit, other_unit):
    make_change(unit, "待确认超期", S.PENDING_UNIT, days=-1)
    make_change(unit, "待确认未到期", S.PENDING_UNIT, days=2)
    # Waiting on the bureau: the bureau's date, not the unit's to meet.
    make_change(unit, "已确认待审核", S.PENDING_BUREAU, days=-5)
    # Another unit's expert moving here: this unit confirms it.
    make_change(other_unit, "调入超期", S.PENDING_UNIT, days=-3, new_unit=unit)
    client.force_login(factories.unit_account(unit))
    url = reverse("changes:unit_list")
    response = client.get(url)
    text = page(response)
    assert BADGE in row_of(text, "待确认超期") and BADGE in row_of(text, "调入超期")
    assert BADGE not in row_of(text, "待确认未到期")
    assert response.context["overdue"] == {S.PENDING_UNIT: 2}
    response = client.get(url, {"status": "all"})
    assert BADGE not in row_of(page(response), "已确认待审核")
    overdue = names(client.get(url, {"status": "all", "overdue": "true"}))
    assert overdue == ["待确认超期", "调入超期"]
    sorted_names = names(client.get(url, {"status": "all", "sort": "due"}))
    assert sorted_names[:3] == ["调入超期", "待确认超期", "待确认未到期"]
    assert sorted_names[3] == "已确认待审核"


def test_the_detail_pages_show_the_deadline(client, reference_data, unit, reviewer):
    change = make_change(unit, "详情专家", S.PENDING_BUREAU, days=-1)
    client.force_login(reviewer)
    text = page(client.get(reverse("changes:bureau_detail", args=[change.pk])))
    assert "截止日期：" in text and BADGE in text
    # To the unit that confirmed it, the bureau's date is not its own.
    client.force_login(factories.unit_account(unit))
    assert "截止日期：" not in page(client.get(reverse("changes:unit_detail", args=[change.pk])))
    waiting = make_change(unit, "待确认详情", S.PENDING_UNIT, days=1)
    text = page(client.get(reverse("changes:unit_detail", args=[waiting.pk])))
    assert "截止日期：" in text and BADGE not in text


@pytest.mark.parametrize("params", [{}, {"status": "all", "sort": "due"}, {"overdue": "true"}])
def test_the_lists_queries_do_not_grow_with_rows(client, reviewer, unit, params):
    for n in range(2):
        make_change(unit, f"少{n}", S.PENDING_UNIT, days=-1)
        make_change(unit, f"审{n}", S.PENDING_BUREAU, days=-1)
    unit_account = factories.unit_account(unit)
    lists = [(reviewer, "changes:bureau_list"), (unit_account, "changes:unit_list")]
    few = {}
    for who, name in lists:
        client.force_login(who)
        few[name] = queries_for(client, reverse(name), params)
    for n in range(8):
        make_change(unit, f"多{n}", S.PENDING_UNIT, days=-1)
        make_change(unit, f"审多{n}", S.PENDING_BUREAU, days=-1)
    for who, name in lists:
        client.force_login(who)
        assert queries_for(client, reverse(name), params) == few[name]


# --- recompute and the migration


def test_recompute_moves_open_requests_due_dates(
    client, reference_data, unit, reviewer, clock, working_days, settings
):
    """Due dates in 2026 set on the fallback (in December 2025, when the calendar knew 2025 at
    most) move once it knows 2026, from when each request entered its state, keeping the
    working days each was given."""
    with factories.known_until(2025):
        clock(D(2025, 12, 18))
        waiting_bureau = asked(client, admitted(unit, name="待审核"), title="研究员")
        services.confirm_change(waiting_bureau, factories.unit_account(unit))
        decided = asked(client, admitted(unit, name="已退回"), title="研究员")
        services.return_change(decided, factories.unit_account(unit), "材料不符")
        clock(D(2025, 12, 31))
        settings.UNIT_REVIEW_WORKING_DAYS = 1
        waiting_unit = asked(client, admitted(unit, name="待确认"), title="研究员")
    # The fallback: 元旦 Thu 1 Jan only, so Fri 2 Jan is the 1st and the 10th working day.
    assert (due(waiting_unit), due(waiting_bureau)) == (D(2026, 1, 2), D(2026, 1, 2))
    settings.UNIT_REVIEW_WORKING_DAYS = 5  # changed since: not for these requests

    assert due_dates.recompute(from_year=2026, dry_run=True).changes == 2
    assert due(waiting_unit) == D(2026, 1, 2)  # a dry run writes nothing
    out = StringIO()
    call_command("recompute_deadlines", "--year", "2026", stdout=out)
    assert "信息变更2条" in out.getvalue()
    # As announced: 1–3 Jan off, Sunday 4 Jan worked.
    assert (due(waiting_unit), due(waiting_bureau)) == (D(2026, 1, 4), D(2026, 1, 4))
    assert due(decided) is None
    assert due_dates.recompute(from_year=2026).changes == 0


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
    with factories.rewriting_history():
        ChangeTransition.objects.filter(change_request=bare).delete()
    ChangeRequest.objects.filter(pk=bare.pk).update(created_at=at(D(2026, 9, 29)))
    ChangeRequest.objects.update(due_on=None)

    migration.set_due_dates(apps, SimpleNamespace(connection=connection))
    assert due(waiting_unit) == D(2026, 10, 9)
    assert due(waiting_bureau) == D(2026, 10, 22)
    assert due(bare) == D(2026, 10, 12)


# --- 单位确认时间: the moment the bureau's 截止日期 counts from


def test_the_bureau_sees_and_lists_by_when_the_unit_confirmed(
    client, reference_data, unit, reviewer
):
    """Found by a reviewer's walk: 待科技局审核 showed 提交时间 while its 截止日期 counted from
    the unit's 确认; the tab shows 单位确认时间 and lists the longest confirmed first."""
    first_asked = key_request(admitted(unit, name="先提交后确认"), status=S.PENDING_UNIT)
    then_asked = key_request(admitted(unit, name="后提交先确认"), status=S.PENDING_UNIT)
    account = factories.unit_account(unit)
    services.confirm_change(then_asked, account)
    services.confirm_change(first_asked, account)
    confirmed = {
        change.pk: ChangeRequest.objects.get(pk=change.pk).confirmed_at
        for change in (first_asked, then_asked)
    }
    assert confirmed[then_asked.pk] < confirmed[first_asked.pk]
    client.force_login(reviewer)

    response = client.get(reverse("changes:bureau_list"))

    text = page(response)
    assert re.search(r"<th[^>]*>单位确认时间</th>", text)
    assert "提交时间</th>" not in text
    assert minutes(confirmed[then_asked.pk]) in row_of(text, "后提交先确认")
    assert names(response) == ["后提交先确认", "先提交后确认"]
    # The other tabs keep 提交时间 and their order.
    everyone = client.get(reverse("changes:bureau_list"), {"status": "all"})
    assert "提交时间</th>" in page(everyone)
    assert names(everyone) == ["先提交后确认", "后提交先确认"]
    # A batch's confirmation page follows the tab's order.
    chosen = {"action": "approve", "ids": [first_asked.pk, then_asked.pk]}
    bulk = page(client.get(reverse("changes:bureau_bulk"), chosen, follow=True))
    listed = bulk.split('data-testid="bulk-names"')[1].split("</ol>")[0]
    assert listed.index("后提交先确认") < listed.index("先提交后确认")


def test_confirming_sets_the_confirmation_time_the_due_date_counts_from(
    client, reference_data, unit, clock, working_days
):
    clock(D(2026, 9, 25))
    change = asked(client, admitted(unit, name="待审核"), title="研究员")
    clock(D(2026, 10, 9))
    services.confirm_change(change, factories.unit_account(unit))
    change = ChangeRequest.objects.get(pk=change.pk)
    assert change.confirmed_at == at(D(2026, 10, 9))
    assert change.due_on == D(2026, 10, 22)


def test_the_migration_fills_the_confirmation_time_from_the_history(
    client, reference_data, unit, clock
):
    migration = importlib.import_module("changes.migrations.0011_confirmed_at")
    clock(D(2026, 9, 25))
    waiting_unit = asked(client, admitted(unit, name="待确认"), title="研究员")
    waiting_bureau = asked(client, admitted(unit, name="待审核"), title="研究员")
    clock(D(2026, 10, 9))
    services.confirm_change(waiting_bureau, factories.unit_account(unit))
    ChangeRequest.objects.update(confirmed_at=None)

    migration.fill_confirmed_at(apps, SimpleNamespace(connection=connection))

    kept = dict(ChangeRequest.objects.values_list("pk", "confirmed_at"))
    assert kept == {waiting_unit.pk: None, waiting_bureau.pk: at(D(2026, 10, 9))}
