import contextlib
import re

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.auth import password_validation
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout, services, signals
from accounts.choices import IdType, UnitStatus, UserKind
from accounts.forms import PASSWORD_MISMATCH, UnitAdminForm
from accounts.models import (
    AccountLock,
    Authenticator,
    Blacklist,
    LoginAttempt,
    LoginLog,
    Unit,
    UnitTransition,
    User,
)
from accounts.passwords import NotTheCurrentPasswordValidator, RecentPasswordsValidator
from accounts.permissions import BUREAU_GROUP
from accounts.validators import clean_mobile, display_mobile, mask, mask_id_number
from portal.admin import (
    ChinesePermissionsMixin,
    HistoryAdmin,
    HistoryInline,
    OldAndNewChangeMessageMixin,
    PersonalDataAdminMixin,
    ReadOnlyAdmin,
    ServiceTransitionAdmin,
    labelled_filter,
    local_time,
    yes_no,
)

# Django's own fields of an account, named in Chinese. An admin change message records its
# fields' labels untranslated and translates back only those Django's catalogue knows, so the
# audit trail read "已修改Email 地址 和 Groups"; a label that is Chinese already stays so.
INHERITED_LABELS = {
    "username": "用户名",
    "email": "电子邮箱",
    "is_active": "有效",
    "is_staff": "工作人员状态",
    "is_superuser": "超级用户状态",
    "groups": "用户组",
    "user_permissions": "用户权限",
}


class PersonSearchMixin:
    """The search box finds a person by a whole mobile or ID number too, as an operator on the
    telephone is given one. Neither is searched by part: an ID number is kept encrypted, found
    by its blind index (User.id_indexes), and a mobile in its +86 form. `person` is the path
    from the admin's model to the account ("" for the account itself); `mobile_fields`, the
    columns holding a mobile."""

    person = ""
    mobile_fields = ["mobile"]
    search_help_text = "按姓名、用户名或单位名称查找；输入完整的手机号码或证件号码可精确查找。"

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        exact = Q()
        with contextlib.suppress(ValidationError):
            mobile = clean_mobile(term)
            for field in self.mobile_fields:
                exact |= Q(**{field: mobile})
        if re.fullmatch(r"[0-9A-Za-z]{6,30}", term):
            indexes = [i for kind in IdType.values for i in User.id_indexes(kind, term.upper())]
            exact |= Q(**{f"{self.person}id_number_index__in": indexes})
        if exact:
            found = found | queryset.filter(exact)
        return found, duplicates


class OneUsernameInAnyCaseMixin:
    """Logging in finds an account whatever the case typed (PortalUserManager), so an operator
    may not create or rename one whose username differs from another's only in case, as
    registration refuses it too."""

    def clean_username(self):
        username = self.cleaned_data.get("username")
        twins = User.objects.case_twins(username or "").exclude(pk=self.instance.pk)
        if username and twins.exists():
            raise forms.ValidationError(
                "已有账号使用该用户名（用户名不区分大小写），请换一个。", code="unique"
            )
        return username


