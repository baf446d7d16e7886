"""Per-status counts of all applications (experts.StatusCount) and of each unit's
(experts.UnitStatusCount), kept instead of counted on every page.

Every change of an application's status goes through `shift`, and every move of an
application to another unit through `move`, in the same transaction, so the counts are as
exact as the rows themselves. `recount` rebuilds them from the rows (bulk loads, or repairs:
`python manage.py recount_applications`).
"""

from django.db import transaction
from django.db.models import Count, F

from experts.models import ApplicationStatus, ExpertApplication, StatusCount, UnitStatusCount


def shift(from_status: str | None, to_status: str | None, n: int = 1, *, unit_id=None) -> None:
    """Move `n` applications of unit `unit_id` (None: of no unit) from one status to another
    (None: created, or gone)."""
    changes: dict[str, int] = {}
    if from_status:
        changes[from_status] = changes.get(from_status, 0) - n
    if to_status:
        changes[to_status] = changes.get(to_status, 0) + n
    unit_changes = {(unit_id, status): delta for status, delta in changes.items()}
    _apply(changes, unit_changes if unit_id is not None else {})


def move(status: str, from_unit_id, to_unit_id, n: int = 1) -> None:
    """Move `n` applications in `status` from one unit to another (None: no unit)."""
    unit_changes = {}
    if from_unit_id is not None:
        unit_changes[(from_unit_id, status)] = -n
    if to_unit_id is not None:
        unit_changes[(to_unit_id, status)] = n
    _apply({}, unit_changes)


def _apply(changes: dict[str, int], unit_changes: dict[tuple, int]) -> None:
    # Always in the same order (all applications', then units' by unit), so that two
    # transactions never wait on each other's rows.
    for status, delta in sorted(changes.items()):
        if delta:
            _add(StatusCount(status=status), delta)
    for (unit_id, status), delta in sorted(unit_changes.items()):
        if delta:
            _add(UnitStatusCount(unit_id=unit_id, status=status), delta)


def _add(row: StatusCount | UnitStatusCount, delta: int) -> None:
    """Add `delta` to the count `row` names, creating it at zero first if it is missing.

    The UPDATE locks the row; a missing one is inserted (a concurrent insert of the same key
    waits for the other transaction, then finds the row) and updated, so each row is locked
    once, in the caller's order."""
    model = type(row)
    key = {"status": row.status}
    if model is UnitStatusCount:
        key["unit_id"] = row.unit_id
    rows = model.objects.filter(**key)
    if not rows.update(n=F("n") + delta):
        model.objects.bulk_create([row], ignore_conflicts=True)
        rows.update(n=F("n") + delta)


def current() -> dict[str, int]:
    return dict(StatusCount.objects.order_by().values_list("status", "n"))


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
    counted = dict(
        ExpertApplication.objects.order_by().values_list("status").annotate(n=Count("*"))
    )
    StatusCount.objects.bulk_create(
        [StatusCount(status=status, n=counted.get(status, 0)) for status in ApplicationStatus],
        update_conflicts=True,
        unique_fields=["status"],
        update_fields=["n"],
    )
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
    return counted
