from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm

from accounts import lockout, services, signals
from accounts.choices import UnitStatus, UserKind
from accounts.forms import UnitAdminForm
from accounts.models import AccountLock, Unit, UnitTransition, User
from accounts.validators import display_mobile, mask, mask_id_number
from portal.admin import (
    HistoryAdmin,
    ReadOnlyAdmin,
    ServiceTransitionAdmin,
)


class UserChangeForm(BaseUserChangeForm):
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


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = ["username", "real_name", "kind", "unit", "is_active", "date_joined"]
    list_filter = ["kind", "is_active", "is_staff", "groups"]
    search_fields = ["username", "real_name", "unit__name"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (
            "门户信息",
            {"fields": ["kind", "real_name", "id_type", "masked_id", "masked_mobile", "unit"]},
        ),
    ]
    # Operators need not see whole personal numbers; people correct their own mobile on the
    # expert form, and an ID number is corrected through the person's unit.
    readonly_fields = ["masked_id", "masked_mobile"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # in the change form's transaction
        services.user_changed(obj, form.changed_data)

    @admin.display(description="证件号码")
    def masked_id(self, user):
        return mask_id_number(user.id_number)

    @admin.display(description="手机号码")
    def masked_mobile(self, user):
        return mask(display_mobile(user.mobile), 3)


@admin.register(Unit)
class UnitAdmin(ServiceTransitionAdmin):
    form = UnitAdminForm
    list_display = ["name", "credit_code", "nature", "district", "status", "submitted_at"]
    list_filter = ["status", "nature", "district"]
    search_fields = ["name", "credit_code", "contact_name"]
    date_hierarchy = "submitted_at"
    readonly_fields = ["created_at", "submitted_at", "decided_at", "profile_updated_at"]
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
    list_select_related = ["unit", "actor"]


@admin.register(AccountLock)
class AccountLockAdmin(ReadOnlyAdmin):
    """账号锁定: usernames locked everywhere after failures from many addresses
    (accounts.lockout). A pair locked at one address is in django-axes' 登录尝试 list, where
    deleting the entry unlocks it."""

    list_display = ["username", "locked_at", "until", "is_active", "notified_at"]
    search_fields = ["username"]
    actions = ["unlock"]

    @admin.display(description="锁定中", boolean=True)
    def is_active(self, lock):
        return lock.active

    @admin.action(description="解除所选账号的登录锁定")
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