class UserChangeForm(OneUsernameInAnyCaseMixin, BaseUserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in INHERITED_LABELS.items():
            if name in self.fields:
                self.fields[name].label = label

    def clean_unit(self):
        """An applicant moves only to an approved unit, and only when no receiver of
        `applicant_moving` refuses (experts: never while under review, or the application
        would land in another unit's queue mid-decision)."""
        unit = self.cleaned_data["unit"]
        user = self.instance
        if user.kind != UserKind.APPLICANT or unit is None or unit.pk == user.unit_id:
            return unit
        if unit.status != UnitStatus.APPROVED:
            raise forms.ValidationError("个人账号只能调入已通过审核的单位。")
        signals.applicant_moving.send(sender=User, user=user, unit=unit)
        return unit

    def clean(self):
        """An applicant's 姓名 or 证件类型 change only when no receiver of
        `applicant_identity_changing` refuses (experts: an admitted expert's go through a
        reviewed 信息变更)."""
        cleaned = super().clean()
        user = self.instance
        changed = [name for name in ("real_name", "id_type") if name in self.changed_data]
        if user.pk and user.kind == UserKind.APPLICANT and changed:
            signals.applicant_identity_changing.send(sender=User, user=user, fields=changed)
        return cleaned


class RulesUnderPasswordMixin:
    """Django's admin password forms check the rules against the confirmation (password2)
    and put their errors under it, beside a box with nothing wrong in it. An operator sees them
    under 密码, where the password was typed, as on the portal's own forms
    (accounts.forms.NewPasswordMixin); 密码确认 says only that the two differ, in the portal's
    words."""

    error_messages = {"password_mismatch": PASSWORD_MISMATCH}

    def validate_password_for_user(self, user, **kwargs):
        super().validate_password_for_user(user, **{**kwargs, "password_field_name": "password1"})


def password_rules_html(new_account: bool) -> str:
    """The password rules as a help text. A new account has no current password, so the rule
    that a new one differs from it (NotTheCurrentPasswordValidator) would only puzzle there."""
    validators = password_validation.get_default_password_validators()
    if new_account:
        past = (NotTheCurrentPasswordValidator, RecentPasswordsValidator)
        validators = [v for v in validators if not isinstance(v, past)]
    return password_validation.password_validators_help_text_html(validators)


class PasswordOnlyMixin:
    """Every account logs in with its password: the portal has no other way in (no single
    sign-on, no LDAP). Django's choice 基于密码的认证 启用/禁用, and its help text about such
    backends, would only offer to make an account that cannot log in at all; an account is
    switched off by 有效 instead. So the password is required, as on the portal's own forms."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("usable_password", None)
        for name in ("password1", "password2"):
            self.fields[name].required = True
        self.fields["password2"].help_text = "再次输入密码，两次须一致。"


class SetForSomeoneElseMixin:
    """A password an operator types in admin is known to the operator: its owner changes it
    at their next sign-in (OwedStepMiddleware), as MLPS asks that only they know it."""

    def set_password_and_save(self, user, *args, commit=True, **kwargs):
        # Django's password forms set and save the password here; set_password() cleared the
        # flag, so it is set after it and saved with it.
        user = super().set_password_and_save(user, *args, commit=False, **kwargs)
        user.password_must_change = True
        if commit:
            user.save()
        return user


class UserCreationForm(
    OneUsernameInAnyCaseMixin,
    SetForSomeoneElseMixin,
    PasswordOnlyMixin,
    RulesUnderPasswordMixin,
    AdminUserCreationForm,
):
    usable_password = None  # PasswordOnlyMixin

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_rules_html(new_account=True)
        self.fields[
            "password2"
        ].help_text = "再次输入密码，两次须一致。该账号下次登录时须先修改此密码。"


class PasswordChangeForm(
    SetForSomeoneElseMixin, PasswordOnlyMixin, RulesUnderPasswordMixin, AdminPasswordChangeForm
):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "password2"
        ].help_text = "再次输入密码，两次须一致。该账号下次登录时须先修改此密码。"


class PrivilegesBySuperusersOnlyMixin:
    """Only a superuser gives or takes away what grants powers in admin (`privilege_fields`):
    a staff account that may change users or groups would otherwise tick 超级用户状态 on its
    own page, or add permissions to a group it belongs to (等保 2.0 访问控制). To anyone else
    they are read-only, and ModelAdmin leaves read-only fields out of the form, so a forged
    POST carrying them changes nothing."""

    privilege_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return [*readonly, *(name for name in self.privilege_fields if name not in readonly)]


# AbstractUser's name fields, which the portal does not use (its 姓名 is User.real_name).
UNUSED_NAMES = {"first_name", "last_name"}


class ImportClaimFilter(admin.SimpleListFilter):
    """历史数据导入: the accounts import_roster and import_units made, still waiting for their
    person or unit to set a password by 找回密码 (accounts.forms.unclaimed), or claimed: how far
    the switch from the previous system has got, and whom to chase."""

    title = "历史数据导入"
    parameter_name = "imported"

    def lookups(self, request, model_admin):
        return [("waiting", "已导入，未认领"), ("claimed", "已导入，已认领")]

    def queryset(self, request, queryset):
        imported = Q(application__imported_at__isnull=False) | Q(
            kind=UserKind.UNIT, unit__imported_at__isnull=False
        )
        waiting = Q(last_login__isnull=True, password__startswith=UNUSABLE_PASSWORD_PREFIX)
        if self.value() == "waiting":
            return queryset.filter(imported & waiting)
        if self.value() == "claimed":
            return queryset.filter(imported).exclude(waiting)
        return queryset


class ImportedUnitFilter(admin.SimpleListFilter):
    """历史数据导入: the units import_units brought from the previous system, or not."""

    title = "历史数据导入"
    parameter_name = "imported"

    def lookups(self, request, model_admin):
        return [("1", "原系统导入"), ("0", "本系统注册")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(imported_at__isnull=self.value() == "0")
        return queryset


@admin.register(User)
class UserAdmin(
    PrivilegesBySuperusersOnlyMixin,
    OldAndNewChangeMessageMixin,
    PersonSearchMixin,
    ChinesePermissionsMixin,
    PersonalDataAdminMixin,
    BaseUserAdmin,
):
    form = UserChangeForm
    privilege_fields = ("is_staff", "is_superuser", "groups", "user_permissions")
    # What makes the role (accounts.permissions.role_label), whether the account may log in,
    # and whose account it is: the audit trail says from what to what.
    change_message_fields = (
        "username",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "kind",
        "unit",
    )
    # A user's own permissions, by what was added and removed (the list runs long).
    change_message_sets = ("user_permissions",)
    add_form = UserCreationForm
    # Django's, without 基于密码的认证 (PasswordOnlyMixin).
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]})
    ]
    change_password_form = PasswordChangeForm
    list_display = ["username", "real_name", "kind", "unit", "active", "date_joined"]
    list_filter = ["kind", "is_active", "is_staff", "groups", ImportClaimFilter]
    search_fields = ["username", "real_name", "unit__name"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        # Django's 名字 and 姓氏 are left out: the portal never reads them, and beside its own
        # 姓名 (real_name, under 门户信息) an operator could not tell which one counts.
        *(
            (title, {**options, "fields": [f for f in options["fields"] if f not in UNUSED_NAMES]})
            for title, options in BaseUserAdmin.fieldsets
        ),
        (
            "门户信息",
            {
                "fields": [
                    "kind",
                    "real_name",
                    "id_type",
                    "masked_id",
                    "masked_mobile",
                    "personal_data_link",
                    "unit",
                    "privacy_notice_version",
                    "privacy_notice_at",
                    "password_changed_at",
                    "must_change_password",
                ]
            },
        ),
    ]
    # Operators need not see whole personal numbers: masked here, whole only through
    # 查看完整信息, which asks why and is audited. People correct their own mobile on the
    # expert form, and an ID number is corrected through the person's unit.
    # When the person last logged in and registered are facts, not settings: an operator's save
    # rewrote them (and the change message named 上次登录 on every save).
    readonly_fields = [
        "masked_id",
        "masked_mobile",
        "personal_data_link",
        "last_login",
        "date_joined",
        # What the person agreed to at registration: a record, not a setting.
        "privacy_notice_version",
        "privacy_notice_at",
        # Set by the password forms alone (User.set_password, SetForSomeoneElseMixin).
        "password_changed_at",
        "must_change_password",
    ]
    personal_data_fields = {
        "证件号码": lambda user: user.id_number,
        "手机号码": lambda user: display_mobile(user.mobile),
    }

    def personal_data_allowed(self, user):
        # The ID number is an application's sensitive number too: once its consent is
        # withdrawn, not shown here either (accounts.signals.id_number_refusal).
        answers = signals.id_number_refusal.send(sender=User, user=user)
        refusal = "".join(answer for _, answer in answers if answer)
        if not refusal:
            return self.personal_data_fields, ""
        return {"手机号码": self.personal_data_fields["手机号码"]}, refusal

    def has_change_permission(self, request, obj=None):
        # A superuser's account only by a superuser: whoever may change its password, or its
        # username and e-mail (where 找回密码 sends the link), holds its powers too.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # in the change form's transaction
        services.user_changed(obj, form.changed_data)

    @admin.display(description="有效", ordering="is_active")
    def active(self, user):
        return yes_no(user.is_active)

    @admin.display(description="下次登录须修改密码")
    def must_change_password(self, user):
        return yes_no(user.password_must_change)

    @admin.display(description="证件号码")
    def masked_id(self, user):
        return mask_id_number(user.id_number)

    @admin.display(description="手机号码")
    def masked_mobile(self, user):
        return mask(display_mobile(user.mobile), 3)


class UnitHistoryInline(HistoryInline):
    model = UnitTransition


# The whole contact mobile, shown only through 查看完整信息 (PersonalDataAdminMixin).
CONTACT_MOBILE = ["masked_contact_mobile", "personal_data_link"]


@admin.register(Unit)
class UnitAdmin(OldAndNewChangeMessageMixin, PersonalDataAdminMixin, ServiceTransitionAdmin):
    form = UnitAdminForm
    change_message_fields = ("name", "is_active")  # the audit trail says from what to what
    list_display = ["name", "credit_code", "nature", "district", "status", "active", "submitted_at"]
    list_filter = [
        "status",
        "is_active",
        "nature",
        "district",
        ImportedUnitFilter,
    ]
    search_fields = ["name", "credit_code", "contact_name"]
    date_hierarchy = "submitted_at"

    @admin.display(description="启用", ordering="is_active")
    def active(self, unit):
        return yes_no(unit.is_active)

    # The contact's mobile is a person's number, treated as UserAdmin and
    # ExpertApplicationAdmin treat theirs: masked on the page, whole only through
    # 查看完整信息, which asks why and is audited; not typed over here. The unit corrects it
    # itself (信息更改, or its registration after 未通过), as a person corrects their own.
    readonly_fields = [
        *CONTACT_MOBILE,
        "created_at",
        "submitted_at",
        "decided_at",
        "profile_updated_at",
        "imported_at",
    ]
    personal_data_fields = {"联系人手机": lambda unit: display_mobile(unit.contact_mobile)}

    def get_exclude(self, request, obj=None):
        # A unit added here has no number yet to hide: it is typed on the add page.
        exclude = list(super().get_exclude(request, obj) or [])
        return [*exclude, "contact_mobile"] if obj is not None else exclude

    def get_fields(self, request, obj=None):
        # The masked number where the box was, after 联系人; none of it on the add page.
        fields = [f for f in super().get_fields(request, obj) if f not in CONTACT_MOBILE]
        if obj is None:
            return fields
        at = fields.index("contact_name") + 1
        return [*fields[:at], *CONTACT_MOBILE, *fields[at:]]

    @admin.display(description="联系人手机")
    def masked_contact_mobile(self, unit):
        return mask(display_mobile(unit.contact_mobile), 3)

    inlines = [UnitHistoryInline]
    transition_services = {
        "approve": lambda unit, user: services.approve_unit(unit, user),
        "reject": lambda unit, user, reason: services.reject_unit(unit, user, reason),
    }

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # in the change form's transaction
        services.unit_changed(obj, form.changed_data)


@admin.register(UnitTransition)
class UnitTransitionAdmin(HistoryAdmin):
    search_fields = ["unit__name", "actor__username"]
    list_select_related = ["unit", "actor__unit"]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(
    PrivilegesBySuperusersOnlyMixin,
    OldAndNewChangeMessageMixin,
    ChinesePermissionsMixin,
    BaseGroupAdmin,
):
    privilege_fields = ("permissions",)
    change_message_fields = ("name",)  # the audit trail says from what to what
    change_message_sets = ("permissions",)  # and which permissions were added and removed

    def has_delete_permission(self, request, obj=None):
        # 科技局审核员 is the role itself (accounts.permissions.BUREAU_GROUP): deleting it would
        # take every reviewer's role away in one click. Its members change on each user's page.
        if obj is not None and obj.name == BUREAU_GROUP:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Renamed, it would no longer be the role either.
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.name == BUREAU_GROUP:
            readonly.append("name")
        return readonly


# django-otp's TOTP app stays installed only for migration accounts 0017, which moved its
# devices' keys (kept in clear) to accounts.Authenticator, encrypted; its table is empty, and
# its admin (English only, the key shown) is not offered. Each person binds their
# authenticator when they first log in; an operator resets a lost one by deleting it (they
# bind a new one at their next login). The secret key is never shown.
admin.site.unregister(TOTPDevice)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    list_display = ["owner", "device_name", "is_confirmed", "created", "last_used"]
    list_filter = [labelled_filter("confirmed", "是否已绑定", [("1", "已绑定"), ("0", "未绑定")])]
    search_fields = ["user__username", "user__real_name"]
    list_select_related = ["user"]
    fieldsets = [
        (
            None,
            {
                "fields": ["owner", "device_name", "is_confirmed", "created", "last_used"],
                "description": "删除身份验证器后，该用户下次登录时须重新绑定。",
            },
        )
    ]
    readonly_fields = ["owner", "device_name", "is_confirmed", "created", "last_used"]

    def has_delete_permission(self, request, obj=None):
        # Resetting a lost authenticator.
        return request.user.has_perm("accounts.delete_authenticator")

    def response_delete(self, request, obj_display, obj_id):
        # Django returns to the list only for those who may change its rows, and nobody may
        # change these (read-only): the operator who reset one landed on the admin's index.
        # Back to the list instead, with its filters, where the reset is seen to be done.
        response = super().response_delete(request, obj_display, obj_id)
        if not isinstance(response, HttpResponseRedirect) or not self.has_view_permission(request):
            return response  # a popup's answer, or someone who may not read the list
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return HttpResponseRedirect(add_preserved_filters(context, url))

    @admin.display(description="用户", ordering="user__username")
    def owner(self, device):
        return device.user

    @admin.display(description="名称")
    def device_name(self, device):
        return device.name

    @admin.display(description="已绑定")
    def is_confirmed(self, device):
        return yes_no(device.confirmed)

    @admin.display(description="创建时间", ordering="created_at")
    def created(self, device):
        return local_time(device.created_at)

    @admin.display(description="最近使用时间", ordering="last_used_at")
    def last_used(self, device):
        return local_time(device.last_used_at)


# django-axes' records, through proxies that name them in Chinese (AXES_ENABLE_ADMIN is off, so
# axes registers nothing itself); the columns and filters are axes' own, their labels Chinese
# through locale/zh_Hans. An operator unlocks a username by 登录失败计数's action (audited).
class MayUnlock:
    """The lists' 解除登录锁定 action, offered to whoever holds 可解除登录锁定 only."""

    def has_unlock_permission(self, request):
        return request.user.has_perm("accounts.unlock_account")


class LoginRecordsAreReadOnly:
    """Login records are what happened: read, never edited or deleted by hand (a lock ends by
    the audited action 解除所选用户名的登录锁定, which also forgets the account's failures)."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LoginAttemptAdmin(MayUnlock, LoginRecordsAreReadOnly, AccessAttemptAdmin):
    """axes' own, with the columns and the action it leaves unnamed or in English named."""

    @admin.display(description="状态")
    def status(self, obj):
        return super().status(obj)

    @admin.display(description="过期时间")
    def expiration(self, obj):
        return super().expiration(obj)

    # Only the audited unlock: axes' 清理过期 deleted records by hand, unaudited (and failed
    # with 500 outside a login request); axes itself drops expired counts at each login.
    actions = ["unlock"]

    @admin.action(description="解除所选用户名的登录锁定", permissions=["unlock"])
    def unlock(self, request, queryset):
        """A pair locked at one address (5 failures) ends here as under 账号锁定: every lock of
        the username and its failures, audited as 解除登录锁定 (deleting the entry would read
        as 后台修改 and leave the failures toward the account's lock)."""
        usernames = sorted(set(queryset.values_list("username", flat=True)))
        unlocked = [
            username
            for username in usernames
            if lockout.unlock(username, why="运维人员在后台解除", request=request)
        ]
        self.message_user(
            request,
            f"已解除{len(unlocked)}个用户名的登录锁定：{'、'.join(unlocked)}。"
            if unlocked
            else "所选用户名均未被锁定。",
            level=messages.SUCCESS if unlocked else messages.INFO,
        )


admin.site.register(LoginAttempt, LoginAttemptAdmin)


class LoginLogAdmin(LoginRecordsAreReadOnly, AccessLogAdmin):
    """登录日志 is a record of who logged in when, like the audit trail."""


admin.site.register(LoginLog, LoginLogAdmin)


@admin.register(AccountLock)
class AccountLockAdmin(MayUnlock, ReadOnlyAdmin):
    """账号锁定: usernames locked everywhere after failures from many addresses
    (accounts.lockout). A pair locked at one address is in 登录失败计数 (django-axes), whose
    action 解除所选用户名的登录锁定 ends it the same way."""

    list_display = ["username", "locked_at", "until", "is_active", "notified_at"]
    search_fields = ["username"]
    actions = ["unlock"]

    @admin.display(description="锁定中")
    def is_active(self, lock):
        return yes_no(lock.active)

    @admin.action(description="解除所选账号的登录锁定", permissions=["unlock"])
    def unlock(self, request, queryset):
        unlocked = [
            lock.username
            for lock in queryset
            if lockout.unlock(lock.username, why="运维人员在后台解除", request=request)
        ]
        self.message_user(
            request,
            f"已解除{len(unlocked)}个账号的登录锁定。" if unlocked else "所选账号均未被锁定。",
            level=messages.SUCCESS if unlocked else messages.INFO,
        )


def ban_end(until) -> str:
    """禁入截止日期 in words: the date, or 永久 for none."""
    return "永久" if until is None else f"{until:%Y-%m-%d}"


class BlacklistAdminForm(forms.ModelForm):
    """An entry's end date may only come earlier: moved later or cleared (永久), it would
    extend a ban that 出库（清退） decided, with no review and no word to the person."""

    class Meta:
        model = Blacklist
        fields = ["until"]
        help_texts = {
            "until": "只能提前，不能推后或清空。改为今天：今天仍禁入，明天起解除；"
            "改为昨天或更早：立即解除。",
        }

    def clean_until(self):
        until = self.cleaned_data["until"]
        # The stored date: the instance takes the typed one only after the fields are cleaned.
        before = self.instance.until
        if before is None or until == before:
            return until  # a ban for good may be given any end
        if until is None:
            raise forms.ValidationError(
                "禁入截止日期不能清空（清空即改为永久禁入）。原截止日期为%(before)s，只能提前。",
                params={"before": ban_end(before)},
            )
        if until > before:
            raise forms.ValidationError(
                "禁入截止日期只能提前，不能推后。原截止日期为%(before)s。",
                params={"before": ban_end(before)},
            )
        return until


class BanInForceFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("1", "生效中"), ("0", "已结束")]

    def queryset(self, request, queryset):
        in_force = Blacklist.in_force_on(timezone.localdate())
        if self.value() == "1":
            return queryset.filter(in_force)
        if self.value() == "0":
            return queryset.exclude(in_force)
        return queryset


