from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.dormant import dormant_staff
from accounts.permissions import (
    is_applicant,
    is_approved_unit_account,
    is_bureau_reviewer,
    is_unit_account,
    requires_second_factor,
    role_label,
)
from audit.separation import mixed_duties
from portal.triggers import trigger_state
from portal.workdays import calendar_status

# Internet Explorer, and the IE engine that 360, QQ and Sogou browsers use in 兼容模式 (many
# government PCs default to it), announce themselves so. The pages need a current engine
# (Bootstrap 5, ES2017): base.html asks those browsers for theirs (<meta name="renderer">), and
# says how to switch when a page still arrives in the old one.
LEGACY_ENGINES = ("Trident/", "MSIE ")


def legacy_browser(request) -> bool:
    """Whether the page is being read by Internet Explorer's engine."""
    agent = request.headers.get("User-Agent", "")
    return any(engine in agent for engine in LEGACY_ENGINES)


def portal(request):
    """Who is logged in and in which role: the header and the navigation need it on every page.

    An error page may be rendered for a request refused before AuthenticationMiddleware ran (a
    Host not in ALLOWED_HOSTS, a missing static file): it has no `user`, and is a visitor's
    page, as django.contrib.auth's own context processor treats it."""
    user = getattr(request, "user", None)
    if user is None:
        user = AnonymousUser()
    if requires_second_factor(user) and not user.is_verified():
        # Until the second factor is entered, no page but the two-factor one opens: offer none.
        return {
            "PORTAL_NAME": settings.PORTAL_NAME,
            "HELP_LINE": settings.HELP_LINE,
            "BUREAU_NAME": settings.BUREAU_NAME,
            "role": role_label(user),
            "is_bureau": False,
            "is_unit": False,
            "is_approved_unit": False,
            "is_applicant": False,
            "second_factor_pending": True,
            "legacy_browser": legacy_browser(request),
        }
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "HELP_LINE": settings.HELP_LINE,
        "BUREAU_NAME": settings.BUREAU_NAME,
        "role": role_label(user),
        "is_bureau": is_bureau_reviewer(user),
        "is_unit": is_unit_account(user),
        "is_approved_unit": is_approved_unit_account(user),
        "is_applicant": is_applicant(user),
        "second_factor_pending": False,
        "legacy_browser": legacy_browser(request),
    }


def operators(request):
    """Admin pages (the Django-template engine): what operators should know on the index, such
    as the last year the working-day calendar knows, and whether the append-only tables'
    triggers are all installed and enabled, and which accounts hold more than one of 三员分立's
    duties (audit.separation), and which staff accounts nobody has used for 90 days
    (accounts.dormant). Those three are passed uncalled: the template calls them where
    they are read (the index only), so that no other admin page pays their queries."""
    return {
        "calendar": calendar_status(timezone.localdate()),
        "protection": trigger_state,
        "mixed_duties": mixed_duties,
        "dormant_staff": dormant_staff,
    }
