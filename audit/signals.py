"""Logins, failures, lockouts, admin changes and SMS an operator marked as sent after a restore,
caught where Django, django-axes and the sms app announce them."""

from axes.signals import user_locked_out
from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.permissions import SYSTEM_ROLE, requires_second_factor
from audit.log import event, record, record_all
from audit.models import AuditEvent
from portal.words import mask_numbers
from sms.signals import marked_sent

Action, Result = AuditEvent.Action, AuditEvent.Result
PASSWORD_ONLY = "密码正确，待两步验证"


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    if requires_second_factor(user):
        # Not signed in yet: someone holding only the password must not read as 登录成功. The
        # two-factor page records 登录成功 when the code is right (accounts.views.two_factor).
        record(Action.PASSWORD_VERIFIED, request=request, actor=user, detail=PASSWORD_ONLY)
    else:
        record(Action.LOGIN, request=request, actor=user)


@receiver(user_logged_out)
def _logout(sender, request, user, **kwargs):
    if user is not None:
        record(Action.LOGOUT, request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, detail: str = "", **kwargs):
    # credentials has the password masked by Django; only the username is kept, with any long
    # number in it masked: people type their ID number or mobile into 用户名, and the trail
    # (kept for years, shipped off the host) holds no whole number (portal.words.mask_numbers).
    # The portal's own senders (a wrong two-factor code, a wrong 旧密码) say in `detail`
    # which check failed.
    record(
        Action.LOGIN_FAILED,
        request=request,
        username=mask_numbers(str(credentials.get("username", "")))[:150],
        result=Result.FAILURE,
        detail=detail,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    record(
        Action.LOCKED_OUT,
        request=request,
        username=mask_numbers(username or "")[:150],
        result=Result.FAILURE,
        detail="连续登录失败，已锁定",
    )


@receiver(post_save, sender=LogEntry)
def _admin_change(sender, instance, created, **kwargs):
    if created:
        record(
            Action.ADMIN_CHANGE,
            actor=instance.user,
            obj=instance.get_edited_object() if not instance.is_deletion() else None,
            detail=f"{instance.get_action_flag_display()} {instance.content_type} "
            f"#{instance.object_id} {instance.object_repr}：{instance.get_change_message()}",
        )


@receiver(marked_sent)
def _sms_marked_sent(sender, messages, was, command, **kwargs):
    # An operator's change to the outbox outside admin (restored_outbox after a database
    # restore), recorded as admin's own changes are: one row per message, the message as
    # object (its name masks the number), under the command's name as the other commands do.
    record_all(
        [
            event(
                Action.ADMIN_CHANGE,
                obj=message,
                username=command,
                role=SYSTEM_ROLE,
                detail=f"{message.last_error}：{was[message.pk]} → {message.get_status_display()}",
            )
            for message in messages
        ]
    )
