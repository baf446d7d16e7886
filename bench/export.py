"""Time one 导出Excel of 专家库 at the benchmark's scale, and the export worker's peak memory
(issue 22: 100,000 rows in under 60 s, a worker under 200 MB).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/export.py [--sensitive]

This process is the worker (`manage.py run_exports`): a bureau reviewer's export of the whole
pool is queued through the same service the confirmation page calls (count, cap, audit event),
then claimed and written by the worker's own functions, to a file in the private storage. It
reports the seconds from claim to finished file, the rows, the file's size and the process's
peak resident memory (ru_maxrss: Django, the connection and the export together). Everything
happens inside one transaction that is rolled back, and the file is deleted: the database stays
as seeded. The seeded pool holds 55,000 approved experts; to time 100,000 rows, run it on a
copy of the database whose applications are all approved (docs/performance.md).
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import reviewer_client, setup

os.environ.setdefault("EXPORT_MAX_ROWS", "100000")
setup()

from django.core.files.storage import default_storage  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from experts import exports  # noqa: E402
from experts.models import ExportedApplication, ExportJob  # noqa: E402


def confirmation_page_ms(reviewer) -> float:
    """Median of 5 GETs of the confirmation page (it counts the rows the export would hold)."""
    client = reviewer_client(reviewer)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get("/bureau/pool/export/", secure=True)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sensitive", action="store_true", help="含敏感信息 (numbers whole)")
    args = parser.parse_args()
    reviewer = User.objects.filter(kind=User.Kind.BUREAU, is_active=True).first()
    with transaction.atomic():
        page_ms = confirmation_page_ms(reviewer)
        transaction.set_rollback(True)  # the session, the authenticator
    before = peak_mb()
    with transaction.atomic():
        job = exports.request_pool_export(
            reviewer,
            "",
            scope=exports.Scope.FULL if args.sensitive else exports.Scope.MASKED,
            reason="性能测试" if args.sensitive else "",
        )
        claimed = exports.claim_next()
        assert claimed is not None and claimed.pk == job.pk
        started = time.perf_counter()
        exports.run_job(claimed)
        elapsed = time.perf_counter() - started
        claimed.refresh_from_db()
        assert claimed.status == ExportJob.Status.DONE, claimed.error
        # 含敏感信息: one row per person written, batch by batch (ExportedApplication).
        recorded = ExportedApplication.objects.filter(
            event__object_type="experts.exportjob", event__object_id=str(claimed.pk)
        ).count()
        assert recorded == (claimed.rows_done if args.sensitive else 0), recorded
        size = default_storage.size(claimed.file_name)
        default_storage.delete(claimed.file_name)
        transaction.set_rollback(True)
    print(
        f"导出专家库 {claimed.rows_done:,} 行（{'含敏感信息' if args.sensitive else '脱敏'}）："
        f"{elapsed:.1f} 秒，文件 {size / 1e6:.1f} MB；"
        f"工作进程内存峰值 {peak_mb():.0f} MB（导出前 {before:.0f} MB）；"
        f"记录导出名单 {recorded:,} 行"
        "（目标：10 万行 < 60 秒，< 200 MB）"
    )
    print(
        f"导出专家名单确认页（计数 {claimed.rows_total:,} 行）："
        f"中位数 {page_ms:.0f} ms（5 次，进程内）"
    )


if __name__ == "__main__":
    main()
