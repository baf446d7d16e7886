import datetime
import time
import uuid
from base64 import b32encode
from binascii import unhexlify
from pathlib import PurePath
from urllib.parse import quote, urlencode

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.functional import cached_property
from django_fsm import FSMField, FSMModelMixin, transition
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from accounts import permissions
from accounts.choices import DISTRICT_CHOICES, IdType, UnitNature, UnitStatus, UserKind
from accounts.licence import LICENCE_FOLDER, validate_licence
from portal import deadlines
from portal.crypto import EncryptedCharField, blind_index, blind_indexes
from portal.triggers import append_only
from portal.workflow import action_label


def licence_upload_to(unit: "Unit", filename: str) -> str:
    # Never keep the uploader's file name: it may carry personal data or path tricks.
    suffix = PurePath(filename).suffix.lower()
    return f"{LICENCE_FOLDER}{uuid.uuid4().hex}{suffix}"


class UnitQuerySet(models.QuerySet):
    def open_to_people(self):
        """The units a person may register under or move to: approved by the bureau and 启用
        (a 停用 unit's accounts cannot sign in, so nobody could confirm or recommend)."""
        return self.filter(status=UnitStatus.APPROVED, is_active=True)


class Unit(FSMModelMixin, models.Model):
    name = models.CharField(
        "单位名称", max_length=100, help_text="与营业执照或法人证书上的全称一致"
    )
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    nature = models.CharField("单位性质", max_length=20, choices=UnitNature.choices)
    district = models.CharField("所在区", max_length=20, choices=DISTRICT_CHOICES)
    address = models.CharField("单位地址", max_length=200)
    contact_name = models.CharField("联系人", max_length=50)
    contact_mobile = models.CharField("联系人手机", max_length=20)
    email = models.EmailField("电子邮箱", max_length=254)
    licence = models.FileField(
        "营业执照或法人证书扫描件", upload_to=licence_upload_to, validators=[validate_licence]
    )
    # The registration decision's SMS (sms.SMSMessage.about), shown with its state.
    sms_messages = GenericRelation("sms.SMSMessage")

    # Completed by the unit after approval (信息更改).
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    office_phone = models.CharField("单位电话", max_length=30, blank=True)
    postcode = models.CharField("邮政编码", max_length=6, blank=True)
    website = models.URLField("单位网址", max_length=200, blank=True)
    introduction = models.TextField("单位简介", max_length=2000, blank=True)
    profile_updated_at = models.DateTimeField("信息更改时间", null=True, blank=True)
    is_active = models.BooleanField(
        "启用",
        default=True,
        help_text="停用后，本单位账号及其个人账号的登录会话立即结束，且不能再登录。",
    )

    status = FSMField(
        "审核状态",
        max_length=20,
        choices=UnitStatus.choices,
        default=UnitStatus.PENDING,
        protected=True,
    )
    created_at = models.DateTimeField("注册时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交审核时间", auto_now_add=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    # While 待审核: the day the bureau's decision is due (portal.deadlines); else empty.
    due_on = models.DateField("截止日期", null=True, blank=True, editable=False)
    # Brought in, already approved, from the bureau's previous system (import_units): no
    # licence scan, and its account is claimed by 找回密码 (accounts.forms.unclaimed).
    imported_at = models.DateTimeField("历史数据导入时间", null=True, blank=True, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["name"]
        # 单位注册审核: WHERE status = … ORDER BY submitted_at, id (the id as in experts' lists)
        indexes = [
            models.Index(fields=["status", "submitted_at", "id"]),
            # sorted by 截止日期, and the 待审核 tab's 已超期 count (due_on < today)
            models.Index(fields=["status", "due_on", "id"], name="accounts_unit_status_due"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def profile_complete(self) -> bool:
        return bool(self.legal_representative and self.office_phone)

    # Transitions change only the row; services.py locks, records history and queues the SMS.
    @transition(
        field=status,
        source=UnitStatus.PENDING,
        target=UnitStatus.APPROVED,
        permission=lambda unit, user: permissions.is_bureau_reviewer(user),
        custom={"label": "审核通过", "admin": True},
    )
    def approve(self) -> None:
        self.due_on = None

    # The label of the history row import_units writes (accounts.unit_roster): the unit was
    # approved by the previous system, never by this transition, which never fires.
    @transition(
        field=status,
        source=UnitStatus.PENDING,
        target=UnitStatus.APPROVED,
        conditions=[lambda unit: False],
        custom={"label": "历史数据导入"},
    )
    def import_approved(self) -> None:
        pass

    @transition(
        field=status,
        source=UnitStatus.PENDING,
        target=UnitStatus.REJECTED,
        permission=lambda unit, user: permissions.is_bureau_reviewer(user),
        custom={
            "label": "审核不通过",
            "admin": True,
            "form": "accounts.forms.UnitReasonForm",
            "help_text": "理由将显示在单位的页面上，并随短信通知单位联系人。",
        },
    )
    def reject(self) -> None:
        self.due_on = None

    @transition(
        field=status,
        source=UnitStatus.REJECTED,
        target=UnitStatus.PENDING,
        permission=lambda unit, user: permissions.is_unit_account_of(user, unit),
        custom={"label": "重新提交"},
    )
    def resubmit(self) -> None:
        self.due_on = deadlines.registration_due(self.submitted_at)


class PortalUserManager(UserManager):
    def get(self, *args, **kwargs):
        """One user, with their unit: Django's ModelBackend reads the request's user this way,
        and the session policy, the navigation and the permissions then ask about the unit."""
        return self.get_queryset().select_related("unit").get(*args, **kwargs)

    def case_twins(self, username: str) -> models.QuerySet:
        """The accounts whose username is this one whatever its case: registration and admin
        refuse a new name that has one, as logging in does not tell them apart."""
        return self.filter(username__iexact=username)

    def get_by_natural_key(self, username):
        """The account a login names, whatever the case typed: a phone's keyboard writes
        Phonewalk for phonewalk, and registration already refuses a name that differs only in
        case (ModelBackend, createsuperuser and natural-key fixtures find accounts this way).
        An exact match comes first, in case older accounts differ only in case; a name that
        matches several of them in other cases names none (DoesNotExist, as for a stranger)."""
        try:
            return self.get(username=username)
        except self.model.DoesNotExist:
            pass
        twins = list(self.case_twins(username).select_related("unit")[:2])
        if len(twins) != 1:
            raise self.model.DoesNotExist(f"No single account is named {username!r}.")
        return twins[0]


class User(AbstractUser):
    Kind = UserKind

    objects = PortalUserManager()

    kind = models.CharField("账号类型", max_length=20, choices=Kind.choices, default=Kind.APPLICANT)
    real_name = models.CharField("姓名", max_length=50, blank=True)
    id_type = models.CharField("证件类型", max_length=20, choices=IdType.choices, blank=True)
    id_number = EncryptedCharField("证件号码", max_length=30, blank=True)
    # Finds and keeps unique an ID number without storing it readably (portal.crypto).
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    mobile = models.CharField("手机号码", max_length=20, blank=True)
    # For an applicant, 所属单位; for a unit account, the unit it administers.
    unit = models.ForeignKey(
        Unit,
        verbose_name="所属单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    # The 个人信息保护说明 (portal.privacy) the person agreed to when registering, and when: an
    # account made otherwise (an operator's, the demo's) has neither.
    privacy_notice_version = models.CharField(
        "个人信息保护说明版本", max_length=20, blank=True, editable=False
    )
    privacy_notice_at = models.DateTimeField(
        "同意个人信息保护说明时间", null=True, blank=True, editable=False
    )
    # When the password was last set, however (修改密码, 找回密码, registration, admin,
    # createsuperuser): PASSWORD_MAX_AGE_DAYS counts from it (accounts.passwords).
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now, editable=False)
    # Set by an operator in admin for someone else (a new account, a forgotten password): only
    # its owner should know it, so they change it at their next sign-in (OwedStepMiddleware).
    password_must_change = models.BooleanField("下次登录须修改密码", default=False, editable=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(kind=UserKind.UNIT),
                name="one_account_per_unit",
            ),
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~models.Q(id_number_index=""),
                name="one_account_per_id_number",
            ),
        ]
        indexes = [
            # A login in another case, and registration's and admin's check for a name taken
            # in another case, look the name up by username__iexact (UPPER(username) on
            # PostgreSQL): without this, each of them reads every account.
            models.Index(Upper("username"), name="accounts_user_username_upper"),
        ]

    def __str__(self) -> str:
        return self.real_name or self.username

    # Asked on most pages of a request (navigation, permissions, the second-factor rule, the
    # role an audit row records); read in one query and kept on the instance, which lives for
    # one request.
    @cached_property
    def group_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def in_bureau_group(self) -> bool:
        return permissions.BUREAU_GROUP in self.group_names

    @cached_property
    def has_confirmed_device(self) -> bool:
        """Whether the person enrolled an authenticator."""
        return self.authenticator_set.filter(confirmed=True).exists()

    @staticmethod
    def id_index(id_type: str, id_number: str) -> str:
        """The blind index stored for an ID number: under the current FIELD_HMAC_KEY."""
        return blind_index(f"{id_type}:{id_number}") if id_number else ""

    @staticmethod
    def id_indexes(id_type: str, id_number: str) -> list[str]:
        """Every blind index a stored row of this ID number may carry (the current key's, then
        each of FIELD_HMAC_OLD_KEYS'): what a lookup or a uniqueness check matches against."""
        return blind_indexes(f"{id_type}:{id_number}") if id_number else []

    @property
    def id_number_indexes(self) -> list[str]:
        """id_indexes of this account's own ID number (decrypted, so a row not yet re-keyed
        after a rotation of FIELD_HMAC_KEY still finds its 禁入 entries)."""
        return self.id_indexes(self.id_type, self.id_number)

    def set_password(self, raw_password):
        """Django's, and the password's age starts again; one the person sets themselves owes
        no change (admin's forms set password_must_change after this)."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self.password_must_change = False

    def save(self, *args, **kwargs):
        self.id_number_index = self.id_index(self.id_type, self.id_number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "id_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "id_number_index"}
        super().save(*args, **kwargs)


class TransitionQuerySet(models.QuerySet):
    def with_actors(self) -> "TransitionQuerySet":
        """The rows with what actor_label reads (the account and its unit) in the same query,
        however many rows. Not the password hash nor the ID number: no history shows them, so
        they are neither read nor decrypted."""
        return self.select_related("actor__unit").defer("actor__password", "actor__id_number")


class TransitionRecord(models.Model):
    """What one person did to one object: the history a person is shown. No actor: the system
    (a scheduled command) acted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    actor_role = models.CharField("操作人角色", max_length=20)
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=20)
    to_status = models.CharField("新状态", max_length=20)
    comment = models.TextField("意见或理由", max_length=1000, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    objects = TransitionQuerySet.as_manager()

    # The foreign key to the object whose state changed; set by each concrete model.
    subject_field = ""

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}：{self.status_change()}"

    def status_change(self) -> str:
        """The 状态变化 every history shows (the pages' 审核记录, 我的个人信息): 待单位推荐 →
        待科技局审核; a step that keeps the state, 仍为审核通过 (修改联系方式, 年度确认: "审核通过
        （不变）" read as approved with nothing changed); a row made in its state (a 变更申请's
        提交), that state alone. Each side as get_*_status_display words it."""
        if not self.from_status:
            return self.get_to_status_display()
        if self.from_status == self.to_status:
            return f"仍为{self.get_to_status_display()}"
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    @classmethod
    def subject_model(cls) -> type[models.Model]:
        return cls._meta.get_field(cls.subject_field).related_model

    @classmethod
    def status_label(cls, value: str) -> str:
        status = cls.subject_model()._meta.get_field("status")
        return dict(status.choices).get(value, value)

    def get_action_display(self) -> str:
        return action_label(self.subject_model(), self.action)

    def actor_label(self, *, for_staff: bool) -> str:
        """Who acted, as a history row names them (load rows with_actors()). A unit account is
        named by its unit, for everyone: its login name means nothing to a reader and is not
        theirs to know. Staff (the bureau, operators) also see which person acted; applicants
        and units see the role only, never a reviewer's name."""
        actor = self.actor
        if actor is None:
            return self.actor_role
        if actor.kind == UserKind.UNIT and actor.unit_id is not None:
            return f"{self.actor_role}（{actor.unit.name}）"
        if for_staff:
            return f"{self.actor_role}（{actor.real_name or actor.username}）"
        return self.actor_role

    def get_from_status_display(self) -> str:
        return self.status_label(self.from_status)

    def get_to_status_display(self) -> str:
        return self.status_label(self.to_status)


class PasswordHistory(models.Model):
    """The hashes of an account's last passwords, for the rule that a new one is none of them
    (accounts.passwords.RecentPasswordsValidator keeps and prunes them). Hashes as the account's
    own, never a password."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField("密码哈希", max_length=128)
    set_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["user", "-set_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.user_id} {_local_time(self.set_at)}"


class UnitTransition(TransitionRecord):
    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="history"
    )
    subject_field = "unit"

    class Meta(TransitionRecord.Meta):
        verbose_name = "单位审核记录"
        verbose_name_plural = "单位审核记录"
        # Who approved or rejected a unit: append-only in PostgreSQL (portal.triggers).
        triggers = append_only("unit_history")


class LoginFailure(models.Model):
    """One failed password or second-factor code, for the account's and the address's ceilings
    (accounts.lockout). django-axes keeps its own count for a username at one address."""

    username = models.CharField("用户名", max_length=150)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "登录失败"
        verbose_name_plural = "登录失败"
        indexes = [
            models.Index(fields=["username", "at"], name="login_failure_username_at"),
            models.Index(fields=["ip", "at"], name="login_failure_ip_at"),
            models.Index(fields=["at"], name="login_failure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username}（{self.ip}）"


class AccountLock(models.Model):
    """A username locked everywhere after too many failures across addresses, until `until` or
    until its owner resets the password or an operator unlocks it."""

    username = models.CharField("用户名", max_length=150, unique=True)
    locked_at = models.DateTimeField("锁定时间")
    until = models.DateTimeField("锁定至")
    # The owner is told by SMS at most once an hour, however often the lock is renewed.
    notified_at = models.DateTimeField("短信通知时间", null=True, blank=True)

    class Meta:
        verbose_name = "账号锁定"
        verbose_name_plural = "账号锁定（多地登录失败）"
        ordering = ["-locked_at"]
        # 解除登录锁定 (here and in 登录失败计数) is the security administrator's, not whoever
        # may read the lock lists (an auditor, say): 三员分立, docs/security.md.
        permissions = [("unlock_account", "可解除登录锁定")]

    def __str__(self) -> str:
        return f"{self.username}（锁定至{timezone.localtime(self.until):%Y-%m-%d %H:%M}）"

    @property
    def active(self) -> bool:
        return self.until > timezone.now()


def new_totp_key() -> str:
    """A new authenticator's secret: 20 random bytes in hex (160 bits, as RFC 4226 advises)."""
    return random_hex(20)


class Authenticator(TimestampMixin, ThrottlingMixin, Device):
    """A person's authenticator app: a TOTP device (RFC 6238) of django-otp's device API, the
    portal's own so that its secret key is stored encrypted (portal.crypto), as ID and bank
    numbers are. django-otp's TOTPDevice keeps the key in clear hex, and a key read from a
    database dump signs in as its owner for as long as the device is bound; 等保 2.0 (数据保密性)
    asks that 鉴别数据 be encrypted at rest. Migration 0017 moved the keys of TOTPDevice here and
    emptied its table.

    Codes are checked as TOTPDevice checks them: six digits, 30-second steps, one step either
    side, a used step refused (last_t), the clock drift followed; ThrottlingMixin makes a
    device wait 1, 2, 4 … seconds after each wrong code, TimestampMixin keeps when it was made
    and last used. Operators reset a lost one by deleting it (admin)."""

    STEP = 30
    DIGITS = 6
    TOLERANCE = 1

    key = EncryptedCharField("密钥", default=new_totp_key, editable=False)
    drift = models.SmallIntegerField("时钟偏差（步）", default=0, editable=False)
    last_t = models.BigIntegerField("最近使用的时间步", default=-1, editable=False)

    class Meta(Device.Meta):
        verbose_name = "身份验证器"
        verbose_name_plural = "身份验证器"

    @property
    def bin_key(self) -> bytes:
        """The secret key as bytes: what the authenticator app and the QR code are given."""
        return unhexlify(self.key)

    def totp(self, at: float | None = None) -> TOTP:
        """django-otp's TOTP arithmetic for this device at `at` (Unix time; now by default)."""
        totp = TOTP(self.bin_key, self.STEP, 0, self.DIGITS, self.drift)
        totp.time = time.time() if at is None else at
        return totp

    def verify_token(self, token) -> bool:
        """Whether `token` is the code of the current step (or one either side), never one
        used before; keeps the step and the drift when it is, counts a failure when not.

        Both are written by one conditional UPDATE of this row, not by save(): a code is taken
        only if its step is still unused in the database, so two posts of one code at once
        (two tabs, a replay) sign in once; and a device an operator deleted meanwhile (a reset)
        is not written back by a late wrong code."""
        if not self.verify_is_allowed()[0]:
            return False
        devices = type(self).objects.filter(pk=self.pk)
        now = timezone.now()
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = self.totp()
            verified = totp.verify(token, self.TOLERANCE, self.last_t + 1)
        if verified:
            step = totp.t()
            # django-otp's setting for its TOTP devices: follow the phone's clock (default).
            drift = totp.drift if getattr(settings, "OTP_TOTP_SYNC", True) else self.drift
            accepted = {
                "last_t": step,
                "drift": drift,
                "throttling_failure_count": 0,
                "throttling_failure_timestamp": None,
                "last_used_at": now,
            }
            verified = devices.filter(last_t__lt=step).update(**accepted) == 1
            if verified:
                for name, value in accepted.items():
                    setattr(self, name, value)
                return True
        devices.update(
            throttling_failure_count=F("throttling_failure_count") + 1,
            throttling_failure_timestamp=now,
        )
        self.throttling_failure_count += 1
        self.throttling_failure_timestamp = now
        return False

    def get_throttle_factor(self) -> int:
        # django-otp's setting for its own TOTP devices, read the same way (1 unless set).
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def config_url(self) -> str:
        """The otpauth:// address the QR code carries (Key Uri Format): the issuer is
        OTP_TOTP_ISSUER, the account the username."""
        label = self.user.get_username()
        params = {
            "secret": b32encode(self.bin_key),
            "algorithm": "SHA1",
            "digits": self.DIGITS,
            "period": self.STEP,
        }
        # An issuer's colon would end it early in the label; an empty one names nobody.
        if issuer := settings.OTP_TOTP_ISSUER.replace(":", ""):
            label, params["issuer"] = f"{issuer}:{label}", issuer
        # quote (RFC 3986), not urlencode's quote_plus: authenticator apps read %20, not +.
        return f"otpauth://totp/{quote(label)}?{urlencode(params, quote_via=quote)}"


def _local_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class LoginAttempt(AccessAttempt):
    """django-axes' failed-login counter of a username or address, under a Chinese name in
    admin (axes names its records in English); deleting one unlocks it."""

    class Meta:
        proxy = True
        verbose_name = "登录失败计数"
        verbose_name_plural = "登录失败计数"

    def __str__(self) -> str:
        who = self.username or "（无用户名）"
        return f"{who}，{self.ip_address or ''}，{_local_time(self.attempt_time)}"


class LoginLog(AccessLog):
    """django-axes' record of one login and its logout."""

    class Meta:
        proxy = True
        verbose_name = "登录日志"
        verbose_name_plural = "登录日志"

    def __str__(self) -> str:
        return f"{self.username or '（无用户名）'}，{_local_time(self.attempt_time)}"


class Blacklist(models.Model):
    """禁入: an ID number that may not register nor apply to the pool until `until` (None: for
    good). Kept as the ID number's blind index (User.id_index), never the number itself.

    Made from the removed account's ID number, and matched against ID numbers (User.id_indexes)
    under every configured HMAC key; `reindex_personal_data` re-keys an entry through the
    account whose number it stands for, as the entry holds no number to recompute it from."""

    id_number_index = models.CharField("证件号码索引", max_length=64, db_index=True)
    until = models.DateField(
        "禁入截止日期",
        null=True,
        blank=True,
        help_text="禁入的最后一天，当天仍禁入，次日起可重新注册和申请；留空表示永久禁入。",
    )
    reason = models.CharField("禁入理由", max_length=200)
    name = models.CharField("姓名", max_length=50, help_text="列入时的姓名，便于运维人员识别。")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="列入人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("列入时间", auto_now_add=True)

    class Meta:
        verbose_name = "禁入名单"
        verbose_name_plural = "禁入名单"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name}（{'永久' if self.until is None else f'至{self.until}'}）"

    @property
    def open_from(self) -> datetime.date | None:
        """The first day the person may register and apply again (`until` is the ban's last
        day, on which it is still in force); None for good."""
        return None if self.until is None else self.until + datetime.timedelta(days=1)

    @classmethod
    def in_force(cls, id_number_indexes: list[str], today=None) -> "Blacklist | None":
        """The entry that bars this ID number today, or None; `id_number_indexes` are its
        blind indexes under every configured key (User.id_indexes, User.id_number_indexes)."""
        if isinstance(id_number_indexes, str):
            # A lone hash would be matched character by character: never a ban.
            raise TypeError("in_force takes a list of blind indexes (User.id_indexes).")
        if not id_number_indexes:
            return None
        today = today or timezone.localdate()
        entries = cls.objects.filter(id_number_index__in=id_number_indexes)
        return entries.filter(cls.in_force_on(today)).first()

    @staticmethod
    def in_force_on(day: datetime.date) -> models.Q:
        """The entries that bar on `day`: for good, or whose last day is `day` or later."""
        return models.Q(until__isnull=True) | models.Q(until__gte=day)

    def bars_on(self, day: datetime.date) -> bool:
        """Whether this entry bars on `day` (the rule of `in_force_on`, for one entry)."""
        return self.until is None or self.until >= day


