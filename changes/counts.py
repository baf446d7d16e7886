"""How many change requests are in each reviewed status, for every unit together and for each
confirming unit (changes.ChangeCount), kept instead of counted on every page.

Every change of a request's status or confirming unit goes through `shift`, in the same
transaction, so the counts are as exact as the rows themselves. `recount` rebuilds them from
the rows (bulk loads, or repairs: `python manage.py recount_changes`).
"""

from collections import Counter

from django.db import transaction
from django.db.models import Count

from changes.models import REVIEWED, ChangeCount, ChangeRequest
from experts.counts import add


def shift(from_status: str | None, to_status: str | None, *, from_unit_id, to_unit_id) -> None:
    """Move one request from (status, confirming unit) to another; None: created. Only the
    reviewed statuses are counted (an applied change is a record, never in a review list)."""
    changes: Counter = Counter()
    for status, unit_id, delta in ((from_status, from_unit_id, -1), (to_status, to_unit_id, 1)):
        if status in REVIEWED:
            changes[(status, None)] += delta  # every unit's
            changes[(status, unit_id)] += delta
    # Always in the same order, so that two transactions never wait on each other's rows.
    for (status, unit_id), delta in sorted(changes.items(), key=_order):
        if delta:
            add(ChangeCount, {"status": status, "unit_id": unit_id}, n=delta)


def _order(item) -> tuple:
    (status, unit_id), _ = item
    return (status, unit_id is not None, unit_id or 0)


def current(unit_id=None) -> dict[str, int]:
    """status → how many requests: those `unit_id` confirms, or (None) every unit's."""
    return dict(ChangeCount.objects.filter(unit_id=unit_id).values_list("status", "n"))


def waiting(status: str, unit_id=None) -> int:
    """How many requests are in `status`: those `unit_id` confirms, or (None) all."""
    kept = ChangeCount.objects.filter(status=status, unit_id=unit_id).values_list("n", flat=True)
    return next(iter(kept), 0)


@transaction.atomic
def recount() -> dict[str, int]:
    """Count the reviewed requests again and store the result; returns every unit's counts.

    The count rows are locked first, as experts.counts.recount does its own."""
    list(ChangeCount.objects.select_for_update().order_by("status", "unit_id"))
    rows = (
        ChangeRequest.objects.filter(status__in=REVIEWED)
        .order_by()
        .values_list("status", "confirming_unit_id")
        .annotate(n=Count("*"))
    )
    kept: Counter = Counter()
    for status, unit_id, n in rows:
        kept[(status, None)] += n
        kept[(status, unit_id)] += n
    ChangeCount.objects.all().delete()
    ChangeCount.objects.bulk_create(
        [ChangeCount(status=status, unit_id=unit_id, n=n) for (status, unit_id), n in kept.items()],
        batch_size=1000,
    )
    return {status: n for (status, unit_id), n in kept.items() if unit_id is None}
