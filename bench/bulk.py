"""Time one bulk approval of 500 applications at the benchmark's scale (issue 21: under 10 s).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/bulk.py

Runs on the database `bash bench/run` seeded (100,000 applicants): a bureau reviewer posts the
confirmed batch to 专家审核's bulk URL through Django's test client, so the request runs the
whole stack (middleware, the view, each item's service: lock, transition, history, audit row,
SMS outbox row, kept counts). Everything happens inside one transaction that is rolled back at
the end, so the database stays as seeded for the next run.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=")
os.environ.setdefault("FIELD_HMAC_KEY", "bench-only-hmac-key")
os.environ.setdefault("SMS_BACKEND", "sms.backends.locmem.LocmemBackend")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a JSON audit line per item
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
# The page is rendered, not served: no collected, hashed static files needed.
os.environ.setdefault(
    "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench"
)

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import User  # noqa: E402
from experts.models import ApplicationStatus, ExpertApplication  # noqa: E402
from sms.models import SMSMessage  # noqa: E402

BATCH = 500


def reviewer_client(reviewer) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(reviewer)
    device = TOTPDevice.objects.filter(user=reviewer, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=reviewer, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


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
        started = time.perf_counter()
        response = client.post(
            "/bureau/experts/bulk/",
            {"action": "approve", "ids": ids, "comment": ""},
            secure=True,
        )
        elapsed = time.perf_counter() - started
        page = response.content.decode()
        assert response.status_code == 200, response.status_code
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
