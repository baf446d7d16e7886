"""Time one bulk approval of 500 applications at the benchmark's scale (issue 21: under 10 s).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/bulk.py

Runs on the database `bash bench/run` seeded (100,000 applicants): a bureau reviewer opens the
confirmation page of the batch and posts it, with the page's one-time token, to 专家审核's bulk
URL through Django's test client (the post alone is timed), so the request runs the
whole stack (middleware, the view, each item's service: lock, transition, history, audit row,
SMS outbox row, kept counts). Everything happens inside one transaction that is rolled back at
the end, so the database stays as seeded for the next run.
"""

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import reviewer_client, setup

setup()

from django.db import transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from experts.models import ApplicationStatus, ExpertApplication  # noqa: E402
from sms.models import SMSMessage  # noqa: E402

BATCH = 500


def one_run() -> float:
    with transaction.atomic():
        reviewer = User.objects.filter(kind=User.Kind.BUREAU, is_active=True).first()
        client = reviewer_client(reviewer)
        ids = list(
            ExpertApplication.objects.filter(status=ApplicationStatus.PENDING_BUREAU)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        assert len(ids) == BATCH, f"the database has {len(ids)} applications 待科技局审核"
        sms_before = SMSMessage.objects.count()
        confirmation = client.get(
            "/bureau/experts/bulk/", {"action": "approve", "ids": ids}, secure=True, follow=True
        )
        batch = re.search(r'name="batch" value="([^"]+)"', confirmation.content.decode())[1]
        started = time.perf_counter()
        response = client.post(
            "/bureau/experts/bulk/",
            {"action": "approve", "ids": ids, "comment": "", "batch": batch},
            secure=True,
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        page = client.get(response["Location"], secure=True).content.decode()
        assert f"已完成 {BATCH} 份申请" in page, page[:2000]
        assert SMSMessage.objects.count() - sms_before == BATCH
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    runs = [one_run() for _ in range(3)]
    print(
        f"批量审核通过 {BATCH} 份申请：中位数 {statistics.median(runs):.2f} 秒"
        f"（3 次：{'、'.join(f'{run:.2f}' for run in runs)} 秒；目标 < 10 秒）"
    )


if __name__ == "__main__":
    main()
