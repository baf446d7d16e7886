"""Personal numbers at rest: encrypted with Fernet, found and kept unique through a keyed hash.

The keys come from the environment (FIELD_ENCRYPTION_KEYS, FIELD_HMAC_KEY), never the
database or the repository: a database dump alone reveals no ID or bank number.

Both can be rotated (docs/security.md, Keys and their rotation). A keyed hash cannot be
re-keyed by itself, so while FIELD_HMAC_KEY is being replaced its former values stay listed in
FIELD_HMAC_OLD_KEYS: new hashes are made under the current key only, and a lookup matches a
stored hash made under any of them (blind_indexes), until `reindex_personal_data` has
recomputed every stored hash from the value it stands for.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


@cache
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set.")
    # The first key encrypts; all of them decrypt, so keys can be rotated (see .env.example).
    return MultiFernet([Fernet(key) for key in keys])


@cache
def _first() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


@receiver(setting_changed)
def forget_keys(*, setting, **kwargs):
    # The keys are read once per process; a test that rotates them reads them again.
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()
        _first.cache_clear()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored personal number cannot be decrypted: FIELD_ENCRYPTION_KEYS lacks its key."
        ) from None


def decrypts(token: str) -> bool:
    """Whether any of FIELD_ENCRYPTION_KEYS decrypts `token` (a stored value read as text);
    what /healthz?details asks of one stored number after a restore."""
    try:
        _fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def under_first_key(token: str) -> bool:
    """Whether `token` was encrypted with the first of FIELD_ENCRYPTION_KEYS."""
    try:
        _first().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypted(token: str) -> str:
    """`token` encrypted again under the first key (rotating keys: .env.example), or `token`
    itself when it already is; its Fernet timestamp is kept."""
    if under_first_key(token):
        return token
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored personal number cannot be decrypted: FIELD_ENCRYPTION_KEYS lacks its key."
        ) from None


def _hmac(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def blind_index(value: str) -> str:
    """A keyed hash (HMAC-SHA256) to look a number up and keep it unique without storing it,
    under FIELD_HMAC_KEY: what is stored from now on."""
    return _hmac(settings.FIELD_HMAC_KEY, value)


def blind_indexes(value: str) -> list[str]:
    """The keyed hashes of `value` a stored one may be: under FIELD_HMAC_KEY first, then under
    each of FIELD_HMAC_OLD_KEYS (a rotation not yet finished). Every lookup and every check of
    uniqueness compares a stored hash with all of them."""
    return [blind_index(value), *old_blind_indexes(value)]


def old_blind_indexes(value: str) -> list[str]:
    """The keyed hashes of `value` under each of FIELD_HMAC_OLD_KEYS (none when it is empty)."""
    return [_hmac(key, value) for key in settings.FIELD_HMAC_OLD_KEYS]


class EncryptedCharField(models.TextField):
    """A short text stored encrypted; the empty string stays empty (nothing to hide)."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def formfield(self, **kwargs):
        # Shown and typed as a one-line field, as the plain CharField it replaces.
        from django import forms

        return super().formfield(**{"widget": forms.TextInput, **kwargs})
