"""登录失败处理 (MLPS level 3): three rules, none of which an outsider can aim at a whole office.

1. A username at one address: 5 failures lock that pair for 30 minutes. django-axes keeps this
   count (AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]); the same account from another
   address, and other accounts from this address, still work.
2. A username everywhere: 20 failures within an hour, from any addresses, lock the username for
   an hour. Its owner gets one SMS (at most one an hour); a password reset or an operator unlocks.
3. An address: more than 100 failures within an hour, over any usernames, slow it down. Each
   further attempt must wait a few seconds (growing with further failures, at most a minute)
   after the address's last failure; it is never locked for everyone behind it.

Each rule counts a username by its lockout_key, whatever its case: logging in finds an account
whatever the case typed, so Phonewalk and PHONEWALK are one account's attempts, not fresh ones.

`login_gate` applies the rules before a password or code is checked, so a refused attempt is
not a failure: it does not extend a lock, and a slowed address is not slowed further by the
attempts it was refused. docs/security.md explains the choice of rules.
"""

import datetime
import functools
import math
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Count, Max
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from accounts.models import AccountLock, LoginFailure
from audit.log import record
from audit.models import AuditEvent
from portal.network import client_ip
from sms import templates
from sms.outbox import queue_sms

ACCOUNT_FAILURE_LIMIT = 20
ACCOUNT_WINDOW = datetime.timedelta(hours=1)
ACCOUNT_LOCK = datetime.timedelta(hours=1)
ACCOUNT_NOTICE_INTERVAL = datetime.timedelta(hours=1)
ADDRESS_FAILURE_LIMIT = 100
ADDRESS_WINDOW = datetime.timedelta(hours=1)
ADDRESS_MAX_DELAY = 60  # seconds
# Failures older than this count for no rule; the audit log keeps them for MLPS.
KEEP_FAILURES = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before its password or code is checked."""

    PAIR = "pair"  # this username from this address
    ACCOUNT = "account"  # this username everywhere
    ADDRESS = "address"  # this address, slowed

    kind: str
    until: datetime.datetime

    @property
    def retry_after(self) -> int:
        """Whole seconds until the refusal ends, for the Retry-After header."""
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))


def lockout_key(username: str) -> str:
    """What a username's failures and locks are kept under: the name in lower case, as
    logging in finds an account whatever the case typed (PortalUserManager.get_by_natural_key).
    A NUL can be in no username, and PostgreSQL refuses it in a query."""
    return str(username or "").replace("\x00", "")[:150].lower()


def axes_username(request, credentials=None) -> str:
    """AXES_USERNAME_CALLABLE: django-axes counts a username at one address under the same key
    as the other rules, so changing the case of a name gets no fresh attempts there either."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        return lockout_key(credentials.get(field, ""))
    return lockout_key(getattr(request, "data", request.POST).get(field, ""))


