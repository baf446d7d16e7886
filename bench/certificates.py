"""Time 入库证明 generation at the benchmark's scale (issue 23: at least 20 certificates a second
on the development machine).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_copy \\
        .venv/bin/python bench/certificates.py [-n 200]

On a copy of the database `bash bench/run` seeded, with the certificates app migrated: N
approved experts, newest first, each get what 下载入库证明 does for them (the certificate issued
on first download, then the PDF drawn from the application, its account, unit and 专业领域),
in one process, one after another. Everything runs in one transaction rolled back at the end,
so the database stays as it was. Prints certificates/second with and without the font subset
(`manage.py build_certificate_font`), and the PDF size.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import setup

setup()

from django.db import transaction  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from certificates import fonts, pdf  # noqa: E402
from certificates.services import certificate_for  # noqa: E402
from experts.models import ApplicationStatus, ExpertApplication  # noqa: E402
from notice import periods  # noqa: E402


def experts(n: int) -> list[ExpertApplication]:
    return list(
        ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
        .exclude(decided_at=None)
        # Those still on 公示 get no certificate yet (certificates.services.OnNotice).
        .filter(decided_at__lt=periods.start_of(periods.first_decision_day(timezone.localdate())))
        .select_related("user", "unit")
        .order_by("-decided_at", "-id")[:n]
    )


def run(applications) -> tuple[float, float, list[int]]:
    """Wall-clock and CPU seconds (this process's: the machine is shared) for issuing and
    drawing each one's certificate, and the PDFs' sizes."""
    sizes = []
    start, cpu = time.perf_counter(), time.process_time()
    for application in applications:
        certificate = certificate_for(application)
        certificate.application = application
        sizes.append(len(pdf.render(certificate)))
    return time.perf_counter() - start, time.process_time() - cpu, sizes


def measure(label: str, applications) -> None:
    pdf.forget_fonts()
    run(applications[:2])  # the first certificate registers the fonts: not the steady state
    with transaction.atomic():
        seconds, cpu, sizes = run(applications)
        transaction.set_rollback(True)
    n = len(applications)
    print(
        f"{label}: {n} certificates in {seconds:.2f} s = {n / seconds:.1f}/s wall-clock, "
        f"{n / cpu:.1f}/s of this process's CPU ({1000 * cpu / n:.1f} ms each); "
        f"PDF median {statistics.median(sizes) / 1024:.0f} KB"
    )


def outside_the_subset(applications) -> int:
    """How many of these experts' names or units have a character the subset lacks."""
    common = fonts.common_characters()
    return sum(
        any(ord(c) not in common for c in a.user.real_name + (a.unit.name if a.unit else ""))
        for a in applications
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="certificates to generate")
    args = parser.parse_args()
    applications = experts(args.n)
    if len(applications) < args.n:
        sys.exit(f"only {len(applications)} approved experts with a decision date")
    print(f"{outside_the_subset(applications)} of {len(applications)} need the whole font")
    with transaction.atomic():  # the warm-up's certificates too
        if not fonts.subset_path().exists():
            print("building the font subset (once) …")
            fonts.build_subset(fonts.subset_path(), fonts.common_characters())
        measure("with the GB 2312 font subset", applications)
        with override_settings(CERTIFICATE_FONT_DIR=Path("/nonexistent")):
            measure("whole Noto Serif CJK SC only", applications)
        pdf.forget_fonts()
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
