from django.conf import settings
from django.utils import timezone

from accounts.permissions import (
    is_applicant,
    is_approved_unit_account,
    is_bureau_reviewer,
    is_unit_account,
    requires_second_factor,
    role_label,
)
from portal.workdays import calendar_status


def portal(request):
    """Who is logged in and in which role: the header and the navigation need it on every page."""
    user = request.user
    if requires_second_factor(user) and not user.is_verified():
        # Until the second factor is entered, no page but the two-factor one opens: offer none.
        return {
            "PORTAL_NAME": settings.PORTAL_NAME,
            "HELP_LINE": settings.HELP_LINE,
            "role": role_label(user),
            "is_bureau": False,
            "is_unit": False,
            "is_approved_unit": False,
            "is_applicant": False,
        }
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "HELP_LINE": settings.HELP_LINE,
        "role": role_label(user),
        "is_bureau": is_bureau_reviewer(user),
        "is_unit": is_unit_account(user),
        "is_approved_unit": is_approved_unit_account(user),
        "is_applicant": is_applicant(user),
    }


def operators(request):
    """Admin pages (the Django-template engine): what operators should know on the index, such
    as the last year the working-day calendar knows."""
    return {"calendar": calendar_status(timezone.localdate())}
