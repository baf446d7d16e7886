"""Time 统计分析 at the benchmark's scale (issue 22: under 300 ms, median, one client).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/stats_page.py

On the database `bash bench/run` seeded: a bureau reviewer opens the page through Django's
test client for the default range (the last 12 months) and a whole year. The page keeps its
figures for a minute (experts.statistics_views.CACHE_SECONDS): "counted" clears the cache
before each request, "cached" does not.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import reviewer_client, setup

setup()

from django.core.cache import cache  # noqa: E402

from accounts.models import User  # noqa: E402

RUNS = 7


def timed(client, params, clear) -> float:
    if clear:
        cache.clear()
    started = time.perf_counter()
    response = client.get("/bureau/statistics/", params, secure=True)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def main() -> None:
    reviewer = User.objects.filter(kind=User.Kind.BUREAU, is_active=True).first()
    client = reviewer_client(reviewer)
    for label, params in [
        ("默认（近12个月）", {}),
        ("2025全年", {"start": "2025-01-01", "end": "2025-12-31"}),
    ]:
        counted = [timed(client, params, True) for _ in range(RUNS)]
        cached = [timed(client, params, False) for _ in range(RUNS)]
        print(
            f"统计分析 {label}：计算 中位数 {statistics.median(counted) * 1000:.0f} 毫秒"
            f"（最慢 {max(counted) * 1000:.0f}），"
            f"缓存 {statistics.median(cached) * 1000:.1f} 毫秒；目标 < 300 毫秒"
        )


if __name__ == "__main__":
    main()
