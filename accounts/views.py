import math
from base64 import b32encode
from pathlib import PurePath

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
)
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_otp import login as otp_login

from accounts import lockout, passwords, services
from accounts.filters import UnitFilter
from accounts.forms import (
    MAIL_NOT_SENT,
    IndividualRegistrationForm,
    LoginForm,
    MailNotSent,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    TwoFactorForm,
    UnitDetailsForm,
    UnitProfileForm,
    UnitReasonForm,
    UnitRegistrationForm,
)
from accounts.models import Authenticator, Unit, UnitStatus
from accounts.permissions import (
    is_approved_unit_account,
    is_bureau_reviewer,
    is_unit_account,
    second_factor_by_role,
)
from accounts.selectors import QUEUE_COLUMNS, units_for
from audit.log import record
from audit.models import AuditEvent
from portal import privacy, ratelimit, uploads
from portal.network import client_ip
from portal.transitions import Action, decisions, empty_forms
from portal.views import list_page, perform, posted, role_required, safe_next, search_term
from portal.workflow import WorkflowError


class PortalLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        notice = passwords.expiry_notice(form.get_user())
        if notice:
            messages.warning(self.request, notice)
        return response

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "unit_inactive"):
            # The right password, refused because the unit is switched off: no failure to count
            # (nothing was guessed), but a login attempt the trail must show.
            record(
                AuditEvent.Action.LOGIN_FAILED,
                request=self.request,
                actor=form.get_user(),
                result=AuditEvent.Result.FAILURE,
                detail="密码正确，所属单位账号已停用，拒绝登录",
            )
        return super().form_invalid(form)


class PortalPasswordChangeView(PasswordChangeView):
    """修改密码. Its 旧密码 is a password check that a session makes possible without the login
    page: a wrong one is a failed login of the account, under the same rules (accounts.lockout,
    applied by login_gate in accounts/urls.py) and audited as one, so an unattended session is
    no unlimited oracle for the current password."""

    form_class = PortalPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_context_data(self, **kwargs):
        # Where an applicant or a unit finds the voluntary second factor.
        user = self.request.user
        offer = not second_factor_by_role(user) and not user.has_confirmed_device
        return super().get_context_data(
            **kwargs, offer_two_factor=offer, owed_reason=passwords.password_change_reason(user)
        )

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            user_login_failed.send(
                sender=__name__,
                credentials={settings.AXES_USERNAME_FORM_FIELD: self.request.user.get_username()},
                request=self.request,
                detail="修改密码时旧密码不正确",
            )
        return super().form_invalid(form)

    def form_valid(self, form):
        user = self.request.user
        # Why, read before the new password resets the age and the operator's flag.
        if user.password_must_change:
            why = "运维人员设置的密码，按要求修改"
        elif passwords.password_expired(user):
            why = f"密码已使用超过{settings.PASSWORD_MAX_AGE_DAYS}天，按要求修改"
        else:
            why = "本人修改密码"
        # The new password and its audit row commit together: no change the trail misses.
        with transaction.atomic():
            response = super().form_valid(form)
            record(AuditEvent.Action.PASSWORD_CHANGED, request=self.request, obj=user, detail=why)
        # Sent here as an owed step (OwedStepMiddleware): on to the page they asked for.
        next_url = safe_next(self.request)
        if next_url:
            messages.success(self.request, "密码已修改，下次登录请使用新密码。")
            return redirect(next_url)
        return response


class PortalPasswordResetView(PasswordResetView):
    """找回密码. When the mail server does not take the mail, the form again with why and whom to
    ask (503), not Django's page saying a mail went out: the same for a known address and an
    unknown one (PortalPasswordResetForm.save)."""

    form_class = PortalPasswordResetForm

    def form_valid(self, form):
        # Counted only for a valid post, the one that reaches the mail server; the address
        # typed stays in the form.
        wait = ratelimit.over_limit(
            "password-reset",
            client_ip(self.request) or "unknown",
            settings.PASSWORD_RESET_RATE_LIMIT,
        )
        if wait:
            form.add_error(None, f"找回密码的请求过于频繁，请{wait}秒后再试。")
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        try:
            response = super().form_valid(form)
        except MailNotSent:
            record(
                AuditEvent.Action.PASSWORD_RESET_REQUEST,
                request=self.request,
                result=AuditEvent.Result.FAILURE,
                detail="邮件服务暂时不可用，未发送（所填电子邮箱不记录）",
            )
            form.add_error(None, MAIL_NOT_SENT)
            return self.render_to_response(self.get_context_data(form=form), status=503)
        self.record_request(form)
        return response

    def record_request(self, form) -> None:
        """The trail's rows for a request that reached the mail server: one per account the
        address belongs to (the account named, never the address), or one saying there was
        none. The page reads the same either way; only the trail tells them apart, and it
        keeps no address of a stranger (someone's typo, or a list tried one by one)."""
        if not form.outcomes:
            record(
                AuditEvent.Action.PASSWORD_RESET_REQUEST,
                request=self.request,
                result=AuditEvent.Result.FAILURE,
                detail="所填电子邮箱没有对应的有效账号，未发送（所填电子邮箱不记录）",
            )
        for user, sent, said in form.outcomes:
            record(
                AuditEvent.Action.PASSWORD_RESET_REQUEST,
                request=self.request,
                obj=user,
                username=user.get_username(),
                result=AuditEvent.Result.SUCCESS if sent else AuditEvent.Result.FAILURE,
                detail=said,
            )


