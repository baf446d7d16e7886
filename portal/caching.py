"""Django's default cache as the portal's own code uses it: a cache server that does not answer
(CACHE_URL's Redis stopped, restarting or cut off) costs speed, never a page.

Everything the portal keeps in the cache can be computed again (figures, choices, 公示 rows) or
is a limit that may lapse for a while: a read that cannot reach the cache answers "not kept", so
the caller computes the value; a write or a delete is skipped. Each use that guards against
double work (add()) says at its call site whether it lets the work go ahead when the cache does
not answer, because only the caller knows what running twice would cost.

Django's own RedisCache has no option to ignore a connection error (django-redis has
IGNORE_EXCEPTIONS; Django's backend passes its OPTIONS to redis-py's connection pool, where the
settings give it short socket timeouts). Every call site imports `cache` from here instead of
django.core.cache; /healthz asks reachable().
"""

import logging
import time
import weakref
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as django_cache

logger = logging.getLogger(__name__)

# What "does not answer" raises: socket errors (any backend that speaks over a socket: a refused
# or reset connection is an OSError) and redis-py's own connection and timeout errors, which are
# not OSErrors. Not caught: ValueError from incr() of a missing key, which callers handle, and
# any other error, which is a bug to see.
UNREACHABLE: tuple[type[Exception], ...] = (OSError,)
try:
    import redis.exceptions
except ImportError:  # only needed with a redis:// CACHE_URL
    pass
else:
    UNREACHABLE += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# One warning a minute while the cache does not answer: an outage does not log a line for each
# cache use of every request. Counted per cache connection (Django makes one per thread, and new
# ones when the settings change).
WARNING_SECONDS = 60
_last_warning: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _unreachable(operation: str, key: str, error: Exception) -> None:
    backend = caches[DEFAULT_CACHE_ALIAS]
    now = time.monotonic()
    if now - _last_warning.get(backend, float("-inf")) >= WARNING_SECONDS:
        _last_warning[backend] = now
        logger.warning(
            "cache unreachable (%s %s: %s): values are computed instead of kept until it "
            "answers again (one warning a minute)",
            operation,
            key,
            error,
        )


class FailSoftCache:
    """The calls the portal makes on Django's cache, each answering as if nothing were kept when
    the cache server does not answer."""

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return django_cache.get(key, default)
        except UNREACHABLE as error:
            _unreachable("get", key, error)
            return default

    def set(self, key: str, value: Any, timeout: float | None) -> None:
        try:
            django_cache.set(key, value, timeout)
        except UNREACHABLE as error:
            _unreachable("set", key, error)

    def delete(self, key: str) -> None:
        try:
            django_cache.delete(key)
        except UNREACHABLE as error:
            _unreachable("delete", key, error)

    def add(self, key: str, value: Any, timeout: float | None, *, if_unreachable: bool) -> bool:
        """Django's add(): True when the key was not there and now is. When the cache does not
        answer, `if_unreachable`: the caller's choice between going ahead (True, fail open) and
        holding back (False, fail closed)."""
        try:
            return django_cache.add(key, value, timeout)
        except UNREACHABLE as error:
            _unreachable("add", key, error)
            return if_unreachable

    def incr(self, key: str, delta: int = 1) -> int | None:
        """Django's incr() (ValueError for a missing key); None when the cache does not answer."""
        try:
            return django_cache.incr(key, delta)
        except UNREACHABLE as error:
            _unreachable("incr", key, error)
            return None


cache = FailSoftCache()

HEALTH_KEY = "portal:healthz"


def reachable() -> bool:
    """Whether the cache answers: one read of a key nobody writes (a round trip like PING)."""
    try:
        django_cache.get(HEALTH_KEY)
    except UNREACHABLE as error:
        _unreachable("get", HEALTH_KEY, error)
        return False
    return True
