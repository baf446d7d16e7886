"""Per-status counts of all applications, kept in experts.StatusCount.

Every change of an application's status goes through `shift` in the same transaction, so the
counts are as exact as the rows themselves. `recount` rebuilds them from the rows (bulk loads,
or repairs: `python manage.py recount_applications`).
"""

from django.db import connection, transaction
from django.db.models import Count

from experts.models import ApplicationStatus, ExpertApplication, StatusCount

_ADD = (
    f"INSERT INTO {StatusCount._meta.db_table} (status, n) VALUES (%s, %s) "
    f"ON CONFLICT (status) DO UPDATE SET n = {StatusCount._meta.db_table}.n + excluded.n"
)


def shift(from_status: str | None, to_status: str | None, n: int = 1) -> None:
    """Move `n` applications from one status to another (None: created, or gone)."""
    changes = {}
    if from_status:
        changes[from_status] = changes.get(from_status, 0) - n
    if to_status:
        changes[to_status] = changes.get(to_status, 0) + n
    with connection.cursor() as cursor:
        # Always in the same order, so two transactions never wait on each other's rows.
        for status, delta in sorted(changes.items()):
            if delta:
                cursor.execute(_ADD, [status, delta])


def current() -> dict[str, int]:
    return dict(StatusCount.objects.values_list("status", "n"))


@transaction.atomic
def recount() -> dict[str, int]:
    """Count the rows again and store the result; returns it.

    The count rows are locked first: a transition that has not committed yet waits, and then
    shifts the new figures; one that has committed is in the count."""
    list(StatusCount.objects.select_for_update().order_by("status"))  # shift's order
    counted = dict(
        ExpertApplication.objects.order_by().values_list("status").annotate(n=Count("*"))
    )
    StatusCount.objects.bulk_create(
        [StatusCount(status=status, n=counted.get(status, 0)) for status in ApplicationStatus],
        update_conflicts=True,
        unique_fields=["status"],
        update_fields=["n"],
    )
    return counted
