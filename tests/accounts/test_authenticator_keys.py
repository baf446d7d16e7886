"""An authenticator's secret key is stored encrypted (等保 2.0, 数据保密性: 鉴别数据 encrypted at
rest), as ID and bank numbers are: a database dump alone cannot make its owner's codes.
django-otp's TOTPDevice kept it in clear hex; migration accounts 0017 moved every device's key
here, encrypted, and emptied that table, and the devices go on checking codes where they were."""

import datetime
import time
from base64 import b32encode
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Authenticator
from portal.crypto import decrypt
from tests import factories
from tests.accounts.test_authentication import log_in_with_password

pytestmark = pytest.mark.django_db


def stored_key(device) -> str:
    """The key column as the database holds it: cast to text, it is not read through the field
    (which would decrypt it), as experts.reencrypt reads the stored tokens."""
    return (
        Authenticator.objects.filter(pk=device.pk)
        .annotate(token=Cast("key", output_field=TextField()))
        .values_list("token", flat=True)
        .get()
    )


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


RFC_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's SHA1 seed, "1234567890" × 2


def test_the_codes_are_rfc_6238s(reviewer):
    """The test vectors of RFC 6238 (appendix B, SHA1; the last six digits), independent of
    django-otp's arithmetic and of the model's own."""
    device = Authenticator(user=reviewer, key=RFC_KEY)

    assert [device.totp(at).token() for at in (59, 1111111109, 1234567890, 20000000000)] == [
        287082,
        81804,
        5924,
        353130,
    ]


@pytest.mark.parametrize("issuer", ["武汉市科技局专家入库系统", "科技局 专家库", "a:b:c", "100%"])
def test_the_qr_code_is_the_one_django_otps_device_made(reviewer, settings, issuer):
    """Authenticator apps bound before the move read the same address."""
    settings.OTP_TOTP_ISSUER = issuer
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)

    assert device.config_url == TOTPDevice(user=reviewer, key=device.key).config_url


def test_an_empty_issuer_names_only_the_account(reviewer, settings):
    settings.OTP_TOTP_ISSUER = ""
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)

    assert device.config_url.startswith(f"otpauth://totp/{reviewer.username}?secret=")
    assert "issuer" not in device.config_url


def test_a_code_is_checked_once_and_a_wrong_one_throttles(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    code = factories.totp_code(device)

    assert not device.verify_token("12345x")
    assert Authenticator.objects.get(pk=device.pk).throttling_failure_count == 1
    device.throttle_reset()
    assert device.verify_token(code)
    device.refresh_from_db()
    assert device.last_used_at is not None and device.throttling_failure_count == 0
    # The same code again: its step is used.
    assert not device.verify_token(code)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert device.verify_is_allowed()[0] is False


def test_a_code_from_a_clock_a_step_ahead_is_taken_and_the_drift_kept(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)

    assert device.verify_token(code_at(device.key, time.time() + 30))

    assert Authenticator.objects.get(pk=device.pk).drift == 1


def test_two_posts_of_one_code_at_once_sign_in_once(reviewer):
    """Both requests read the device before either wrote it (two tabs, a replayed post)."""
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    first, second = Authenticator.objects.get(pk=device.pk), Authenticator.objects.get(pk=device.pk)
    code = factories.totp_code(device)

    assert first.verify_token(code)
    assert not second.verify_token(code)
    assert Authenticator.objects.get(pk=device.pk).throttling_failure_count == 1


def test_a_reset_device_is_not_written_back_by_a_late_code(reviewer):
    """An operator deletes a lost authenticator (admin) while its owner's request holds it."""
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    held = Authenticator.objects.get(pk=device.pk)
    Authenticator.objects.filter(pk=device.pk).delete()

    assert not held.verify_token("000000")
    assert not held.verify_token(factories.totp_code(held))
    assert not Authenticator.objects.exists()


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
def test_the_migration_encrypts_each_key_and_leaves_no_clear_one():
    """accounts 0017: each TOTPDevice's key moves here encrypted, with what the device needs to
    go on (the last step used, the drift, its failures and times), and TOTPDevice is emptied;
    migrating back puts them back."""
    # A transactional test starts from an empty database: a plain account, no groups.
    reviewer = get_user_model().objects.create_user("keyholder", password=factories.PASSWORD)
    key = RFC_KEY
    made = timezone.now() - datetime.timedelta(days=400)
    now = time.time()
    last_t = int(now) // 30
    try:
        call_command("migrate", "accounts", "0016", verbosity=0)
        old = TOTPDevice.objects.create(
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
        # Its own number, which the trail names; a new device is numbered after it.
        assert (device.pk, device.key, device.name, device.confirmed) == (old.pk, key, "手机", True)
        assert Authenticator.objects.create(user=reviewer, name="平板").pk > old.pk
        assert (device.drift, device.last_t, device.throttling_failure_count) == (1, last_t, 2)
        assert (device.created_at, device.last_used_at) == (made, made)
        assert key not in stored_key(device) and decrypt(stored_key(device)) == key
        # The step already used stays used (one step either side of now, with the drift of 1:
        # now's step would be taken without last_t); two steps ahead is taken only with the
        # drift carried over.
        assert not device.verify_token(code_at(key, now))
        device.throttle_reset()
        assert device.verify_token(code_at(key, now + 60))

        Authenticator.objects.filter(name="平板").delete()
        call_command("migrate", "accounts", "0016", verbosity=0)
        back = TOTPDevice.objects.get(user=reviewer)
        assert back.pk == old.pk
        assert (back.key, back.name, back.last_t) == (key, "手机", last_t + 2)
    finally:
        call_command("migrate", verbosity=0)
