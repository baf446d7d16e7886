"""信息变更's lists at the benchmark's scale (issue 23 part 1): 信息变更审核 (the bureau),
信息变更待确认 and 用户账号管理 (the biggest unit, with its notice), each timed in-process.

    .venv/bin/python bench/changes.py

Runs on the database `bash bench/run` seeded (100,000 applicants). seed_scale makes that
database's change requests, as a bureau's years leave them (every state, with their history);
on a database seeded before it did, this script adds, once, 20,000 change requests of approved
experts in every state (a fifth of them moving to the biggest unit), as `bash bench/run` asks
with `--seed-only`. It then times each page through Django's test client (the whole stack),
and prints one line per page: the median and the worst of 20 requests.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import reviewer_client, setup

setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from changes import counts, fields  # noqa: E402
from changes.models import ChangeKind, ChangeRequest, ChangeStatus  # noqa: E402
from experts.models import ApplicationStatus, ExpertApplication  # noqa: E402

REQUESTS = 20_000
STATES = [
    ChangeStatus.PENDING_UNIT,
    ChangeStatus.PENDING_BUREAU,
    ChangeStatus.APPROVED,
    ChangeStatus.REJECTED,
    ChangeStatus.WITHDRAWN,
]


def seed(big_unit_id: int) -> None:
    # seed_scale made them (or this did before): adding more would give experts a second open
    # request, which the database refuses.
    if ChangeRequest.objects.exists():
        return
    approved = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    rows = list(approved.order_by("pk").values_list("pk", "user_id", "unit_id")[:REQUESTS])
    values = {"title": "研究员"}
    before = fields.snapshot({"title": "教授"})
    after = fields.snapshot(values)
    requests = []
    for n, (pk, user_id, unit_id) in enumerate(rows):
        status = STATES[n % len(STATES)]
        # One request in five moves to the biggest unit, which then confirms it.
        moving = n % 5 == 0 and unit_id != big_unit_id
        requests.append(
            ChangeRequest(
                application_id=pk,
                kind=ChangeKind.KEY,
                status=status,
                requested_by_id=user_id,
                old_unit_id=unit_id,
                new_unit_id=big_unit_id if moving else None,
                confirming_unit_id=big_unit_id if moving else unit_id,
                values=values,
                before=before,
                after=after,
                changed_labels="专业技术职称",
            )
        )
    ChangeRequest.objects.bulk_create(requests, batch_size=2000)
    counts.recount()  # the waiting counts, as after any bulk load
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE changes_changerequest")


def timed(client, url, n=20) -> tuple[float, float]:
    """Median and worst of `n` requests (the query counts are tests/changes' business)."""
    response = client.get(url, secure=True)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.get(url, secure=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main(seed_only: bool = False) -> None:
    call_command("migrate", verbosity=0)
    big_unit_id = (
        ExpertApplication.objects.values("unit_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("unit_id", flat=True)
        .first()
    )
    seed(big_unit_id)
    if seed_only:
        return
    reviewer = User.objects.filter(kind=User.Kind.BUREAU, is_active=True).first()
    bureau = reviewer_client(reviewer)
    unit = Client(HTTP_HOST="127.0.0.1")
    unit.force_login(User.objects.get(kind=User.Kind.UNIT, unit_id=big_unit_id))
    pages = [
        ("信息变更审核（待科技局审核）", bureau, "/bureau/changes/"),
        ("信息变更审核（全部）", bureau, "/bureau/changes/?status=all"),
        ("信息变更审核 搜索 张伟", bureau, "/bureau/changes/?status=all&q=张伟"),
        ("信息变更审核 只看更换单位", bureau, "/bureau/changes/?status=all&moving=true"),
        ("信息变更待确认（最大单位）", unit, "/unit/changes/"),
        ("用户账号管理（最大单位，含信息变更提示）", unit, "/unit/people/"),
        ("专家审核（含信息变更计数）", bureau, "/bureau/experts/"),
    ]
    print(f"{ChangeRequest.objects.count():,} change requests; unit {big_unit_id}")
    for label, client, url in pages:
        median, worst = timed(client, url)
        print(f"{label}: median {median:.1f} ms, worst {worst:.1f} ms")


if __name__ == "__main__":
    main(seed_only="--seed-only" in sys.argv[1:])