class PortalPasswordResetConfirmView(PasswordResetConfirmView):
    """The owner proved they hold the account's e-mail: a new password also ends its locks."""

    form_class = PortalSetPasswordForm

    def get_user(self, uidb64):
        """Django's, but no password is set through a link for an account switched off since
        the mail went out, or of a 停用 unit: its page says the link is no longer valid. Such
        an account cannot sign in, and whoever set its password would hold it when it is
        switched on again (an imported unit's account above all: the bureau may have switched
        the unit off because its imported address was wrong)."""
        user = super().get_user(uidb64)
        if user is None or not user.is_active:
            return None
        if user.unit_id is not None and not user.unit.is_active:
            return None
        return user

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            record(
                AuditEvent.Action.PASSWORD_RESET,
                request=self.request,
                actor=form.user,
                obj=form.user,
                detail="通过找回密码邮件中的链接重设密码",
            )
        lockout.unlock(form.user.get_username(), why="本人找回密码", request=self.request)
        return response


def register_choice(request):
    """用户注册: choose 新用户注册：单位 or 新用户注册：个人."""
    return render(request, "accounts/register_choice.html")


def sign_in_new_account(request, user) -> None:
    """Both registrations end signed in: a person who has just chosen a password expects to be
    in, and typing it again at once proves nothing more. ModelBackend is named because the form
    has just checked the new password itself (django.contrib.auth.login needs a backend when
    several are configured). The second factor is not bypassed: OwedStepMiddleware asks
    requires_second_factor on every request, not at login, so anyone it holds meets the
    two-factor page first (a new account is neither a reviewer nor has a device, so in
    practice it lets them through)."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")


def register_unit(request):
    """新用户注册：单位."""
    form = UnitRegistrationForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_unit(
                form.save(commit=False),
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                privacy_notice=form.agreed_notice_version(),
            )
        except services.ScanNotSaved as error:
            # Nothing was saved: the page again, with all that was typed.
            form.add_error("licence", str(error))
        except IntegrityError:
            # Someone registered the same username or code between the form's check and now.
            form.add_error(None, "该用户名或统一社会信用代码刚刚已被注册，请检查后重新提交。")
        else:
            sign_in_new_account(request, user)
            # No message: the unit's home says once, in its 待审核 box, that the registration
            # went to the bureau and how the contact hears back (a message here repeated it).
            return redirect("accounts:unit_home")
    form.ask_to_reenter()
    return render(request, "accounts/register_unit.html", {"form": form})


def register_individual(request):
    """新用户注册：个人, under an approved unit."""
    form = IndividualRegistrationForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.username = form.cleaned_data["username"]
        try:
            services.register_individual(
                user,
                password=form.cleaned_data["password1"],
                privacy_notice=form.agreed_notice_version(),
            )
        except WorkflowError as error:
            form.add_error("unit", str(error))
        except IntegrityError:
            form.add_error(None, "该用户名或证件号码刚刚已被注册，请检查后重新提交。")
        else:
            sign_in_new_account(request, user)
            # Only that it worked: the home page itself says what to do next.
            messages.success(request, "注册成功，您已登录。")
            return redirect("experts:home")
    form.ask_to_reenter()
    return render(request, "accounts/register_individual.html", {"form": form})


@require_GET
def unit_search(request):
    """Approved units matching a name or credit code, for the 所属单位 search box."""
    query = search_term(request)
    units = Unit.objects.open_to_people()
    if query:
        units = units.filter(name__icontains=query) | units.filter(
            credit_code__startswith=query.upper()
        )
    results = [
        {"id": pk, "name": name}
        for pk, name in units.order_by("name").values_list("pk", "name")[:20]
    ]
    return JsonResponse({"results": results})


@role_required(is_unit_account)
def unit_home(request):
    """The unit account's start page: its registration status, and what to do next."""
    unit = request.user.unit
    return render(
        request, "accounts/unit_home.html", {"unit": unit, "reason": _rejection_reason(unit)}
    )


