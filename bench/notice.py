"""Time 专家入库公示 (/notice/, issue 23 part 4) at the benchmark's scale, in-process.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_<copy> \\
        .venv/bin/python bench/notice.py [--recent 600]

The seeded pool's decisions are all weeks old, so nobody would be on notice: inside one
transaction, rolled back at the end, `--recent` approved experts get a decision time spread over
the last 7 days (a busy week of a city), and an anonymous test client reads the first and the last
page: cold (the cache cleared before each request) and warm (the rows from the cache). It prints
the median times, the queries each request took, and the plans of the count and of a page.
"""

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os

from bench.inprocess import setup

# One client reads the page over and over: measure the page, not the limit's 429.
os.environ.setdefault("PUBLIC_NOTICE_RATE_LIMIT", "1000000")
setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from experts.models import ApplicationStatus, ExpertApplication  # noqa: E402
from notice import selectors  # noqa: E402
from portal.views import PAGE_SIZE  # noqa: E402

ROUNDS = 30


class Rollback(Exception):
    pass


def timed(client, path, *, cold: bool) -> tuple[float, int]:
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path, secure=True)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, len(queries)


def measure(client, path, cold):
    runs = [timed(client, path, cold=cold) for _ in range(ROUNDS)]
    return statistics.median(ms for ms, _ in runs), sorted({n for _, n in runs})


def explain(queryset) -> str:
    return queryset.explain(analyze=True, costs=False, timing=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recent", type=int, default=600)
    args = parser.parse_args()
    client = Client(HTTP_HOST="127.0.0.1")
    total = ExpertApplication.objects.count()
    try:
        with transaction.atomic():
            now = timezone.now()
            picked = list(
                ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
                .order_by("pk")
                .values_list("pk", flat=True)[: args.recent]
            )
            step = datetime.timedelta(days=7) / max(len(picked), 1)
            for n, pk in enumerate(picked):
                ExpertApplication.objects.filter(pk=pk).update(decided_at=now - step * n)
            cache.clear()
            today = timezone.localdate()
            listed = selectors.on_notice(today).count()
            last = max(1, -(-listed // PAGE_SIZE))
            print(f"{total} applications; {listed} on notice today ({last} pages)")
            for label, path in [("first page", "/notice/"), ("last page", f"/notice/?page={last}")]:
                for cold in (True, False):
                    ms, queries = measure(client, path, cold)
                    state = "cold" if cold else "warm"
                    print(f"{label:<10} {state}: {ms:6.2f} ms, queries {queries}")
            print("\ncount:\n" + explain(selectors.on_notice(today).order_by().values("pk")))
            rows = selectors.public_rows(today)
            print("\nfirst page:\n" + explain(rows[:PAGE_SIZE]))
            print(f"\nlast page:\n{explain(rows[(last - 1) * PAGE_SIZE : last * PAGE_SIZE])}")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
