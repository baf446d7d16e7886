"""Recompute the stored 截止日期 of everything still waiting, after the working-day calendar
changed (chinesecalendar upgraded with the next year's holidays): a due date is stored when an
item starts waiting (portal.deadlines), so one set on the fallback (Monday to Friday but for
the statutory holidays) keeps it until recomputed here.

Only due dates in `from_year` or later move: the year the calendar has just learnt (and any
after it). An earlier one was counted on days the calendar knew already, so it is right; left
alone, it also keeps the working-day settings it was set with (a change of
UNIT_REVIEW_WORKING_DAYS applies to items that start waiting afterwards, .env.example).

Each row is moved only if it still waits, with the due date it was read with: a decision taken
meanwhile (due date cleared) is never undone. The kept 已超期 counts are then counted again."""

import dataclasses
import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import OuterRef, Subquery

from accounts.models import Unit, UnitStatus
from changes.models import ChangeRequest, ChangeStatus, ChangeTransition
from experts import counts
from experts.models import ApplicationStatus, ExpertApplication
from portal import deadlines

# The waiting states, the moment each one's wait starts, and its rule (portal.deadlines).
APPLICATION_RULES = {
    ApplicationStatus.PENDING_UNIT: ("submitted_at", deadlines.recommendation_due),
    ApplicationStatus.PENDING_BUREAU: ("recommended_at", deadlines.decision_due),
}

# A 变更申请's wait starts when it entered its state: 提交 or 修改 (the unit's), 确认 (the
# bureau's), each written in its history (changes.models).
CHANGE_RULES = {
    ChangeStatus.PENDING_UNIT: deadlines.recommendation_due,
    ChangeStatus.PENDING_BUREAU: deadlines.decision_due,
}


@dataclasses.dataclass
class Recomputed:
    checked: int = 0
    applications: int = 0
    units: int = 0
    changes: int = 0


def _moves(rows, rules) -> dict[tuple, list[int]]:
    """{(status, stored, recomputed): [pk, …]} of the rows whose due date changes, by each
    status's rule."""
    moves = defaultdict(list)
    for pk, status, due_on, started in rows:
        if started is None:
            continue
        due = rules[status](started)
        if due != due_on:
            moves[(status, due_on, due)].append(pk)
    return moves


def recompute(from_year: int, dry_run: bool = False) -> Recomputed:
    result = Recomputed()
    since = {"due_on__gte": datetime.date(from_year, 1, 1)}
    waiting = ExpertApplication.objects.filter(status__in=list(APPLICATION_RULES), **since)
    rows = []
    for status, (started_field, _) in APPLICATION_RULES.items():
        rows += waiting.filter(status=status).values_list("pk", "status", "due_on", started_field)
    application_moves = _moves(
        rows, {status: rule for status, (_, rule) in APPLICATION_RULES.items()}
    )
    units = Unit.objects.filter(status=UnitStatus.PENDING, **since)
    unit_rows = units.values_list("pk", "status", "due_on", "submitted_at")
    unit_moves = _moves(unit_rows, {UnitStatus.PENDING: deadlines.registration_due})
    open_changes = ChangeRequest.objects.filter(status__in=list(CHANGE_RULES), **since)
    entered = (
        ChangeTransition.objects.filter(change_request=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    change_rows = open_changes.annotate(entered=Subquery(entered)).values_list(
        "pk", "status", "due_on", "entered"
    )
    change_moves = _moves(change_rows, CHANGE_RULES)
    result.checked = len(rows) + len(unit_rows) + len(change_rows)
    if dry_run:
        result.applications = sum(map(len, application_moves.values()))
        result.units = sum(map(len, unit_moves.values()))
        result.changes = sum(map(len, change_moves.values()))
        return result
    with transaction.atomic():
        for (status, stored, due), pks in application_moves.items():
            result.applications += waiting.filter(pk__in=pks, status=status, due_on=stored).update(
                due_on=due
            )
        for (_, stored, due), pks in unit_moves.items():
            result.units += units.filter(pk__in=pks, due_on=stored).update(due_on=due)
        for (status, stored, due), pks in change_moves.items():
            result.changes += open_changes.filter(pk__in=pks, status=status, due_on=stored).update(
                due_on=due
            )
        if result.applications:
            counts.recount()
    return result
