"""The Jinja2 environment of the portal's own pages (Django's Jinja2 backend, templates in jinja/).

Every page of the portal is a Jinja2 template that extends jinja/base.html. Django templates
remain for the admin and for the templates of the libraries: forms print through
crispy-bootstrap5's own templates, by crispy-forms' public filters (`crispy`, `crispy_field`).
The helpers the templates call are in portal/templating.py.
"""

import functools

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import linebreaksbr
from django.templatetags import static as django_static
from django.utils.translation import get_language
from jinja2 import Environment

from accounts.choices import UnitStatus
from accounts.permissions import UNIT_NOT_APPROVED
from experts import periods
from experts.models import ApplicationStatus
from notice import periods as notice_periods
from portal import deadlines, templating
from portal.dates import chinese_date
from portal.workdays import last_known_year

# Empty forms and fields as printed: key (_printed_key) → HTML (docs/performance.md). A key
# holds each field's printed shape, choices included, so an operator's edit of them makes a new
# entry; the dict is emptied when it grows past UNBOUND_LIMIT rather than kept forever.
UNBOUND_FORMS: dict[tuple, str] = {}
UNBOUND_LIMIT = 256


def _offered(choices) -> tuple:
    """Choices as plain strings (optgroups nested), to be part of a key."""
    return tuple(
        (str(value), _offered(label) if isinstance(label, (list, tuple)) else str(label))
        for value, label in choices
    )


def _shape(field) -> tuple:
    """What of a field an instance's __init__ may set for one person and that the printed
    HTML shows: its class and widget's (a field swapped or hidden), label, help, initial
    value, required and disabled flags, widget attributes and choices. In the key, so that a
    per-person tweak of a form marked `printed_once` prints afresh instead of showing another
    person's (found by a code read: the mark alone vouched for it)."""
    return (
        type(field),
        type(field.widget),
        field.widget.is_hidden,
        str(field.label),
        str(field.help_text),
        repr(field.initial),
        field.required,
        field.disabled,
        tuple(sorted((str(key), str(value)) for key, value in field.widget.attrs.items())),
        _offered(field.choices) if hasattr(field, "choices") else None,
    )


def _printed_key(form, names) -> tuple | None:
    """The key the empty `form`'s fields `names` are remembered under once printed, or None
    when they must be printed afresh: the form is not marked `printed_once`, or holds data
    or initial values."""
    if not getattr(form, "printed_once", False) or form.is_bound or form.initial:
        return None
    if any(callable(form.fields[name].initial) for name in names):
        return None  # a value of the moment (a date, a person's), never one kept
    shapes = tuple((name, _shape(form.fields[name])) for name in names)
    return (type(form), form.prefix, form.auto_id, get_language(), shapes)


def _printed_form_key(form) -> tuple | None:
    key = _printed_key(form, list(form.fields))
    # A whole form prints its fields inside crispy's form layout: never one field's entry.
    return key and ("form", *key)


def _remembered(key, print_) -> str:
    if key is None:
        return print_()
    if key not in UNBOUND_FORMS:
        if len(UNBOUND_FORMS) >= UNBOUND_LIMIT:
            UNBOUND_FORMS.clear()
        UNBOUND_FORMS[key] = print_()
    return UNBOUND_FORMS[key]


def crispy(form) -> str:
    """`{{ crispy(form) }}`: the whole form, as crispy-forms' `{{ form|crispy }}` prints it.

    An empty form of a class marked `printed_once` (its labels, help and widgets the same for
    everyone; its choices may vary, and are part of the key) prints the same every time (the
    CSRF token is outside it, in the page's <form>), so it is printed once per class and
    choices: the detail pages print two on every request. Any other form is printed every
    time: one whose text depends on the person or the object must never show what was
    printed for someone else."""
    return _remembered(_printed_form_key(form), lambda: as_crispy_form(form))


def crispy_field(field) -> str:
    """`{{ crispy_field(form['name']) }}`: one field, as `{{ field|as_crispy_field }}`,
    remembered as `crispy` remembers a form."""
    return _remembered(_printed_key(field.form, [field.name]), lambda: as_crispy_field(field))


@functools.lru_cache(maxsize=256)
def static(path: str) -> str:
    """`{{ static('css/portal.css') }}`: Django's static(), remembered: the manifest storage
    looks the name up on every call, and its answer changes only with the settings."""
    return django_static.static(path)


@receiver(setting_changed)
def forget_static(*, setting, **kwargs):
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES"}:
        static.cache_clear()


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update(
        {
            # The context processor passes them too; as globals they reach the 500 page.
            "PORTAL_NAME": settings.PORTAL_NAME,
            "HELP_LINE": settings.HELP_LINE,
            "BUREAU_NAME": settings.BUREAU_NAME,
            # The footer's link to 专家入库公示, read when a page renders (the setting may change).
            "notice_enabled": notice_periods.enabled,
            "static": static,
            "url": templating.url,
            "field_anchor": templating.field_anchor,
            "nav_link": templating.nav_link,
            "query": templating.query,
            "status_badge": templating.status_badge,
            "may": templating.may,
            "is_overdue": deadlines.is_overdue,
            "is_estimate": deadlines.is_estimate,
            "last_known_year": last_known_year,
            "application_sections": templating.application_sections,
            "mobile_for": templating.mobile_for,
            "crispy": crispy,
            "crispy_field": crispy_field,
            "ApplicationStatus": ApplicationStatus,
            "UnitStatus": UnitStatus,
            "UNIT_NOT_APPROVED": UNIT_NOT_APPROVED,  # 403.html
            # 年度确认's periods, read when a page renders: the figures the pages print.
            "periods": periods,
        }
    )
    env.filters.update(
        {
            "minutes": templating.minutes,
            "day": templating.day,
            "chinese_date": chinese_date,
            "mobile": templating.mobile,
            "masked_mobile": templating.masked_mobile,
            "masked_id_number": templating.masked_id_number,
            "working_days_since": templating.working_days_since,
            "linebreaksbr": linebreaksbr,
        }
    )
    return env