class BulkBatch(models.Model):
    """One 批量处理 batch of a person's (portal.bulk): its confirmation page's one-time token,
    whether it is running or done, and, once done, its result for the result page.

    Kept in the database, not in the person's session: a session is saved whole at the end of
    each request, so two batches run side by side in two tabs of one login each saved the copy
    read at their start, and the one that ended last dropped the other's result and its token's
    used mark. A row of its own per batch is written by its batch alone.

    The unique token is also the batch's claim: its row is inserted, and committed, before the
    first item is decided, so a second post of the same page (a double click, a second tab)
    finds it at once and runs nothing. `claim` names the run that holds a running batch, so
    that the page of an interrupted batch (which carries it) may continue it; see portal.bulk.

    Lives in accounts beside the sessions it replaces for this: it belongs to a person, the daily
    `housekeeping` here deletes it after KEEP_DAYS, and every list's batch (experts, changes)
    uses it through portal.bulk, which accounts' data may serve without knowing those apps."""

    class Status(models.TextChoices):
        RUNNING = "running", "处理中"
        DONE = "done", "已完成"

    # How long a batch is kept, from its start. Longer than a confirmation page's token is valid
    # (portal.bulk.BATCH_SECONDS): a page confirmed again while it is valid must still find its
    # batch done, and not run it again. docs/deployment.md says why a week.
    KEEP_DAYS = 7

    token = models.CharField("确认页标识", max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The list's URL name and the action, as portal.bulk's view knows them: a result is shown
    # on its own list's page and action only.
    list_url = models.CharField("列表", max_length=100)
    action = models.CharField("操作", max_length=30)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    # A random value of the run that holds the batch, and when it took it (portal.bulk).
    claim = models.CharField("执行标识", max_length=40)
    claimed_at = models.DateTimeField("开始执行时间", default=timezone.now)
    # Once done: {"done": [[pk, name]…], "skipped": [[pk, name, why]…], "list_url": the list's
    # address as the person left it}, the names as they were when the batch ran.
    result = models.JSONField("处理结果", default=dict, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "批量处理记录"
        verbose_name_plural = "批量处理记录"
        # housekeeping's purge by age.
        indexes = [models.Index(fields=["created_at"], name="bulk_batch_created_at")]

    def __str__(self) -> str:
        return f"{self.action} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"
