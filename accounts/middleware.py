"""Session rules of MLPS level 3: absolute lifetime, accounts and units switched off, and the
second factor for those who must (or chose to) use one."""

import time

import django_otp.middleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.db import router
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.permissions import requires_second_factor
from portal import rows

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
            reason = self._reason_to_end(request, user)
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
    def _reason_to_end(request, user) -> str:
        logged_in_at = request.session.get(LOGGED_IN_AT)
        if logged_in_at is None or time.time() - logged_in_at > settings.SESSION_ABSOLUTE_SECONDS:
            return "登录已超过12小时，为保护您的信息，请重新登录。"
        if user.unit_id and not user.unit.is_active:
            return "您所属的单位账号已停用，如有疑问请致电科技局。"
        return ""


# Pages a person who still owes the second factor may open.
SECOND_FACTOR_OPEN = {"accounts:two_factor", "accounts:logout"}


class SecondFactorMiddleware:
    """Bureau reviewers and operators (and anyone who enrolled) reach no page but the
    two-factor page until they have entered a code from their authenticator app."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if not requires_second_factor(user):
            return None
        if request.resolver_match.view_name in SECOND_FACTOR_OPEN:
            return None
        target = reverse("accounts:two_factor")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class OTPMiddleware(django_otp.middleware.OTPMiddleware):
    """django-otp's middleware, taking the session's authenticator from the user's own query
    (accounts.backends.PortalBackend) when it is the one that query brought, or else reading it
    with one plain query (the ORM's took 0.5 ms of Python a request, profiled under the
    benchmark). The user binding, the confirmed check and the session clean-up stay
    django-otp's (_finalize_device)."""

    def _verify_user_sync(self, request, user):
        # django-otp's own, but for where the device comes from, and returning the user
        # itself instead of the authentication middleware's lazy stand-in: every read of
        # request.user, a few hundred a page, went through both stand-ins.
        if isinstance(user, LazyObject):
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = self._device_of(user, persistent_id) if persistent_id else None
            user.otp_device = self._finalize_device(request, user, device)
        return user

    def _device_of(self, user, persistent_id: str):
        device = getattr(user, "_totp_device", None)
        if device is not None and self._normalize_persistent_id(persistent_id) == (
            device.persistent_id
        ):
            return device
        return self._device_from_persistent_id(persistent_id)

    def _device_from_persistent_id(self, persistent_id: str):
        persistent_id = self._normalize_persistent_id(persistent_id)
        label, _, pk = persistent_id.rpartition("/")
        if label != TOTPDevice.model_label() or not pk.isascii() or not pk.isdigit():
            return super()._device_from_persistent_id(persistent_id)
        if not 0 < int(pk) < 2**63:  # no such row, and SQLite refuses larger numbers
            return None
        return rows.one(TOTPDevice, "id", int(pk), router.db_for_read(TOTPDevice))
