"""The Jinja2 environment for the portal's busiest pages (lists and the applicant's home).

Django's own template language spends about 10 µs on every `{{ }}` it prints (localisation,
escaping, lookups), which on a 25-row list is most of the page's time; Jinja2 compiles a
template to Python and prints the same page in a fraction of that (docs/performance.md).
Forms stay in Django templates, for crispy-forms; the layout they share is in jinja/layout/
and reaches Django templates through `{% jinja %}` (experts/templatetags/portal.py).
"""

import functools

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import linebreaksbr
from django.templatetags import static as django_static
from jinja2 import Environment

from accounts.choices import UnitStatus
from experts.models import ApplicationStatus
from experts.templatetags import portal as tags

# Unbound forms without initial data print the same every time: (class, prefix, auto_id) → HTML.
_UNBOUND_FORMS: dict[tuple, str] = {}


def crispy(form) -> str:
    """`{{ crispy(form) }}`: crispy-forms' `|crispy`. It prints through Django templates, 1.5 ms
    for the two one-field forms of a detail page, so an empty form is printed once per class:
    nothing of the request is in it (the CSRF token is outside, in the page's <form>)."""
    if form.is_bound or form.initial:
        return as_crispy_form(form)
    key = (type(form), form.prefix, form.auto_id)
    if key not in _UNBOUND_FORMS:
        _UNBOUND_FORMS[key] = as_crispy_form(form)
    return _UNBOUND_FORMS[key]


@functools.lru_cache(maxsize=256)
def static(path: str) -> str:
    """`{{ static('css/portal.css') }}`: Django's static(), remembered. The manifest storage
    looks the name up and quotes it on every call (40 µs, four on every page); its answer
    changes only with the settings."""
    return django_static.static(path)


@receiver(setting_changed)
def _forget_static(*, setting, **kwargs):
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES"}:
        static.cache_clear()


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update(
        {
            "static": static,
            "url": tags.url,
            "nav_link": tags.nav_link_html,
            "query": tags.query_string,
            "status_badge": tags.status_badge,
            "may": tags.may,
            "application_sections": tags.application_sections,
            "crispy": crispy,
            "ApplicationStatus": ApplicationStatus,
            "UnitStatus": UnitStatus,
        }
    )
    env.filters.update(
        {
            "minutes": tags.minutes,
            "day": tags.day,
            "masked_mobile": tags.masked_mobile,
            "working_days_since": tags.working_days_since,
            "linebreaksbr": linebreaksbr,
        }
    )
    return env
