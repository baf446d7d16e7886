"""A per-address limit on the 证书查验 page's lookups, counted in Django's default cache.

A fixed window: at most CERTIFICATE_VERIFY_LIMIT lookups in each CERTIFICATE_VERIFY_WINDOW
seconds from one address. Codes carry 59 random bits, so the limit is not what stops guessing;
it stops a script from using the page as a directory. With one cache per process (the default
local-memory cache) each worker counts for itself: a shared cache makes the limit exact."""

import time

from django.conf import settings

from portal.caching import cache
from portal.network import client_ip

PREFIX = "certificate-verify"


def seconds_to_wait(request) -> int:
    """Count this lookup; 0 if it may go ahead, else the seconds until the window ends."""
    window = settings.CERTIFICATE_VERIFY_WINDOW
    now = time.time()
    start = int(now // window) * window
    key = f"{PREFIX}:{client_ip(request)}:{start}"
    cache.add(key, 0, window, if_unreachable=False)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this lookup starts a new window
        cache.add(key, 1, window, if_unreachable=False)
        count = 1
    # A cache that does not answer counts nothing: lookups go ahead (fails open). The codes'
    # 59 random bits are what stops guessing; the limit only slows a script reading the page
    # as a directory, which matters less than the page answering while the cache is down.
    if count is None or count <= settings.CERTIFICATE_VERIFY_LIMIT:
        return 0
    return max(1, int(start + window - now))
