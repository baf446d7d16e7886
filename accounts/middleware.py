"""Session rules of MLPS level 3: absolute lifetime, accounts and units switched off, the
second factor for those who must (or chose to) use one, a password changed when too old or
set by an operator, and agreeing to a changed 个人信息保护说明 (PIPL art. 17).

Only the portal's policy lives here. Sessions, the user and the verified device are Django's
and django-otp's own (SessionMiddleware, AuthenticationMiddleware, OTPMiddleware)."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts.passwords import owes_password_change
from accounts.permissions import requires_second_factor
from portal import privacy

LOGGED_IN_AT = "portal_logged_in_at"
REFRESHED_AT = "portal_refreshed_at"


@receiver(user_logged_in)
def _remember_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGGED_IN_AT] = request.session[REFRESHED_AT] = time.time()


class SessionPolicyMiddleware:
    """Ends a session 12 hours after login however active it was, and at the next request once
    the person's unit has been switched off (Django itself refuses a deactivated user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            reason = self.reason_to_end(request, user)
            if reason:
                logout(request)
                messages.info(request, reason)
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
            now = time.time()
            if now - request.session.get(REFRESHED_AT, 0) >= settings.SESSION_REFRESH_SECONDS:
                # Saving the session pushes its idle expiry SESSION_COOKIE_AGE ahead.
                request.session[REFRESHED_AT] = now
        return self.get_response(request)

    @staticmethod
    def reason_to_end(request, user) -> str:
        logged_in_at = request.session.get(LOGGED_IN_AT)
        if logged_in_at is None or time.time() - logged_in_at > settings.SESSION_ABSOLUTE_SECONDS:
            limit = duration_text(settings.SESSION_ABSOLUTE_SECONDS)
            return f"登录已超过{limit}，为保护您的信息，请重新登录。"
        if user.unit_id and not user.unit.is_active:
            return "您所属的单位账号已停用，如有疑问请致电科技局。"
        return ""


@dataclass(frozen=True)
class OwedStep:
    """A page a signed-in person must go through before any other: `owed(user)` says whether
    they still must, `page` names it, `open` the other pages they may reach meanwhile."""

    owed: Callable
    page: str
    open: frozenset[str]


def owes_second_factor(user) -> bool:
    return not user.is_verified() and requires_second_factor(user)


# In order: a person who owes the second factor enters the code before anything else, so that
# a password change or an agreement is made only by someone really signed in; a password too
# old (or set by an operator) is changed before the notice is read.
OWED_STEPS = (
    OwedStep(owes_second_factor, "accounts:two_factor", frozenset({"accounts:logout"})),
    # MLPS 定期更换 (accounts.passwords.password_change_reason): nothing but 修改密码 and leaving.
    OwedStep(
        owes_password_change,
        "accounts:password_change",
        frozenset(
            {
                "accounts:logout",
                "admin:logout",
                "accounts:password_change_done",
                "healthz",
                "favicon",
            }
        ),
    ),
    # Leaving, reading the notice itself, and securing the account stay open; so does what
    # a monitor or a browser asks of the site on its own.
    OwedStep(
        privacy.owes_agreement,
        "accounts:privacy_agree",
        frozenset(
            {
                "accounts:logout",
                "admin:logout",
                "privacy",
                "accounts:two_factor",
                "accounts:password_change",
                "accounts:password_change_done",
                "healthz",
                "favicon",
            }
        ),
    ),
)


class OwedStepMiddleware:
    """Bureau reviewers and operators (and anyone who enrolled) reach no page but the
    two-factor page until they have entered a code from their authenticator app; then anyone
    whose password is past PASSWORD_MAX_AGE_DAYS, or was set by an operator, reaches no page
    but 修改密码; then anyone whose agreed 个人信息保护说明 is not the current version reaches
    no page but the one that shows it and asks them to agree (PIPL art. 17). Each step sends
    the person back to the page they asked for (`next`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        view_name = request.resolver_match.view_name
        for step in OWED_STEPS:
            if step.owed(user):
                if view_name == step.page or view_name in step.open:
                    return None
                target = reverse(step.page)
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return None


def duration_text(seconds: int) -> str:
    """12小时, 90分钟: a configured length of time as a person reads it."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}小时" if hours and not rest else f"{max(int(seconds) // 60, 1)}分钟"
