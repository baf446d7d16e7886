"""Password rules of MLPS level 3 (等保2.0 身份鉴别) beyond Django's own validators, and Django's
own where their zh-hans messages read badly, through their documented get_error_message()."""

import datetime
import re

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import PasswordHistory
from accounts.permissions import is_unit_account, second_factor_by_role

CLASSES = [
    (re.compile(r"[a-z]"), "小写字母"),
    (re.compile(r"[A-Z]"), "大写字母"),
    (re.compile(r"[0-9]"), "数字"),
    (re.compile(r"[^a-zA-Z0-9]"), "符号"),
]


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        used = sum(1 for pattern, _ in CLASSES if pattern.search(password))
        if used < self.min_classes:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少%(n)d种。",
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self):
        return f"密码须包含大写字母、小写字母、数字、符号中的至少{self.min_classes}种。"


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's rule with a formal message: its translation, "密码跟 %(verbose_name)s 太相似了。",
    reads as "密码跟 用户名 太相似了。" on the page."""

    def get_error_message(self):
        # Django fills in the field's verbose_name (用户名, 电子邮件地址 …) as `verbose_name`.
        return "密码与%(verbose_name)s过于相似。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with a Chinese message: its own translation of this one is missing."""

    def get_error_message(self):
        return f"密码长度太短，至少需要{self.min_length}个字符。"

    def get_help_text(self):
        return f"密码至少需要{self.min_length}个字符。"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's rule with a formal message in place of its translation's "这个密码太常见了。"."""

    def get_error_message(self):
        return "密码过于常见。"


class UsernameValidator:
    """No password holding the username: Django's similarity rule lets a short username
    through (lockC2026#x for lockC), and it is the first thing a guesser tries."""

    def validate(self, password, user=None):
        username = getattr(user, "username", "") or ""
        if len(username) >= 3 and username.lower() in password.lower():
            raise ValidationError("密码不能包含用户名。", code="password_has_username")

    def get_help_text(self):
        return "密码不能包含用户名。"


class NotTheCurrentPasswordValidator:
    """A new password (修改密码, 找回密码) is not the one it replaces."""

    def validate(self, password, user=None):
        current = getattr(user, "password", "")
        # hashers.check_password, not user.check_password: no hash upgrade saved on the way.
        if current and check_password(password, current):
            raise ValidationError("新密码不能与当前密码相同。", code="password_unchanged")

    def get_help_text(self):
        return "新密码不能与当前密码相同。"


class RecentPasswordsValidator:
    """A new password is none of the account's last `keep` (MLPS 定期更换: a change back to the
    old one is no change). Their hashes are kept by password_changed(), which Django calls
    whenever a password is saved, however it was set."""

    def __init__(self, keep: int = 5):
        self.keep = keep

    def recent(self, user) -> list[str]:
        return list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
                : self.keep
            ]
        )

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return  # a new account has no past passwords
        current = getattr(user, "password", "")
        if current and check_password(password, current):
            return  # NotTheCurrentPasswordValidator says so, in its own words
        if any(check_password(password, hashed) for hashed in self.recent(user)):
            raise ValidationError(
                "新密码不能与最近%(n)d次使用过的密码相同。",
                code="password_reused",
                params={"n": self.keep},
            )

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        kept = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[: self.keep]
        PasswordHistory.objects.filter(user=user).exclude(pk__in=list(kept)).delete()

    def get_help_text(self):
        return f"新密码不能与最近{self.keep}次使用过的密码相同。"


def password_expires(user) -> bool:
    """Whether PASSWORD_MAX_AGE_DAYS applies to `user`: those who must use a second factor
    (reviewers, operators and other staff) and unit accounts. Applicants are exempt: they sign
    in a few times a year, and a forced change at each visit would send them to 找回密码."""
    return settings.PASSWORD_MAX_AGE_DAYS > 0 and (
        second_factor_by_role(user) or is_unit_account(user)
    )


def expires_at(user) -> datetime.datetime:
    """When `user`'s password expires, if PASSWORD_MAX_AGE_DAYS applies to them."""
    return user.password_changed_at + datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


def password_expired(user) -> bool:
    return password_expires(user) and timezone.now() > expires_at(user)


# How long before a password expires its owner is told at each sign-in.
EXPIRY_NOTICE_DAYS = 14


def expiry_notice(user) -> str:
    """Said at sign-in while the password expires within EXPIRY_NOTICE_DAYS: the day, so that
    the change is made at a moment of the person's choosing, not when 修改密码 stops them in
    the middle of a review ('' otherwise, and once it has expired: the owed step says so)."""
    if not password_expires(user) or password_expired(user):
        return ""
    expires = expires_at(user)
    left = expires - timezone.now()
    if left > datetime.timedelta(days=EXPIRY_NOTICE_DAYS):
        return ""
    return (
        f"您的密码将于{timezone.localtime(expires):%Y-%m-%d %H:%M}到期（还有{left.days}天），"
        "到期后须先修改密码才能继续使用。请及时点击“修改密码”修改。"
    )


def password_change_reason(user) -> str:
    """Why `user` must change their password before anything else, as the page says it
    ('' when they need not)."""
    if user.password_must_change:
        return "您的密码由运维人员设置，请修改为只有您自己知道的新密码后继续使用。"
    if password_expired(user):
        return f"您的密码已使用超过{settings.PASSWORD_MAX_AGE_DAYS}天，请修改密码后继续使用。"
    return ""


def owes_password_change(user) -> bool:
    return bool(password_change_reason(user))
