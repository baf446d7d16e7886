"""The per-status counts the bureau's tabs show are kept, not counted on each page: they must
stay exactly the rows' own counts through every action, and be rebuilt on demand."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from experts import counts, services
from experts.models import (
    ApplicationStatus,
    DueCount,
    ExpertApplication,
    StatusCount,
    UnitStatusCount,
)
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def live() -> dict[str, int]:
    rows = ExpertApplication.objects.values_list("status").annotate(n=Count("*"))
    return {status: n for status, n in rows.order_by()}


def kept() -> dict[str, int]:
    return {status: n for status, n in counts.current().items() if n}


def live_by_unit() -> dict[tuple, int]:
    rows = ExpertApplication.objects.values_list("unit_id", "status").annotate(n=Count("*"))
    return {(unit_id, status): n for unit_id, status, n in rows.order_by()}


def kept_by_unit() -> dict[tuple, int]:
    rows = UnitStatusCount.objects.exclude(n=0).values_list("unit_id", "status", "n")
    return {(unit_id, status): n for unit_id, status, n in rows}


def live_by_due_date() -> dict[tuple, int]:
    rows = ExpertApplication.objects.filter(due_on__isnull=False)
    rows = rows.values_list("status", "due_on").annotate(n=Count("*"))
    return {(status, due_on): n for status, due_on, n in rows.order_by()}


def kept_by_due_date() -> dict[tuple, int]:
    # Every kept day has someone due on it: a day whose count falls to zero is deleted.
    return {(row.status, row.due_on): row.n for row in DueCount.objects.all()}


def test_counts_follow_every_action_and_match_the_tabs(client, unit, reviewer):
    account = factories.unit_account(unit)
    people = [factories.make_applicant(unit, S.DRAFT) for _ in range(6)]
    applications = [person.application for person in people]
    assert kept() == live() == {S.DRAFT: 6}

    for person, application in zip(people, applications, strict=True):
        services.submit_application(application, person)
    for application in applications[:5]:
        services.recommend_application(application, account)
    services.return_application(applications[5], account, "请补充成果材料。")
    services.approve_application(applications[0], reviewer)
    services.approve_application(applications[1], reviewer)
    services.reject_application(applications[2], reviewer, "不符合条件。")
    services.revise_application(applications[2], people[2])
    with pytest.raises(services.WorkflowError):  # refused: counts stay as they were
        services.approve_application(applications[0], reviewer)

    expected = {S.DRAFT: 2, S.PENDING_BUREAU: 2, S.APPROVED: 2}
    assert live() == expected
    assert kept() == expected
    assert kept_by_unit() == live_by_unit() == {(unit.pk, s): n for s, n in expected.items()}
    assert kept_by_due_date() == live_by_due_date()
    assert sum(kept_by_due_date().values()) == 2  # the two 待科技局审核

    client.force_login(reviewer)
    tabs = {v: n for v, _, n in client.get(reverse("experts:bureau_queue")).context["tabs"]}
    # The bureau's queue shows both drafts: the one its unit returned (issue 19), and the one
    # revised after 审核不通过 (a reviewer must still find it).
    assert tabs == {
        "all": 6,
        S.DRAFT: 2,
        S.PENDING_UNIT: 0,
        S.PENDING_BUREAU: 2,
        S.APPROVED: 2,
        S.REJECTED: 0,
        S.FROZEN: 0,
        S.EXIT_PENDING: 0,
        S.EXITED: 0,
    }
    tabs = {v: n for v, _, n in client.get(reverse("experts:pool")).context["tabs"]}
    assert tabs == {"all": 2, S.APPROVED: 2, S.FROZEN: 0}


def live_returned() -> dict[str, int]:
    rows = ExpertApplication.objects.filter(returned_at__isnull=False)
    return {status: n for status, n in rows.values_list("status").annotate(n=Count("*")).order_by()}


def kept_returned() -> dict[str, int]:
    return dict(StatusCount.objects.exclude(returned=0).values_list("status", "returned"))


def test_the_returned_drafts_are_kept_through_return_and_resubmission(client, unit, reviewer):
    """专家审核's 待申请人修改 tab counts the drafts returned (已退回（待修改）), kept beside the
    drafts' count: a 退回 adds one, a submission again takes it away, a draft never submitted
    or one revised after 审核不通过 is not one (that one is kept apart, StatusCount.revising,
    and the tab counts it too)."""
    account = factories.unit_account(unit)
    people = [factories.make_applicant(unit, S.DRAFT) for _ in range(3)]
    for person in people:
        services.submit_application(person.application, person)
    services.return_application(people[0].application, account, "请补充成果材料。")
    services.return_application(people[1].application, account, "请补充成果材料。")
    services.recommend_application(people[2].application, account)
    services.reject_application(people[2].application, reviewer, "不符合条件。")
    services.revise_application(people[2].application, people[2])  # a draft, not returned
    factories.make_applicant(unit, S.DRAFT)  # never submitted
    assert kept_returned() == live_returned() == {S.DRAFT: 2}
    assert counts.review_queue()[S.DRAFT] == 3 and counts.current()[S.DRAFT] == 4

    services.submit_application(people[0].application, people[0])
    assert kept_returned() == live_returned() == {S.DRAFT: 1}
    client.force_login(reviewer)
    url = reverse("experts:bureau_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        tabs = {v: n for v, _, n in client.get(url).context["tabs"]}
    assert tabs[S.DRAFT] == 2 and tabs[S.PENDING_UNIT] == 1 and tabs["all"] == 3
    # The tabs are one query of the kept counts: no count of the applications' rows.
    sqls = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in sqls if "COUNT(" in sql and "experts_expertapplication" in sql]
    assert len([sql for sql in sqls if "experts_statuscount" in sql]) == 1


def test_recount_repairs_the_returned_count(unit, capsys):
    account = factories.unit_account(unit)
    person = factories.make_applicant(unit, S.PENDING_UNIT)
    services.return_application(person.application, account, "请补充成果材料。")
    StatusCount.objects.update(returned=5)
    call_command("recount_applications")
    assert kept_returned() == live_returned() == {S.DRAFT: 1}


def test_the_migration_counts_the_drafts_already_returned(unit):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("experts.migrations.0025_status_count_returned")
    person = factories.make_applicant(unit, S.PENDING_UNIT)
    services.return_application(person.application, factories.unit_account(unit), "请补充。")
    StatusCount.objects.update(returned=0)  # as before the migration added the field

    migration.count_returned(apps, None)

    assert kept_returned() == live_returned() == {S.DRAFT: 1}


def test_new_registrations_are_counted(client, unit):
    factories.make_applicant(unit, S.DRAFT)
    factories.make_applicant(unit, S.DRAFT)
    assert kept() == {S.DRAFT: 2}


def test_recount_repairs_wrong_counts_and_says_what_it_counted(unit, capsys):
    factories.make_applicant(unit, S.APPROVED)
    factories.make_applicant(unit, S.REJECTED)
    StatusCount.objects.filter(status=S.APPROVED).update(n=99)
    StatusCount.objects.filter(status=S.REJECTED).delete()

    call_command("recount_applications")

    assert kept() == live() == {S.APPROVED: 1, S.REJECTED: 1}
    assert "审核通过1条" in capsys.readouterr().out


def test_filtered_pool_counts_its_own_rows(client, unit, reviewer):
    factories.make_applicant(unit, S.APPROVED)
    other = factories.make_applicant(unit, S.APPROVED)
    ExpertApplication.objects.filter(user=other).update(title_level="associate")
    client.force_login(reviewer)
    response = client.get(reverse("experts:pool"), {"title_level": "associate"})
    tabs = {v: n for v, _, n in response.context["tabs"]}
    assert tabs == {"all": 1, S.APPROVED: 1, S.FROZEN: 0}
    assert [row.pk for row in response.context["rows"]] == [other.application.pk]


def test_each_units_counts_are_its_own_and_follow_a_move(client, unit):
    from accounts.models import UnitStatus
    from accounts.services import user_changed

    other_unit = factories.make_unit(UnitStatus.APPROVED)
    mover = factories.make_applicant(unit, S.APPROVED)
    factories.make_applicant(unit, S.DRAFT)
    factories.make_applicant(other_unit, S.PENDING_UNIT)
    assert kept_by_unit() == live_by_unit()
    assert counts.for_unit(unit.pk) == {S.DRAFT: 1, S.APPROVED: 1}

    mover.unit = other_unit  # an operator moves an expert to another unit
    mover.save()
    user_changed(mover, ["unit"])
    assert kept_by_unit() == live_by_unit()
    assert {s: n for s, n in counts.for_unit(unit.pk).items() if n} == {S.DRAFT: 1}

    client.force_login(factories.unit_account(other_unit))
    tabs = {v: n for v, _, n in client.get(reverse("experts:unit_people")).context["tabs"]}
    assert tabs["all"] == 2 and tabs[S.APPROVED] == 1 and tabs[S.PENDING_UNIT] == 1


def test_recount_repairs_each_units_counts(unit):
    factories.make_applicant(unit, S.APPROVED)
    factories.make_applicant(unit, S.DRAFT)
    UnitStatusCount.objects.filter(status=S.APPROVED).update(n=7)
    UnitStatusCount.objects.filter(status=S.DRAFT).delete()
    call_command("recount_applications")
    assert kept_by_unit() == live_by_unit() == {(unit.pk, S.APPROVED): 1, (unit.pk, S.DRAFT): 1}


def overdue_tab_counts(client) -> dict[str, int]:
    return client.get(reverse("experts:bureau_queue")).context["overdue"]


def test_the_overdue_counts_are_kept_per_due_date_through_every_step(client, unit, reviewer):
    """专家审核's 已超期 counts are the kept days before today summed, and follow each step: a
    submission starts a due date, a recommendation moves it, a decision or a 退回 ends it."""
    account = factories.unit_account(unit)
    people = [factories.make_applicant(unit, S.DRAFT) for _ in range(4)]
    applications = [person.application for person in people]
    for person, application in zip(people, applications, strict=True):
        services.submit_application(application, person)
    assert kept_by_due_date() == live_by_due_date()
    assert {status for status, _ in kept_by_due_date()} == {S.PENDING_UNIT}
    client.force_login(reviewer)
    assert overdue_tab_counts(client) == {}  # due in 5 working days

    # Time passes: every one of them is overdue now.
    ExpertApplication.objects.update(due_on=datetime.date(2026, 1, 5))
    counts.recount()
    assert overdue_tab_counts(client) == {S.PENDING_UNIT: 4}

    services.recommend_application(applications[0], account)  # a new due date, not yet due
    services.return_application(applications[1], account, "请补充成果材料。")  # none
    assert kept_by_due_date() == live_by_due_date()
    assert overdue_tab_counts(client) == {S.PENDING_UNIT: 2}
    services.approve_application(applications[0], reviewer)
    assert kept_by_due_date() == live_by_due_date()
    # The overdue day still has two; the recommendation's day, emptied, is gone.
    assert list(DueCount.objects.values_list("status", "due_on", "n")) == [
        (S.PENDING_UNIT, datetime.date(2026, 1, 5), 2)
    ]


def test_the_kept_overdue_counts_are_one_small_query_and_a_filter_counts_its_rows(
    client, unit, reviewer
):
    for name in ("超期甲", "超期乙"):
        factories.make_applicant(unit, S.PENDING_BUREAU, name=name)
    ExpertApplication.objects.update(due_on=datetime.date(2026, 1, 5))
    counts.recount()
    client.force_login(reviewer)
    url = reverse("experts:bureau_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).context["overdue"] == {S.PENDING_BUREAU: 2}
    overdue_queries = [q["sql"] for q in captured.captured_queries if '"due_on" <' in q["sql"]]
    assert len(overdue_queries) == 1 and "experts_duecount" in overdue_queries[0]

    # A search narrows the rows: they are counted, not the kept days.
    with CaptureQueriesContext(connection) as captured:
        searched = client.get(url, {"q": "超期甲"})
    assert searched.context["overdue"] == {S.PENDING_BUREAU: 1}
    overdue_queries = [q["sql"] for q in captured.captured_queries if '"due_on" <' in q["sql"]]
    assert all("experts_expertapplication" in sql for sql in overdue_queries)


def test_recount_repairs_the_due_date_counts(unit):
    factories.make_applicant(unit, S.PENDING_UNIT)
    factories.make_applicant(unit, S.PENDING_BUREAU)
    factories.make_applicant(unit, S.APPROVED)
    DueCount.objects.update(n=9)
    DueCount.objects.create(status=S.PENDING_BUREAU, due_on=datetime.date(2020, 1, 1), n=3)
    call_command("recount_applications")
    assert kept_by_due_date() == live_by_due_date()
    assert sum(kept_by_due_date().values()) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_increment_survives_its_day_being_emptied_and_deleted_meanwhile(monkeypatch):
    """Three writers add to one due date's count at once: A finds no row for the day and
    inserts one; meanwhile B has created the day (A's insert is skipped) and C has taken it to
    zero and deleted it. A must insert again, not lose its +1 (found by a review, 2026-12-05).

    Through `shift` this cannot happen today: each writer first updates its status's
    StatusCount row, and waits there for the others. `counts.add` is tested alone so that it stays
    right by itself, whatever order its callers lock in."""
    import threading

    from django.db import connections, transaction

    key = {"status": S.PENDING_UNIT, "due_on": datetime.date(2026, 12, 14)}

    def committed(delta):
        def run():
            try:
                with transaction.atomic():
                    counts.add(DueCount, key, n=delta)
                    if delta < 0:
                        DueCount.objects.filter(**key, n=0).delete()  # as counts._apply does
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()

    real_bulk_create = DueCount.objects.bulk_create
    calls = []

    def interleaved(objs, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            return real_bulk_create(objs, **kwargs)  # B's own insert
        calls.append(kwargs)
        if len(calls) == 1:
            committed(+1)  # B creates the day: A's insert conflicts and is skipped
            created = real_bulk_create(objs, **kwargs)
            committed(-1)  # C takes the day to zero and deletes it
            return created
        return real_bulk_create(objs, **kwargs)

    monkeypatch.setattr(DueCount.objects, "bulk_create", interleaved)
    with transaction.atomic():  # A
        counts.add(DueCount, key, n=1)

    # A's +1, B's +1 and C's -1.
    assert list(DueCount.objects.values_list("n", flat=True)) == [1]
    assert len(calls) == 2  # A inserted again after its UPDATE found the day gone


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"eligibility": "flagged"}, {S.PENDING_BUREAU: 1}),  # the flagged one of the two
        ({"eligibility": "clear"}, {S.PENDING_BUREAU: 1}),
        ({"overdue": "false"}, {}),  # the rows not overdue: none of them is
        ({"overdue": "true"}, {S.PENDING_BUREAU: 2}),
    ],
)
def test_every_narrowing_filter_counts_its_own_overdue_rows(
    client, unit, reviewer, params, expected
):
    """The kept days count the whole queue; any filter but the tab and the sort counts rows."""
    flagged, _ = (factories.make_applicant(unit, S.PENDING_BUREAU) for _ in range(2))
    ExpertApplication.objects.update(due_on=datetime.date(2026, 1, 5))
    ExpertApplication.objects.filter(user=flagged).update(
        eligibility_flags=["年龄超过65岁"], has_eligibility_flags=True
    )
    counts.recount()
    client.force_login(reviewer)
    url = reverse("experts:bureau_queue")
    assert client.get(url).context["overdue"] == {S.PENDING_BUREAU: 2}
    assert client.get(url, {"sort": "due"}).context["overdue"] == {S.PENDING_BUREAU: 2}
    assert client.get(url, params).context["overdue"] == expected