@admin.register(Blacklist)
class BlacklistAdmin(PersonSearchMixin, admin.ModelAdmin):
    """禁入名单: entries come with a removal (出库（清退）, experts). Operators may end one early
    (禁入截止日期, earlier only: BlacklistAdminForm); the reason stays as the removal gave it,
    and nobody sees an ID number. A whole one typed in the search box finds its entries by
    their blind index, as 用户 and 专家申请 find a person (PersonSearchMixin)."""

    form = BlacklistAdminForm
    list_display = ["name", "until_text", "state", "reason", "created_by", "created_at"]
    list_filter = [BanInForceFilter]
    list_select_related = ["created_by"]
    search_fields = ["name"]
    mobile_fields = []  # an entry keeps no mobile
    search_help_text = "按姓名查找；输入完整的证件号码可精确查找。"
    fields = ["name", "until", "reason", "created_by", "created_at"]
    readonly_fields = ["name", "reason", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting an entry would lift the ban and drop its record (the person's own data page
        # lists their entries); a ban ends early by its date instead, which the list shows.
        return False

    @admin.display(description="禁入截止日期", ordering="until")
    def until_text(self, entry):
        return ban_end(entry.until)

    @admin.display(description="状态")
    def state(self, entry):
        return "生效中" if entry.bars_on(timezone.localdate()) else "已结束"

    def construct_change_message(self, request, form, formsets, add=False):
        # The admin's own message names the field only ("已修改 禁入截止日期"); the audit
        # trail (audit.signals) keeps this text, so it says from which date to which.
        if "until" not in form.changed_data:
            return super().construct_change_message(request, form, formsets, add)
        before = ban_end(form.initial.get("until"))
        return f"禁入截止日期由{before}改为{ban_end(form.cleaned_data['until'])}"
