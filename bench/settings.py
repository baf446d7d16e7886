"""The benchmark's settings: the portal's own, plus the references and a query counter.

Nothing here changes how a portal page is served; `bench.urls` adds the reference pages
beside the portal's own, and `bench.middleware` reports each response's SQL query count.
"""

from portal.settings import *  # noqa: F403
from portal.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# Outermost, so that it counts every query of the request, the session's and user's included.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
