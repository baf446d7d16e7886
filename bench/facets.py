"""Time 专家库 with its facet counts in-process (issue 22: p95 under 150 ms at 16 connections
under wrk, bench/run.py; this is the one-client figure behind it, and the cold one).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/facets.py

On the database `bash bench/run` seeded (100,000 applicants), a bureau reviewer GETs each
page through Django's test client, so each request runs the whole stack. "cold": Django's
cache emptied before each request, so the facets are counted in the database (a reviewer's
first look at a set of filters); "warm": the counts kept for the pool as it is
(experts.facets). Prints each page's median and p95 in ms and its queries.
"""

import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import reviewer_client, setup

setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from experts.models import Discipline  # noqa: E402

RUNS = 30


def pages() -> list[tuple[str, str]]:
    field = Discipline.objects.get(code="01").pk
    sub_field = Discipline.objects.get(code="0101").pk
    return [
        ("专家库（全部，分面计数）", "/bureau/pool/"),
        (
            "专家库 专业领域=电子信息 职称=正高级",
            f"/bureau/pool/?discipline={field}&title_level=senior",
        ),
        (
            "专家库 子领域=软件 所在区=洪山区 年龄段=45—54岁",
            f"/bureau/pool/?discipline={sub_field}&district=洪山区&age=45-54",
        ),
        # The search mix's slowest kinds (bench/search_terms.py): a common term, a surname.
        ("专家库 搜索“电子信息”（常见专业）", "/bureau/pool/?q=" + quote("电子信息")),
        ("专家库 搜索“江”（姓）", "/bureau/pool/?q=" + quote("江")),
        ("专家库 搜索“张伟”（姓名）", "/bureau/pool/?q=" + quote("张伟")),
    ]


def timed(client, path: str, cold: bool) -> tuple[float, int]:
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path, secure=True)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed * 1000, len(queries)


def main() -> None:
    reviewer = User.objects.filter(kind=User.Kind.BUREAU, is_active=True).first()
    client = reviewer_client(reviewer)
    for label, path in pages():
        for cold in (True, False):
            timed(client, path, cold)  # the first request of a kind warms the process
            runs = [timed(client, path, cold) for _ in range(RUNS)]
            times = sorted(ms for ms, _ in runs)
            p95 = times[int(len(times) * 0.95) - 1]
            queries = sorted({n for _, n in runs})
            print(
                f"{label}｜{'cold' if cold else 'warm'}｜median {statistics.median(times):.1f} ms"
                f"｜p95 {p95:.1f} ms｜SQL {'–'.join(map(str, queries))}"
            )


if __name__ == "__main__":
    main()
