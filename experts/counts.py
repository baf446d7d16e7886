"""Per-status counts of all applications (experts.StatusCount) and of each unit's
(experts.UnitStatusCount), and per due date of the waiting ones (experts.DueCount), kept
instead of counted on every page.

Every change of an application's status (and with it its due date) goes through `shift`, and
every move of an application to another unit through `move`, in the same transaction, so the
counts are as exact as the rows themselves. `recount` rebuilds them from the rows (bulk loads,
or repairs: `python manage.py recount_applications`).
"""

import datetime

from django.db import transaction
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from experts.models import (
    RETURNED,
    REVISING,
    ApplicationStatus,
    DueCount,
    ExpertApplication,
    StatusCount,
    UnitStatusCount,
)


def shift(
    from_status: str | None,
    to_status: str | None,
    n: int = 1,
    *,
    unit_id=None,
    from_due=None,
    to_due=None,
    from_returned: bool = False,
    to_returned: bool = False,
    from_revising: bool = False,
    to_revising: bool = False,
) -> None:
    """Move `n` applications of unit `unit_id` (None: of no unit) from one status to another
    (None: created, or gone), from one due date to another (None: none), from returned
    (已退回（待修改）, returned_at) or not to returned or not, and from revising after 审核不通过
    (修改中（曾审核不通过）, revising_at) or not to revising or not."""
    changes: dict[str, dict[str, int]] = {}
    if from_status:
        _count(
            changes,
            from_status,
            n=-n,
            returned=-n if from_returned else 0,
            revising=-n if from_revising else 0,
        )
    if to_status:
        _count(
            changes,
            to_status,
            n=n,
            returned=n if to_returned else 0,
            revising=n if to_revising else 0,
        )
    unit_changes = {(unit_id, status): delta["n"] for status, delta in changes.items()}
    due_changes: dict[tuple, int] = {}
    if from_status and from_due:
        due_changes[(from_status, from_due)] = -n
    if to_status and to_due:
        key = (to_status, to_due)
        due_changes[key] = due_changes.get(key, 0) + n
    _apply(changes, unit_changes if unit_id is not None else {}, due_changes)


def _count(changes: dict, status: str, **deltas: int) -> None:
    for name, delta in deltas.items():
        changes.setdefault(status, {"n": 0, "returned": 0, "revising": 0})[name] += delta


def move(status: str, from_unit_id, to_unit_id, n: int = 1) -> None:
    """Move `n` applications in `status` from one unit to another (None: no unit)."""
    unit_changes = {}
    if from_unit_id is not None:
        unit_changes[(from_unit_id, status)] = -n
    if to_unit_id is not None:
        unit_changes[(to_unit_id, status)] = n
    _apply({}, unit_changes, {})


def _apply(changes: dict[str, dict], unit_changes: dict[tuple, int], due_changes) -> None:
    # Always in the same order (all applications', then units' by unit, then the due dates'),
    # so that two transactions never wait on each other's rows.
    for status, deltas in sorted(changes.items()):
        if any(deltas.values()):
            add(StatusCount, {"status": status}, **deltas)
    for (unit_id, status), delta in sorted(unit_changes.items()):
        if delta:
            add(UnitStatusCount, {"unit_id": unit_id, "status": status}, n=delta)
    for (status, due_on), delta in sorted(due_changes.items()):
        if delta:
            add(DueCount, {"status": status, "due_on": due_on}, n=delta)
            if delta < 0:  # a day none is due on any more: not summed again (DueCount)
                DueCount.objects.filter(status=status, due_on=due_on, n=0).delete()


def add(model, key: dict, **deltas: int) -> None:
    """Add `deltas` (field → how much, e.g. n=1) to the count of `model` that `key` names,
    creating it at zero first if it is missing.

    The UPDATE locks the row. A missing one is inserted (a concurrent insert of the same key
    waits for the other transaction, then conflicts and is skipped) and the UPDATE tried again,
    until it finds the row: between the insert and the UPDATE another transaction may have
    taken a DueCount day to zero and deleted it, and an UPDATE that found nothing would lose
    `deltas`. Each row is locked once, in the caller's order."""
    rows = model.objects.filter(**key)
    while not rows.update(**{name: F(name) + delta for name, delta in deltas.items()}):
        model.objects.bulk_create([model(**key)], ignore_conflicts=True)


