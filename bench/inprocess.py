"""What a bench script that runs the portal in its own process needs (bench/bulk.py,
bench/draw.py): Django set up on the database `bash bench/run` seeded, and a test client
signed in as a bureau reviewer with the second factor."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
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
    import django

    django.setup()


def reviewer_client(reviewer):
    """A test client signed in as `reviewer`, past the second factor, with the current
    个人信息保护说明 agreed to (else every page measured is the notice asked again)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import Authenticator
    from accounts.services import agree_to_current_notice
    from portal import privacy

    if privacy.owes_agreement(reviewer):  # as the notice's page does: stored and audited
        agree_to_current_notice(reviewer)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(reviewer)
    device = Authenticator.objects.filter(user=reviewer, confirmed=True).first()
    device = device or Authenticator.objects.create(user=reviewer, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
