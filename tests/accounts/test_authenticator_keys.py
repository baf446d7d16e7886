"""An authenticator's secret key is stored encrypted (等保 2.0, 数据保密性: 鉴别数据 encrypted at
rest), as ID and bank numbers are: a database dump alone cannot make its owner's codes.
django-otp's TOTPDevice kept it in clear hex; migration accounts 0017 moved every device's key
here, encrypted, and emptied that table, and the devices go on checking codes where they were."""

import datetime
import time
from base64 import b32encode
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Authenticator
from portal.crypto import decrypt
from tests import factories
from tests.accounts.test_authentication import log_in_with_password

pytestmark = pytest.mark.django_db


def stored_key(device) -> str:
    """The key column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_authenticator WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def code_at(key: str, at: float) -> str:
    """What an authenticator app given `key` (hex) shows at `at`, by django-otp's own TOTP."""
    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(key))
    totp.time = at
    return f"{totp.token():06d}"


def test_the_key_is_stored_encrypted_and_read_back_as_bound(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    key = Authenticator.objects.get(pk=device.pk).key

    token = stored_key(device)
    assert len(bytes.fromhex(key)) == 20
    assert key not in token and key.upper() not in token
    assert b32encode(bytes.fromhex(key)).decode() not in token
    assert decrypt(token) == key


def test_the_qr_code_carries_the_key_the_issuer_and_the_username(reviewer, settings):
    settings.OTP_TOTP_ISSUER = "武汉市科技局: 专家库"
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)

    url = urlsplit(device.config_url)
    params = parse_qs(url.query)

    assert (url.scheme, url.netloc) == ("otpauth", "totp")
    # The issuer's colon would split the label: left out there and in the parameter.
    # The label is the issuer and the username, percent-encoded (RFC 3986).
    assert unquote(url.path) == f"/武汉市科技局 专家库:{reviewer.username}"
    assert url.path.endswith(f"%3A{reviewer.username}") and "+" not in url.path
    assert params == {
        "secret": [b32encode(device.bin_key).decode()],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
        "issuer": ["武汉市科技局 专家库"],
    }
    assert "+" not in url.query  # %20, which every authenticator app reads


def test_a_code_is_checked_once_and_a_wrong_one_throttles(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    code = factories.totp_code(device)

    assert not device.verify_token("12345x")
    device.throttle_reset()
    assert device.verify_token(code)
    device.refresh_from_db()
    assert device.last_used_at is not None and device.throttling_failure_count == 0
    # The same code again: its step is used.
    assert not device.verify_token(code)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert device.verify_is_allowed()[0] is False


def test_signing_in_with_the_second_factor_reads_the_encrypted_key(reviewer):
    """The whole page: bind (QR code and the key to type), then sign in with a code."""
    client = log_in_with_password(reviewer)
    page = client.get(reverse("accounts:two_factor"))
    device = Authenticator.objects.get(user=reviewer)
    assert b32encode(device.bin_key).decode() in page.content.decode()

    response = client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed and device.key != stored_key(device)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_each_key_and_leaves_no_clear_one(reviewer):
    """accounts 0017: each TOTPDevice's key moves here encrypted, with what the device needs to
    go on (the last step used, the drift, its failures and times), and TOTPDevice is emptied;
    migrating back puts them back."""
    key = "3132333435363738393031323334353637383930"
    made = timezone.now() - datetime.timedelta(days=400)
    now = time.time()
    last_t = int(now) // 30
    try:
        call_command("migrate", "accounts", "0016", verbosity=0)
        TOTPDevice.objects.create(
            user=reviewer,
            name="手机",
            confirmed=True,
            key=key,
            drift=1,
            last_t=last_t,
            throttling_failure_count=2,
            last_used_at=made,
        )
        TOTPDevice.objects.update(created_at=made)

        call_command("migrate", "accounts", verbosity=0)

        assert not TOTPDevice.objects.exists()
        device = Authenticator.objects.get(user=reviewer)
        assert (device.key, device.name, device.confirmed) == (key, "手机", True)
        assert (device.drift, device.last_t, device.throttling_failure_count) == (1, last_t, 2)
        assert (device.created_at, device.last_used_at) == (made, made)
        assert key not in stored_key(device) and decrypt(stored_key(device)) == key
        # The step already used stays used (one step either side of now, with the drift of 1:
        # now's step would be taken without last_t); two steps ahead is taken only with the
        # drift carried over.
        assert not device.verify_token(code_at(key, now))
        device.throttle_reset()
        assert device.verify_token(code_at(key, now + 60))

        call_command("migrate", "accounts", "0016", verbosity=0)
        back = TOTPDevice.objects.get(user=reviewer)
        assert (back.key, back.name, back.last_t) == (key, "手机", last_t + 2)
    finally:
        call_command("migrate", verbosity=0)