def current() -> dict[str, int]:
    return dict(StatusCount.objects.order_by().values_list("status", "n"))


def review_queue() -> dict[str, int]:
    """The counts of experts.selectors.review_queue for the bureau (every application but the
    drafts never submitted), per status, in the same one query as `current`: of the drafts,
    only those with the applicant to change (WITH_APPLICANT: returned, 已退回（待修改）, or
    revised after 审核不通过, 修改中（曾审核不通过）)."""
    return {
        status: returned + revising if status == ApplicationStatus.DRAFT else n
        for status, n, returned, revising in StatusCount.objects.order_by().values_list(
            "status", "n", "returned", "revising"
        )
    }


def overdue_by_status(statuses, today: datetime.date | None = None) -> QuerySet:
    """(status, n) of the applications of `statuses` due before `today` (default today, local
    time, as portal.deadlines.is_overdue says of one): the kept days before it, summed."""
    days = DueCount.objects.filter(
        status__in=list(statuses), due_on__lt=today or timezone.localdate()
    )
    return days.order_by().values_list("status").annotate(n=Sum("n"))


def overdue(statuses, today: datetime.date | None = None) -> dict[str, int]:
    """How many applications of each of `statuses` are overdue, as portal.filters.overdue_rows
    would count the rows."""
    return {status: n for status, n in overdue_by_status(statuses, today) if n}


def for_unit(unit_id) -> dict[str, int]:
    return dict(
        UnitStatusCount.objects.filter(unit_id=unit_id).order_by().values_list("status", "n")
    )


@transaction.atomic
def recount() -> dict[str, int]:
    """Count the rows again and store the result; returns the counts of all applications.

    The count rows are locked first: a transition that has not committed yet waits, and then
    shifts the new figures; one that has committed is in the count."""
    list(StatusCount.objects.select_for_update().order_by("status"))  # shift's order
    list(UnitStatusCount.objects.select_for_update().order_by("unit_id", "status"))
    list(DueCount.objects.select_for_update().order_by("status", "due_on"))
    per_status = {
        status: (n, returned, revising)
        for status, n, returned, revising in ExpertApplication.objects.order_by()
        .values_list("status")
        .annotate(
            n=Count("*"),
            returned=Count("pk", filter=RETURNED),
            revising=Count("pk", filter=REVISING),
        )
    }
    StatusCount.objects.bulk_create(
        [
            StatusCount(status=status, n=n, returned=returned, revising=revising)
            for status in ApplicationStatus
            for n, returned, revising in [per_status.get(status, (0, 0, 0))]
        ],
        update_conflicts=True,
        unique_fields=["status"],
        update_fields=["n", "returned", "revising"],
    )
    counted = {status: n for status, (n, _, _) in per_status.items()}
    by_unit = (
        ExpertApplication.objects.filter(unit__isnull=False)
        .order_by()
        .values_list("unit_id", "status")
        .annotate(n=Count("*"))
    )
    UnitStatusCount.objects.all().delete()
    UnitStatusCount.objects.bulk_create(
        [UnitStatusCount(unit_id=unit_id, status=status, n=n) for unit_id, status, n in by_unit],
        batch_size=1000,
    )
    by_due_date = (
        ExpertApplication.objects.filter(due_on__isnull=False)
        .order_by()
        .values_list("status", "due_on")
        .annotate(n=Count("*"))
    )
    DueCount.objects.all().delete()
    DueCount.objects.bulk_create(
        [DueCount(status=status, due_on=due_on, n=n) for status, due_on, n in by_due_date],
        batch_size=1000,
    )
    return counted