def _rejection_reason(unit) -> str | None:
    """Why the bureau said 未通过 (None: the unit is not 未通过)."""
    if unit.status != UnitStatus.REJECTED:
        return None
    last = unit.history.filter(to_status=UnitStatus.REJECTED).last()
    return last.comment if last else ""


def saved(request, form, service, success: str) -> bool:
    """Whether a POSTed unit form was valid and `service(unit, actor, changed_fields)` took it
    (the person is told either way: portal.views.perform)."""
    return (
        request.method == "POST"
        and form.is_valid()
        and perform(
            request, service, form.instance, request.user, form.changed_data, success=success
        )
    )


@role_required(is_unit_account)
def unit_resubmit(request):
    """A 未通过 unit corrects its details and submits them for review again."""
    unit = request.user.unit
    if unit.status != UnitStatus.REJECTED:
        # Opened again (the back button after 重新提交): nothing to say but the state. Sent
        # from a stale page: what it carried was not saved.
        state = f"单位注册状态为“{unit.get_status_display()}”，无需重新提交"
        if request.method == "POST":
            messages.error(request, f"{state}，所填修改未保存。")
        else:
            messages.info(request, f"{state}。")
        return redirect("accounts:unit_home")
    form = UnitDetailsForm(*posted(request), instance=unit)
    if saved(request, form, services.resubmit_unit, "已重新提交，请等待科技局审核。"):
        return redirect("accounts:unit_home")
    form.ask_to_reenter()
    context = {"form": form, "unit": unit, "reason": _rejection_reason(unit)}
    return render(request, "accounts/unit_resubmit.html", context)


@role_required(is_approved_unit_account)
def unit_profile(request):
    """信息更改: the approved unit completes its details and saves (保存)."""
    unit = request.user.unit
    form = UnitProfileForm(*posted(request), instance=unit)
    if saved(request, form, services.update_unit_profile, "单位信息已保存。"):
        return redirect("accounts:unit_profile")
    return render(request, "accounts/unit_profile.html", {"form": form, "unit": unit})


@login_required
def licence_download(request, pk):
    """The licence scan, only to the unit itself and bureau reviewers; never a public URL."""
    unit = get_object_or_404(units_for(request.user), pk=pk)
    if not unit.licence:
        # A unit imported from the previous system (import_units) has none.
        raise Http404("该单位由原专家库管理系统转入，没有扫描件。")
    suffix = PurePath(unit.licence.name).suffix.lower()
    response = uploads.scan_response(
        unit.licence,
        filename=f"licence-{unit.credit_code}{suffix}",
        missing="扫描件文件不存在，请联系科技局。",
    )
    record(AuditEvent.Action.LICENCE_DOWNLOAD, request=request, obj=unit)
    return response


@role_required(is_bureau_reviewer)
def bureau_unit_queue(request):
    """单位注册审核: 待审核 units oldest first; other statuses through the tabs."""
    context = list_page(
        request,
        units_for(request.user),
        UnitFilter,
        default_status=UnitStatus.PENDING,
        order_by=["submitted_at", "pk"],
        shown=lambda units: units.only(*QUEUE_COLUMNS),
    )
    return render(request, "accounts/bureau_unit_queue.html", context)


# 单位注册审核's decisions, done by portal.transitions.TransitionView: adding one is a row
# here and a URL (accounts/urls.py).
UNIT_DECISIONS = {
    "approve": Action(
        is_bureau_reviewer,
        forms.Form,  # nothing to fill in
        services.approve_unit,
        "已通过“{obj.name}”的注册申请，短信通知将在几秒内发给联系人。",
    ),
    "reject": Action(
        is_bureau_reviewer,
        UnitReasonForm,
        services.reject_unit,
        "已将“{obj.name}”的注册申请设为审核不通过，短信通知将在几秒内发给联系人。",
    ),
}


def _unit_detail(request, unit, posted=None, status=200):
    """The unit's page for the bureau; `posted` has the decisions' forms sent back with errors."""
    return render(
        request,
        "accounts/bureau_unit_detail.html",
        {
            "unit": unit,
            "history": unit.history.with_actors(),
            "show_actor_names": True,
            "forms": empty_forms(UNIT_DECISIONS) | (posted or {}),
        },
        status=status,
    )


