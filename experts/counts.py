"""Per-status counts of all applications (experts.StatusCount) and of each unit's
(experts.UnitStatusCount), kept instead of counted on every page.

Every change of an application's status goes through `shift`, and every move of an
application to another unit through `move`, in the same transaction, so the counts are as
exact as the rows themselves. `recount` rebuilds them from the rows (bulk loads, or repairs:
`python manage.py recount_applications`).
"""

from django.db import connection, transaction
from django.db.models import Count

from experts.models import ApplicationStatus, ExpertApplication, StatusCount, UnitStatusCount

_ADD = (
    f"INSERT INTO {StatusCount._meta.db_table} (status, n) VALUES (%s, %s) "
    f"ON CONFLICT (status) DO UPDATE SET n = {StatusCount._meta.db_table}.n + excluded.n"
)
_ADD_TO_UNIT = (
    f"INSERT INTO {UnitStatusCount._meta.db_table} (unit_id, status, n) VALUES (%s, %s, %s) "
    f"ON CONFLICT (unit_id, status) DO UPDATE "
    f"SET n = {UnitStatusCount._meta.db_table}.n + excluded.n"
)


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
    with connection.cursor() as cursor:
        # Always in the same order (all applications', then units' by unit), so that two
        # transactions never wait on each other's rows.
        for status, delta in sorted(changes.items()):
            if delta:
                cursor.execute(_ADD, [status, delta])
        for (unit_id, status), delta in sorted(unit_changes.items()):
            if delta:
                cursor.execute(_ADD_TO_UNIT, [unit_id, status, delta])


# Read on every request of 专家审核, 专家库 and 用户账号管理: plain queries, because building
# the same SELECT through the ORM took 0.27 ms, three times the query's 0.09 ms.
_CURRENT = f"SELECT status, n FROM {StatusCount._meta.db_table}"
_FOR_UNIT = f"SELECT status, n FROM {UnitStatusCount._meta.db_table} WHERE unit_id = %s"


def current() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT)
        return dict(cursor.fetchall())


def for_unit(unit_id) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(_FOR_UNIT, [unit_id])
        return dict(cursor.fetchall())


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
