"""The counts of change requests per status (信息变更审核's and 信息变更待确认's tabs,
专家审核's 信息变更审核 button, 用户账号管理's 待单位确认) are kept, not counted on each page:
they must stay the rows' own counts through every step, and be rebuilt on demand."""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from changes import counts, services
from changes.models import REVIEWED, ChangeCount, ChangeRequest, ChangeStatus
from changes.selectors import waiting_count
from tests import factories
from tests.changes.helpers import admitted, post_data

pytestmark = pytest.mark.django_db
S = ChangeStatus


def live() -> dict[tuple, int]:
    """(status, confirming unit) → n of the reviewed requests, and (status, None) for all."""
    rows = ChangeRequest.objects.filter(status__in=REVIEWED).values_list(
        "status", "confirming_unit"
    )
    counted = {}
    for status, unit_id, n in rows.annotate(n=Count("*")).order_by():
        counted[(status, None)] = counted.get((status, None), 0) + n
        counted[(status, unit_id)] = n
    return counted


def kept() -> dict[tuple, int]:
    return {
        (status, unit_id): n
        for status, unit_id, n in ChangeCount.objects.values_list("status", "unit_id", "n")
        if n
    }


def change(client, user, **overrides):
    client.force_login(user)
    response = client.post(reverse("changes:edit"), post_data(user, **overrides))
    assert response.status_code == 302
    return ChangeRequest.objects.filter(requested_by=user, kind="key").latest("pk")


def test_the_counts_follow_every_step(client, reference_data, unit, other_unit, reviewer):
    people = [admitted(unit, name=f"专家{n}") for n in range(5)]
    third = factories.make_unit()
    unit_account = factories.unit_account(unit)

    requests = [change(client, person, title="研究员") for person in people]
    assert kept() == live() == {(S.PENDING_UNIT, None): 5, (S.PENDING_UNIT, unit.pk): 5}

    # An open request changed to a move: it now waits for the new unit, then another.
    change(client, people[0], title="研究员", unit=other_unit)
    assert kept() == live()
    assert kept()[(S.PENDING_UNIT, other_unit.pk)] == 1
    change(client, people[0], title="研究员", unit=third)
    assert kept() == live() and (S.PENDING_UNIT, other_unit.pk) not in kept()

    services.confirm_change(requests[1], unit_account)
    services.confirm_change(requests[2], unit_account)
    services.return_change(requests[3], unit_account, "材料不全。")
    services.withdraw_change(requests[4], people[4])
    assert kept() == live()
    assert kept()[(S.PENDING_BUREAU, None)] == 2
    with pytest.raises(services.WorkflowError):  # refused: the counts stay as they were
        services.confirm_change(requests[1], unit_account)
    services.approve_change(requests[1], reviewer)
    services.reject_change(requests[2], reviewer, "不符合条件。")
    assert kept() == live()
    decided = {S.APPROVED: 1, S.REJECTED: 2, S.WITHDRAWN: 1}  # 退回 by the unit is 未通过 too
    assert kept() == {
        (S.PENDING_UNIT, None): 1,
        (S.PENDING_UNIT, third.pk): 1,
        **{(status, None): n for status, n in decided.items()},
        **{(status, unit.pk): n for status, n in decided.items()},
    }

    assert waiting_count(reviewer) == 0
    assert waiting_count(factories.unit_account(third)) == 1
    assert waiting_count(unit_account) == 0
    assert waiting_count(people[1]) == 0  # an applicant waits for nobody's request


def test_the_pages_read_the_kept_count(client, reference_data, unit, reviewer):
    person = admitted(unit)
    request = change(client, person, title="研究员")
    unit_account = factories.unit_account(unit)

    client.force_login(unit_account)
    people = reverse("experts:unit_people")
    client.get(people)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(people)
    assert response.context["unit_changes"]["waiting"] == 1
    assert not [q for q in captured if "changes_changerequest" in q["sql"] and "COUNT(" in q["sql"]]
    assert len([q for q in captured if "changes_changecount" in q["sql"]]) == 1

    services.confirm_change(request, unit_account)
    client.force_login(reviewer)
    queue = reverse("experts:bureau_queue")
    client.get(queue)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(queue)
    assert response.context["changes_waiting"] == 1
    assert "已入库专家信息变更审核" in response.content.decode()
    assert not [q for q in captured if "changes_changerequest" in q["sql"]]