@role_required(is_bureau_reviewer)
def bureau_unit_detail(request, pk):
    return _unit_detail(request, get_object_or_404(units_for(request.user), pk=pk))


# POST only; the action comes from the URL.
bureau_unit_decide = decisions(
    UNIT_DECISIONS, units_for, _unit_detail, "accounts:bureau_unit_detail"
)


@login_required
def privacy_agree(request):
    """个人信息保护说明 again, for a signed-in person who has not agreed to its current version
    (it changed, or their account is older than it): what changed, the notice, and
    我已阅读并同意, which records the agreement and goes on to the page they asked for."""
    next_url = safe_next(request)
    user = request.user
    if not privacy.owes_agreement(user):
        return redirect(next_url or "home")
    if request.method == "POST":
        services.agree_to_current_notice(user)
        messages.success(request, "已记录您同意本版《个人信息保护说明》。")
        return redirect(next_url or "home")
    context = {
        "title": privacy.NOTICE_TITLE,
        "f": privacy.facts(),
        "agreed_version": user.privacy_notice_version,
        "changes": privacy.changes_since(user.privacy_notice_version),
        "next": next_url,
    }
    return render(request, "accounts/privacy_agree.html", context)


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes: the failure just now was this username's fifth from this address."""
    username = str((credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD, ""))
    if request.user.is_authenticated:
        # A wrong second-factor code: the session ends with the lock (MLPS 登录失败处理).
        username = request.user.get_username()
        logout(request)
    ends = lockout.pair_lock_ends(username, client_ip(request) or None)
    return lockout.refused_page(request, lockout.Refusal(lockout.Refusal.PAIR, ends))


@login_required
@lockout.login_gate(ends_session=True)
def two_factor(request):
    """两步验证: enrol an authenticator app (QR code) or enter its current code."""
    device = Authenticator.objects.filter(user=request.user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        # The same QR code on every visit until a code confirms it: made once, under the
        # account's row lock, so two first visits at once (two tabs) show the same one. Any
        # older extra (made before this lock) is left unshown: the oldest is the one shown.
        with transaction.atomic():
            accounts = get_user_model().objects.select_for_update().filter(pk=request.user.pk)
            list(accounts.values_list("pk", flat=True))
            unconfirmed = Authenticator.objects.filter(user=request.user, confirmed=False)
            device = unconfirmed.order_by("pk").first() or Authenticator.objects.create(
                user=request.user, confirmed=False, name="身份验证器"
            )
    form = TwoFactorForm(*posted(request)[:1])
    next_url = safe_next(request)
    # django-otp makes a device wait 1, 2, 4 … seconds after each wrong code; a code sent within
    # that wait is refused whether right or not. Said so, and not counted as another failure.
    allowed, throttled = device.verify_is_allowed()
    if request.method == "POST" and form.is_valid() and not allowed:
        until = throttled.get("locked_until") or timezone.now()
        wait = math.ceil((until - timezone.now()).total_seconds())
        form.add_error(
            "code",
            f"上一次验证码不正确，请等待{max(wait, 1)}秒后再输入当前验证码（本次未作为错误计数）。",
        )
    elif request.method == "POST" and form.is_valid():
        # verify_token refuses a code that was already used, and throttles repeated failures.
        if device.verify_token(form.cleaned_data["code"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            if enrolling and not second_factor_by_role(request.user):
                # Signed in already (登录成功 at the password): a choice of their own.
                record(AuditEvent.Action.DEVICE_BOUND, request=request, detail="自愿绑定")
            else:
                # The password step was recorded as 密码验证通过 (audit.signals): only now is
                # the person signed in.
                record(
                    AuditEvent.Action.LOGIN,
                    request=request,
                    detail="绑定身份验证器，两步验证通过" if enrolling else "两步验证通过",
                )
            messages.success(request, "两步验证已完成。" if not enrolling else "已绑定身份验证器。")
            return redirect(next_url or "home")
        # A wrong code is a failed login, for the same rules as a wrong password: django-axes
        # counts it for this address, accounts.lockout for the account and the address.
        user_login_failed.send(
            sender=__name__,
            credentials={settings.AXES_USERNAME_FORM_FIELD: request.user.get_username()},
            request=request,
            detail="两步验证码不正确",
        )
        form.add_error("code", "验证码不正确或已使用过，请等待身份验证器显示新的验证码后重试。")
    context = {
        "form": form,
        "enrolling": enrolling,
        "next": next_url,
        "voluntary": not second_factor_by_role(request.user),
    }
    if enrolling:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
        context["secret"] = b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor.html", context)
