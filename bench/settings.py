"""The benchmark's settings: the portal's own, plus the references and a query counter.

Nothing here changes how a portal page is served; `bench.urls` adds the reference pages
beside the portal's own, and `bench.middleware` reports each response's SQL query count.
"""

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, INSTALLED_APPS, MIDDLEWARE, TEMPLATES

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# Outermost, so that it counts every query of the request, the session's and user's included.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
# The raw list is a bare template on the engine the portal's lists use (portal/jinja2.py).
TEMPLATES = [
    {**engine, "DIRS": [*engine["DIRS"], BASE_DIR / "bench" / "jinja"]}
    if engine["BACKEND"] == "django.template.backends.jinja2.Jinja2"
    else engine
    for engine in TEMPLATES
]