def username_of(request, *, own: bool = False) -> str:
    """The lockout_key of the username an attempt is for: the login form's field, or the
    signed-in person's own where there is no such field. `own`: a page of the signed-in person
    (the second factor, 修改密码), whose attempts are always their own, whatever else the POST
    carries: a posted username there would have the locks of someone else checked."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if request.user.is_authenticated and (own or field not in request.POST):
        return lockout_key(request.user.get_username())
    return lockout_key(request.POST.get(field, ""))


def address_delay(failures: int) -> int:
    """Seconds an address must wait after its last failure: 1, 2, 4 … past the limit, at most
    a minute."""
    over = failures - ADDRESS_FAILURE_LIMIT
    return 0 if over <= 0 else min(ADDRESS_MAX_DELAY, 2 ** min(over - 1, 6))


def refusal(request, username: str) -> Refusal | None:
    """The rule that refuses this attempt, if one does: the account's lock first (it is the
    widest), then the pair's, then the address's delay."""
    now = timezone.now()
    lock = AccountLock.objects.filter(username=username, until__gt=now).first()
    if lock is not None:
        return Refusal(Refusal.ACCOUNT, lock.until)
    ip = client_ip(request) or None
    if AxesProxyHandler.is_locked(request, {settings.AXES_USERNAME_FORM_FIELD: username}):
        return Refusal(Refusal.PAIR, pair_lock_ends(username, ip))
    recent = LoginFailure.objects.filter(ip=ip, at__gte=now - ADDRESS_WINDOW).aggregate(
        count=Count("pk"), last=Max("at")
    )
    delay = address_delay(recent["count"])
    if delay and recent["last"] + datetime.timedelta(seconds=delay) > now:
        return Refusal(Refusal.ADDRESS, recent["last"] + datetime.timedelta(seconds=delay))
    return None


def pair_lock_ends(username: str, ip: str | None) -> datetime.datetime:
    """django-axes' cool-off runs from the pair's last recorded failure."""
    last = AccessAttempt.objects.filter(username=lockout_key(username), ip_address=ip).aggregate(
        last=Max("attempt_time")
    )["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def refused_page(request, refusal: Refusal):
    """The 429 page: which lock, until when, and how to get in sooner. It reads the same for a
    username that does not exist."""
    until = timezone.localtime(refusal.until)
    response = render(
        request,
        "accounts/locked_out.html",
        {
            "refusal": refusal,
            "until": until,
            # A slowed address waits seconds: the page names the next whole minute, so that
            # a person who tries at the time read never meets the page again.
            "next_minute": until.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1),
            "pair_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "pair_limit": settings.AXES_FAILURE_LIMIT,
            "account_limit": ACCOUNT_FAILURE_LIMIT,
        },
        status=429,
    )
    response["Retry-After"] = str(refusal.retry_after)
    return response


def login_gate(view=None, *, ends_session: bool = False):
    """Refuse a POST (a password or a code) that a rule refuses, before the view checks it.
    `ends_session`: a page of the signed-in person (the second factor, 修改密码): the attempt is
    theirs, and a refusal also logs them out (MLPS 登录失败处理: end the session)."""
    if view is None:
        return functools.partial(login_gate, ends_session=ends_session)

    @functools.wraps(view)
    def gated(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        username = username_of(request, own=ends_session)
        found = refusal(request, username)
        if found is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response  # signed in, or on to the next step
            # This failure may have been the one that locked the account: say so now, not at
            # the next attempt (the pair's fifth is django-axes' to answer, in its middleware).
            lock = AccountLock.objects.filter(username=username, until__gt=timezone.now())
            lock = lock.first()
            if lock is None:
                return response
            found = Refusal(Refusal.ACCOUNT, lock.until)
        if ends_session:
            logout(request)
        return refused_page(request, found)

    return gated


@receiver(user_login_failed)
def count_failure(sender, credentials, request=None, **kwargs):
    """Every checked and failed password or code counts for rules 2 and 3."""
    if request is None:
        return
    now = timezone.now()
    username = lockout_key(credentials.get(settings.AXES_USERNAME_FORM_FIELD, ""))
    LoginFailure.objects.create(username=username, ip=client_ip(request) or None, at=now)
    LoginFailure.objects.filter(at__lt=now - KEEP_FAILURES).delete()
    failures = LoginFailure.objects.filter(username=username, at__gte=now - ACCOUNT_WINDOW)
    if failures.count() >= ACCOUNT_FAILURE_LIMIT:
        lock_account(username, now)


def lock_account(username: str, now: datetime.datetime) -> AccountLock:
    """Lock the username (a lockout_key) everywhere for ACCOUNT_LOCK, tell its owner (once an
    hour), audit it."""
    with transaction.atomic():
        lock, _ = AccountLock.objects.select_for_update().get_or_create(
            username=username, defaults={"locked_at": now, "until": now + ACCOUNT_LOCK}
        )
        if lock.until <= now:
            lock.locked_at = now
        lock.until = now + ACCOUNT_LOCK
        notify = lock.notified_at is None or lock.notified_at <= now - ACCOUNT_NOTICE_INTERVAL
        owner = owner_of(username) if notify else None
        mobile = owners_mobile(owner) if owner is not None else ""
        if mobile:
            lock.notified_at = now
            until = timezone.localtime(lock.until)
            queue_sms(
                mobile,
                templates.ACCOUNT_LOCKED,
                {
                    "username": owner.get_username(),
                    "until": f"{until:%H:%M}",
                    "help_line": settings.HELP_LINE,
                },
                # Whose it is (我的个人信息 lists a person's SMS by what they are about).
                about=owner,
            )
        lock.save()
        record(
            AuditEvent.Action.LOCKED_OUT,
            username=username,
            result=AuditEvent.Result.FAILURE,
            detail=f"1小时内多地登录失败{ACCOUNT_FAILURE_LIMIT}次，账号锁定至"
            f"{timezone.localtime(lock.until):%Y-%m-%d %H:%M}",
        )
    return lock


def owner_of(username: str):
    """The account a login under this username would reach, or None for a username nobody has
    (nothing is sent, and the page says the same)."""
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist:
        return None


def owners_mobile(user) -> str:
    """The number the account's owner reads: their own, or for a unit's account its contact's."""
    if user.mobile:
        return user.mobile
    return user.unit.contact_mobile if user.unit_id else ""


def unlock(username: str, *, why: str, request=None) -> bool:
    """End every lock on the username (its account lock and its pairs) and forget its failures;
    audited. Returns whether anything was locked."""
    username = lockout_key(username)
    now = timezone.now()
    with transaction.atomic():
        ended = AccountLock.objects.filter(username=username, until__gt=now).update(until=now)
        LoginFailure.objects.filter(username=username).delete()
        pairs = AccessAttempt.objects.filter(username=username).delete()[0]
        if ended or pairs:
            record(
                AuditEvent.Action.UNLOCKED,
                request=request,
                username=username,
                detail=f"{why}：解除账号{username}的登录锁定",
            )
    return bool(ended or pairs)
