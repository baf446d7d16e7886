"""Recompute the stored 截止日期 of everything still waiting, after the working-day calendar
changed (chinesecalendar upgraded with the next year's holidays): a due date is stored when an
item starts waiting (portal.deadlines), so one counted on the fallback (Monday to Friday but
for the statutory holidays and their days in lieu, portal.workdays) keeps it until recomputed
here.

Each item keeps the number of working days it was given: that number is counted back from its
stored due date on the calendar the date was set on (the installed one for the years before
`from_year`, the fallback for `from_year` and after), then counted forward again on the
installed calendar. A due date moves only by the holidays and make-up workdays the calendar
has learnt, never by today's working-day settings (a change of UNIT_REVIEW_WORKING_DAYS or
BUREAU_REVIEW_WORKING_DAYS applies to items that start waiting afterwards, .env.example). Only
due dates in `from_year` or later are read.

The calendar knew the year an item started waiting in (it is upgraded each December, before the
year begins): that year and the ones before it are counted on the installed calendar, so a run
with no new year learnt moves nothing, an item waiting since October included. Each run that
writes records an audit event (重算截止日期) saying up to which year the calendar knew: after
it every waiting due date is on that calendar, so a later run counts back on the fallback only
beyond that year, and run again with the same calendar moves nothing.

Each row is moved only if it still waits, with the due date it was read with: a decision taken
meanwhile (due date cleared) is never undone. The kept 已超期 counts are then counted again."""

import dataclasses
import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import OuterRef, Subquery

from accounts.models import Unit, UnitStatus
from accounts.permissions import SYSTEM_ROLE
from audit.log import record
from audit.models import AuditEvent
from changes.models import OPEN, ChangeRequest, ChangeTransition
from experts import counts
from experts.models import ApplicationStatus, ExpertApplication
from portal.deadlines import start_day
from portal.workdays import add_workdays, last_known_year, workdays_between

COMMAND = "recompute_deadlines"

# The waiting states and the moment each one's wait starts (portal.deadlines).
APPLICATION_STARTS = {
    ApplicationStatus.PENDING_UNIT: "submitted_at",
    ApplicationStatus.PENDING_BUREAU: "recommended_at",
}

# A 变更申请's wait starts when it entered its state: 提交 or 修改 (the unit's), 确认 (the
# bureau's), each written in its history (changes.models); the open states are those two.
CHANGE_STATES = OPEN


def _known_prefix(year: int) -> str:
    """How the audit event of a run begins: the year its calendar knew up to."""
    return f"工作日历已知至{year}年"


@dataclasses.dataclass
class Recomputed:
    # Due dates in this year or later were read: the year asked for, or later when a recorded
    # run has put the earlier ones on the installed calendar already (`recomputed_at`).
    from_year: int = 0
    recomputed_at: datetime.datetime | None = None
    checked: int = 0
    applications: int = 0
    units: int = 0
    changes: int = 0


def last_run(from_year: int) -> tuple[int, AuditEvent] | None:
    """The latest recorded run whose calendar knew `from_year` or a later year the installed
    calendar knows too, and that year: every due date then waiting was put on that calendar,
    and every one set since on it or a later one."""
    for year in range(last_known_year(), from_year - 1, -1):
        event = (
            AuditEvent.objects.filter(
                action=AuditEvent.Action.RECOMPUTE_DEADLINES,
                detail__startswith=_known_prefix(year),
            )
            .order_by("-at", "-pk")
            .first()
        )
        if event is not None:
            return year, event
    return None


def _moves(rows, known_until: int) -> dict[tuple, list[int]]:
    """{(status, stored, recomputed): [pk, …]} of the rows whose due date changes: the working
    days each was given, counted back on the calendar that knew the years up to `known_until`
    (or up to the year its wait started, which the calendar knew by then: upgraded each
    December), then forward on the installed one."""
    moves = defaultdict(list)
    for pk, status, due_on, started in rows:
        if started is None:
            continue
        day = start_day(started)
        span = workdays_between(day, due_on, known_until=max(known_until, day.year))
        due = add_workdays(day, span)
        if due != due_on:
            moves[(status, due_on, due)].append(pk)
    return moves


def recompute(from_year: int, dry_run: bool = False) -> Recomputed:
    """Move the waiting due dates in `from_year` or later, set when the calendar knew the years
    before it only, onto the installed calendar (see the module's docstring).

    Side effects unless `dry_run`: updates the rows that move, recounts the 已超期 counts and
    records one audit event (重算截止日期) with the counts."""
    known = last_known_year()
    result = Recomputed(from_year=from_year)
    previous = last_run(from_year)
    if previous is not None:
        recorded, event = previous
        result.from_year = recorded + 1
        result.recomputed_at = event.at
    since = {"due_on__gte": datetime.date(result.from_year, 1, 1)}
    known_until = result.from_year - 1
    waiting = ExpertApplication.objects.filter(status__in=list(APPLICATION_STARTS), **since)
    rows = []
    for status, started_field in APPLICATION_STARTS.items():
        rows += waiting.filter(status=status).values_list("pk", "status", "due_on", started_field)
    application_moves = _moves(rows, known_until)
    units = Unit.objects.filter(status=UnitStatus.PENDING, **since)
    unit_rows = units.values_list("pk", "status", "due_on", "submitted_at")
    unit_moves = _moves(unit_rows, known_until)
    open_changes = ChangeRequest.objects.filter(status__in=CHANGE_STATES, **since)
    entered = (
        ChangeTransition.objects.filter(change_request=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    change_rows = open_changes.annotate(entered=Subquery(entered)).values_list(
        "pk", "status", "due_on", "entered"
    )
    change_moves = _moves(change_rows, known_until)
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
        record(
            AuditEvent.Action.RECOMPUTE_DEADLINES,
            username=COMMAND,
            role=SYSTEM_ROLE,
            detail=(
                f"{_known_prefix(known)}；检查截止日期在{result.from_year}年及以后的待审核事项"
                f"{result.checked}条，变更截止日期：专家申请{result.applications}条，"
                f"单位注册{result.units}条，信息变更{result.changes}条"
            ),
        )
    return result
