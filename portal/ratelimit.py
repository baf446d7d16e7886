"""A per-address request limit for the pages anyone may open without logging in (专家入库公示).

Logging in has its own rules (accounts.lockout, counted in the database because they must hold
for hours and across nodes). A public page only needs to stop one address from reading it in a
loop: a count per address and per minute in Django's cache is enough, and costs no query. With
the default local-memory cache each worker process counts on its own, so an address may make up
to `limit` requests a minute to each worker; a shared cache (Redis, Memcached) makes it one count.
"""

import functools
import time

from django.conf import settings
from django.shortcuts import render

from portal.caching import cache
from portal.network import client_ip

WINDOW_SECONDS = 60


def over_limit(scope: str, address: str, limit: int, now: float | None = None) -> int:
    """Count this request of `address` to `scope`; the seconds until its minute ends when it is
    past `limit` requests in the current minute, else 0."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"ratelimit:{scope}:{address}:{window}"
    # add() is atomic in every cache backend: the first request of a minute creates the count.
    cache.add(key, 0, WINDOW_SECONDS + 5, if_unreachable=False)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, WINDOW_SECONDS + 5)
        count = 1
    # A cache that does not answer counts nothing: the page stays open (fails open). It only
    # stops one address from reading public rows in a loop, which is worth less than the
    # page itself while the cache is down (the portal's health check reports the outage).
    if count is None or count <= limit:
        return 0
    return max(1, int((window + 1) * WINDOW_SECONDS - now))


def rate_limited(scope: str, limit_setting: str):
    """Answer 429 with a Chinese page (and Retry-After) to an address past
    settings.<limit_setting> requests a minute to the decorated view."""

    def decorator(view):
        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            limit = getattr(settings, limit_setting)
            wait = over_limit(scope, client_ip(request) or "unknown", limit)
            if wait:
                response = render(request, "429.html", {"wait": wait, "limit": limit}, status=429)
                response["Retry-After"] = str(wait)
                return response
            return view(request, *args, **kwargs)

        return limited

    return decorator