def test_recount_repairs_wrong_counts_and_says_what_it_counted(
    client, reference_data, unit, capsys
):
    change(client, admitted(unit), title="研究员")
    ChangeCount.objects.update(n=9)
    ChangeCount.objects.create(status=S.PENDING_BUREAU, unit=unit, n=3)

    call_command("recount_changes")

    assert kept() == live() == {(S.PENDING_UNIT, None): 1, (S.PENDING_UNIT, unit.pk): 1}
    assert "待单位确认1条，待科技局审核0条，已通过0条" in capsys.readouterr().out


def test_the_migration_counts_the_requests_already_there(client, reference_data, unit):
    migration = importlib.import_module("changes.migrations.0004_change_counts")
    change(client, admitted(unit), title="研究员")
    ChangeCount.objects.all().delete()  # as before the migration made the table

    migration.count_changes(apps, None)

    assert kept() == live() == {(S.PENDING_UNIT, None): 1, (S.PENDING_UNIT, unit.pk): 1}


def test_an_applied_change_is_not_counted(client, reference_data, unit):
    """修改联系方式 is applied at once and recorded as 已生效: never in a review list."""
    person = admitted(unit)
    change(client, person, title="研究员")
    client.post(
        reverse("changes:edit"), post_data(person, title="研究员", address="武汉市新地址1号")
    )
    assert ChangeRequest.objects.filter(status=S.APPLIED).exists()
    assert kept() == live() == {(S.PENDING_UNIT, None): 1, (S.PENDING_UNIT, unit.pk): 1}
    counts.shift(None, S.APPLIED, from_unit_id=None, to_unit_id=unit.pk)
    assert counts.waiting(S.APPLIED) == 0


def test_the_lists_say_their_all_tab_leaves_out_the_changes_of_no_review(
    client, reference_data, unit, reviewer
):
    """Found by a reviewer's walk: 全部 70 beside 91 change records, 21 of them 已生效 (contact
    details, applied when saved): both lists say what 全部 counts."""
    person = admitted(unit)
    client.force_login(person)
    client.post(reverse("changes:edit"), post_data(person, address="武汉市新地址1号"))
    assert ChangeRequest.objects.filter(status=S.APPLIED).count() == 1
    said = "“全部”为需审核的变更申请；联系方式等无需审核的修改保存即生效，不在此列。"
    for user, url in (
        (reviewer, "changes:bureau_list"),
        (factories.unit_account(unit), "changes:unit_list"),
    ):
        client.force_login(user)
        response = client.get(reverse(url), {"status": "all"})
        assert response.context["tabs"][0] == ("all", "全部", 0)
        assert said in response.content.decode()


def test_the_review_lists_tabs_read_the_kept_counts_and_a_filter_counts_rows(
    client, reference_data, unit, other_unit, reviewer
):
    moving = admitted(unit, name="调动者")
    staying = admitted(unit, name="留守者")
    move = change(client, moving, title="研究员", unit=other_unit)
    stay = change(client, staying, title="研究员")
    services.confirm_change(stay, factories.unit_account(unit))

    def tabs_and_count_queries(who, url, params=None):
        client.force_login(who)
        client.get(url, params or {})
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params or {})
        sqls = [q["sql"] for q in captured]
        # The status tabs' counts; the waiting tabs' 已超期 counts are one indexed query of
        # their own (due_on < today), not kept (changes.views._list).
        counted = [
            sql
            for sql in sqls
            if "changes_changerequest" in sql and "COUNT(" in sql and "due_on" not in sql
        ]
        tabs = {value: n for value, _, n in response.context["tabs"]}
        return tabs, counted, sqls

    tabs, counted, sqls = tabs_and_count_queries(reviewer, reverse("changes:bureau_list"))
    assert tabs["all"] == 2 and tabs[S.PENDING_UNIT] == 1 and tabs[S.PENDING_BUREAU] == 1
    assert not counted and len([sql for sql in sqls if "changes_changecount" in sql]) == 1

    # The new unit confirms the move: its own counts, not the old unit's.
    tabs, counted, _ = tabs_and_count_queries(
        factories.unit_account(other_unit), reverse("changes:unit_list")
    )
    assert tabs["all"] == 1 and tabs[S.PENDING_UNIT] == 1 and not counted
    tabs, counted, _ = tabs_and_count_queries(
        factories.unit_account(unit), reverse("changes:unit_list")
    )
    assert tabs["all"] == 1 and tabs[S.PENDING_BUREAU] == 1 and not counted

    # 只看更换单位 narrows the rows: the tabs count them.
    tabs, counted, _ = tabs_and_count_queries(
        reviewer, reverse("changes:bureau_list"), {"moving": "true"}
    )
    assert tabs["all"] == 1 and tabs[S.PENDING_UNIT] == 1 and len(counted) == 1
    assert move.status == S.PENDING_UNIT
