"""Test settings: the portal's own settings with fast hashing, in-memory SMS and a temp folder."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
# Keys for the test database only; a deployment sets its own (see .env.example).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=")
os.environ.setdefault("FIELD_HMAC_KEY", "tests-only-hmac-key")
os.environ.setdefault("SMS_BACKEND", "sms.backends.locmem.LocmemBackend")
os.environ.setdefault(
    "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
os.environ.setdefault("PRIVATE_MEDIA_ROOT", tempfile.mkdtemp(prefix="portal-tests-"))
# The test client and the live server speak plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="portal-static-"))

import jinja2

from portal.settings import *  # noqa: F403
from portal.settings import TEMPLATES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test databases are thrown away, so a commit need not wait for its WAL to reach the disk
# (PostgreSQL's asynchronous commit): what a commit makes visible to other connections, and
# every lock and isolation level, stay as they are; only a crash of the server could lose the
# last commits. A commit here waited ~4 ms for the disk, and the browser tests, the live
# server and the concurrency races commit thousands of times.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = f"{_options.get('options', '')} -c synchronous_commit=off".strip()

# A name a Jinja2 template reads but its view does not pass is an error in the tests.
for engine in TEMPLATES:
    if engine["BACKEND"] == "django.template.backends.jinja2.Jinja2":
        engine["OPTIONS"]["undefined"] = jinja2.StrictUndefined

# Only for its `flush` command (tests/management/commands/flush.py).
INSTALLED_APPS = [*INSTALLED_APPS, "tests"]  # noqa: F405
