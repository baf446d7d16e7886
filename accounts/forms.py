import hmac
import logging
import re
import smtplib
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import RegexValidator
from django.template import loader
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_variables
from stdnum.cn import uscc

from accounts import validators
from accounts.choices import IdType, UnitStatus, UserKind
from accounts.licence import accepted_files
from accounts.models import Blacklist, Unit, User
from portal import privacy, uploads
from portal.caching import cache
from portal.forms import MobileField, OfficePhoneField, PkModelChoiceField, PortalFormMixin
from portal.ratelimit import over_limit
from portal.words import half_width, mask_numbers

LICENCE_ACCEPT = uploads.ACCEPT
PASSWORD_MISMATCH = "两次输入的密码不一致。"
UNIT_FIELDS = [
    "name",
    "credit_code",
    "nature",
    "district",
    "address",
    "contact_name",
    "contact_mobile",
    "email",
    "licence",
]


# A username is typed as it is: a phone's keyboard would capitalise its first letter, correct
# it to a word or underline it as misspelt. The login form's and the registration forms' alike.
USERNAME_INPUT = {
    "autocapitalize": "none",
    "autocorrect": "off",
    "spellcheck": "false",
    "autocomplete": "username",
}


# The boxes a page cannot fill in again after an error: no browser keeps a chosen file, and
# PasswordInput leaves a password out of the HTML (as it should). What each box then says.
LOST_ON_ERROR = {
    "licence": "请重新选择扫描件。",
    "password1": "请重新输入密码。",
    "password2": "请重新输入确认密码。",
}
PASSWORDS = ("password1", "password2")


class ReenterMixin:
    """After an error, the boxes in LOST_ON_ERROR that were filled come back empty. Those
    without an error of their own are marked with what to do, and the error summary says it
    once, after the real errors (a non-field error): a line per box at the top read as if the
    file were what was wrong, and the emptied passwords failed the next 提交 as 必填 (found
    by a unit's registration walk)."""

    # The boxes marked only to be filled again: the summary (includes/form_errors.html)
    # leaves them to its one line.
    reentered: tuple[str, ...] = ()

    def ask_to_reenter(self) -> None:
        """Called by a view on a form sent back with errors, before it is shown: adds the
        errors above to the form (nothing else)."""
        if not (self.is_bound and self.errors):
            return
        lost = [name for name in LOST_ON_ERROR if name in self.fields and self[name].data]
        # A box with an error of its own (a refused file, a weak password) says that instead.
        self.reentered = tuple(name for name in lost if not self.has_error(name))
        for name in self.reentered:
            self.add_error(name, forms.ValidationError(LOST_ON_ERROR[name], code="reenter"))
        again = ["重新选择扫描件"] if "licence" in self.reentered else []
        typed = [name for name in PASSWORDS if name in lost]
        if set(typed) & set(self.reentered):
            # Both named: the two are typed again together, whichever was refused.
            again.append("重新输入" + "、".join(str(self.fields[name].label) for name in typed))
        if again:
            self.add_error(
                None,
                forms.ValidationError(
                    "出于安全原因，请%(again)s后再提交。",
                    params={"again": "并".join(again)},
                    code="reenter",
                ),
            )


class AccountFieldsMixin(forms.Form):
    """用户名, 密码, 确认密码 — shared by both registration forms."""

    username = forms.CharField(
        label="用户名",
        max_length=30,
        widget=forms.TextInput(attrs=USERNAME_INPUT),
        help_text="4至30位字母、数字或下划线，用于登录。",
        validators=[
            RegexValidator(r"^[A-Za-z0-9_]{4,30}$", "用户名应为4至30位字母、数字或下划线。")
        ],
    )
    password1 = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请输入密码。"},
        help_text=(
            "至少8位，须包含大写字母、小写字母、数字、符号中的至少3种，不能包含用户名，"
            "不能过于简单或与用户名相似。"
        ),
    )
    password2 = forms.CharField(
        label="确认密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请再次输入密码。"},
    )

    # 个人信息保护说明 (portal.privacy): agreed before the account exists (PIPL art. 14); the
    # label's link is set when the form is made (reverse() needs the URLconf loaded).
    privacy_notice = forms.BooleanField(
        label=f"我已阅读并同意《{privacy.NOTICE_TITLE}》",
        error_messages={
            "required": f"请阅读《{privacy.NOTICE_TITLE}》，勾选同意后再注册。",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["privacy_notice"].label = format_html(
            '我已阅读并同意<a href="{}" target="_blank" rel="noopener">《{}》</a>',
            reverse("privacy"),
            privacy.NOTICE_TITLE,
        )
        # The error summary links to the box: the title says which, the message what to do.
        self.fields["privacy_notice"].summary_label = privacy.NOTICE_TITLE

    def agreed_notice_version(self) -> str:
        """The notice version the person agreed to, for the registration service to store."""
        return privacy.NOTICE_VERSION if self.cleaned_data.get("privacy_notice") else ""

    def clean_username(self):
        username = self.cleaned_data["username"]
        if mask_numbers(username) != username:
            # A username is shown in lists and kept in the audit trail for years: never a
            # personal number.
            raise forms.ValidationError("用户名不能使用证件号码、手机号码等长串数字，请换一个。")
        if User.objects.case_twins(username).exists():
            raise forms.ValidationError("该用户名已被注册，请换一个。")
        return username

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise forms.ValidationError(PASSWORD_MISMATCH, code="password_mismatch")
        return password2

    def check_password(self, user: User) -> None:
        """Run Django's password validators against the user being created: their errors go
        under 密码, where the password was typed; 确认密码 says only that the two differ."""
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)


class UnitDetailsForm(ReenterMixin, PortalFormMixin, forms.ModelForm):
    """The unit's own details, as registered or corrected after 未通过."""

    fieldsets = [
        ("单位信息", ["name", "credit_code", "nature", "district", "address", "licence"]),
        ("联系人", ["contact_name", "contact_mobile", "email"]),
    ]
    wide_fields = {"name", "address", "licence"}
    fixed_length_fields = {"credit_code"}

    class Meta:
        model = Unit
        fields = UNIT_FIELDS
        widgets = {"licence": forms.FileInput(attrs={"accept": LICENCE_ACCEPT})}
        field_classes = {"contact_mobile": MobileField}
        help_texts = {"credit_code": "18位，见营业执照或法人证书。"}
        error_messages = {"licence": {"required": "请选择营业执照或法人证书扫描件。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Written when the form is made, so that it says the limit the validator applies.
        self.fields["licence"].help_text = f"支持{accepted_files()}。"
        if self.instance.pk and self.instance.licence:
            # The stored file has no public URL: link to the view that checks who asks.
            url = reverse("accounts:licence", args=[self.instance.pk])
            self.fields["licence"].widget = forms.FileInput(attrs={"accept": LICENCE_ACCEPT})
            self.fields["licence"].help_text = format_html(
                '已上传：<a href="{}" target="_blank" rel="noopener">查看扫描件</a>。'
                "如需更换，请重新选择文件（{}）。",
                url,
                accepted_files(),
            )

    def clean_name(self):
        """One name, one unit: a person registering picks their unit by its name, and two units
        of one name could not be told apart. A rejected registration's name does not count."""
        name = self.cleaned_data["name"].strip()
        others = Unit.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if others.exclude(status=UnitStatus.REJECTED).exists():
            raise forms.ValidationError(
                "已有同名单位注册。单位名称应与营业执照或法人证书上的全称一致；如本单位已注册，"
                "请勿重复注册，如需找回单位账号，请致电 %(help)s。",
                params={"help": settings.HELP_LINE},
            )
        return name

    def clean_credit_code(self):
        code = validators.clean_credit_code(self.cleaned_data["credit_code"])
        if Unit.objects.filter(credit_code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                "该统一社会信用代码的单位已注册，请勿重复注册。如需找回单位账号，请致电 %(help)s。",
                params={"help": settings.HELP_LINE},
            )
        return code


class UnitAdminForm(UnitDetailsForm):
    """Operators editing a unit in admin get the registration's checks."""

    website = forms.URLField(
        label="单位网址", max_length=200, required=False, assume_scheme="https"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.instance
        if unit.imported_at and not unit.licence and "licence" in self.fields:
            # Brought in from the previous system (import_units), which checked it: none to
            # upload for its other details to be corrected here.
            self.fields["licence"].required = False
            self.fields[
                "licence"
            ].help_text = f"由原专家库管理系统转入，无扫描件，可不上传（支持{accepted_files()}）。"
        if unit.pk and unit.is_active and "is_active" in self.fields:
            # Unticking 启用 signs out and shuts out all the unit's people at once: the save
            # asks first, saying how many (static/js/admin-confirm.js).
            people = unit.accounts.filter(is_active=True).count()
            self.fields["is_active"].widget.attrs["data-confirm-off"] = (
                f"停用后，“{unit.name}”的{people}个账号（单位账号及其个人账号）将立即退出"
                "并不能再登录。确定停用吗？"
            )

    class Meta(UnitDetailsForm.Meta):
        fields = "__all__"  # noqa: DJ007 - admin passes the fields it shows


class UnitRegistrationForm(AccountFieldsMixin, UnitDetailsForm):
    """新用户注册：单位."""

    field_order = [*UNIT_FIELDS, "username", "password1", "password2", "privacy_notice"]
    fieldsets = [
        *UnitDetailsForm.fieldsets,
        ("登录账号", ["username", "password1", "password2"]),
        (privacy.NOTICE_TITLE, ["privacy_notice"]),
    ]
    wide_fields = {*UnitDetailsForm.wide_fields, "privacy_notice"}

    def clean(self):
        cleaned = super().clean()
        self.check_password(
            User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
        )
        return cleaned


# 信息更改's sections, in the order the unit fills them.
PROFILE_SECTIONS = [
    (
        "单位信息",
        [
            "nature",
            "district",
            "address",
            "legal_representative",
            "office_phone",
            "postcode",
            "website",
        ],
    ),
    ("联系人", ["contact_name", "contact_mobile", "email"]),
    ("单位简介", ["introduction"]),
]


class UnitProfileForm(PortalFormMixin, forms.ModelForm):
    """信息更改: what an approved unit completes and keeps up to date."""

    website = forms.URLField(
        label="单位网址", max_length=200, required=False, assume_scheme="https"
    )

    fieldsets = PROFILE_SECTIONS

    class Meta:
        model = Unit
        fields = [name for _, names in PROFILE_SECTIONS for name in names]
        widgets = {"introduction": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"contact_mobile": MobileField, "office_phone": OfficePhoneField}

    wide_fields = {"address", "introduction"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("legal_representative", "office_phone"):
            self.fields[name].required = True
        self.fields["email"].help_text = "本单位账号“找回密码”时，重设密码的链接发到这个邮箱。"

    def clean_office_phone(self):
        return validators.clean_office_phone(self.cleaned_data["office_phone"])

    def clean_postcode(self):
        postcode = self.cleaned_data["postcode"].strip()
        if postcode and not re.fullmatch(r"[0-9]{6}", postcode):
            raise forms.ValidationError("邮政编码应为6位数字。")
        return postcode


class ApprovedUnitChoiceField(PkModelChoiceField):
    def label_from_instance(self, unit: Unit) -> str:
        return unit.name


class IndividualRegistrationForm(
    ReenterMixin, PortalFormMixin, AccountFieldsMixin, forms.ModelForm
):
    """新用户注册：个人."""

    unit = ApprovedUnitChoiceField(
        label="所属单位",
        queryset=Unit.objects.open_to_people(),
        help_text="只列出已通过科技局审核的单位。如果找不到您的单位，请先由单位注册单位账号。",
        error_messages={"invalid_choice": "请选择已通过审核的单位。"},
    )

    class Meta:
        model = User
        fields = ["real_name", "id_type", "id_number", "mobile", "email", "unit"]
        labels = {"email": "电子邮箱"}
        field_classes = {"mobile": MobileField}
        help_texts = {"mobile": "审核结果将以短信通知此号码。"}

    field_order = ["username", "password1", "password2", *Meta.fields, "privacy_notice"]
    fieldsets = [
        ("登录账号", ["username", "password1", "password2"]),
        ("个人信息", ["real_name", "id_type", "id_number", "mobile", "email"]),
        ("所属单位", ["unit"]),
        (privacy.NOTICE_TITLE, ["privacy_notice"]),
    ]
    wide_fields = {"unit", "privacy_notice"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("real_name", "id_type", "id_number", "mobile", "email"):
            self.fields[name].required = True
        self.fields["id_type"].initial = IdType.RESIDENT

    def clean(self):
        cleaned = super().clean()
        id_type, id_number = cleaned.get("id_type"), cleaned.get("id_number")
        if id_type and id_number:
            try:
                number = validators.clean_id_number(id_type, id_number)
            except forms.ValidationError as error:
                self.add_error("id_number", error)
            else:
                cleaned["id_number"] = number
                # Every configured key's: a row made before a rotation of FIELD_HMAC_KEY
                # still counts (portal.crypto).
                indexes = User.id_indexes(id_type, number)
                if Blacklist.in_force(indexes):
                    # No more said: whether someone is barred is not a stranger's to learn.
                    self.add_error(
                        "id_number",
                        forms.ValidationError(
                            "该证件号码目前不能注册。如有疑问，请致电 %(help)s。",
                            params={"help": settings.HELP_LINE},
                        ),
                    )
                elif User.objects.filter(id_number_index__in=indexes).exists():
                    self.add_error(
                        "id_number",
                        forms.ValidationError(
                            "该证件号码已注册过账号，每人只能注册一个账号。"
                            "如忘记账号，请致电 %(help)s。",
                            params={"help": settings.HELP_LINE},
                        ),
                    )
        self.check_password(
            User(
                username=cleaned.get("username", ""),
                real_name=cleaned.get("real_name", ""),
                email=cleaned.get("email", ""),
            )
        )
        return cleaned


class UsernameLengthMixin:
    def clean_username(self):
        # AuthenticationForm sets max_length after building its validators, so it checks none;
        # an over-long name would reach authenticate() and the lockout records.
        username = self.cleaned_data["username"]
        if len(username) > User._meta.get_field("username").max_length:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        return username


class AdminLoginForm(UsernameLengthMixin, AdminAuthenticationForm):
    pass


# What a wrong password costs, in the lockout settings' own numbers (accounts.lockout).
LOCK_RULE = (
    f"在同一网络位置连续输错{settings.AXES_FAILURE_LIMIT}次，该账号将在此位置锁定"
    f"{int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)}分钟。"
)


class LoginForm(UsernameLengthMixin, AuthenticationForm):
    printed_once = True  # the same for everyone: portal.jinja2.crispy
    error_messages = {
        "invalid_login": "用户名或密码错误，请重新输入。" + LOCK_RULE,
        "inactive": "该账号已被停用，如有疑问请致电科技局。",
        "unit_inactive": "您所属的单位账号已停用，如有疑问请致电科技局。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(USERNAME_INPUT)

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.unit_id and not user.unit.is_active:
            raise forms.ValidationError(self.error_messages["unit_inactive"], code="unit_inactive")


class NewPasswordMixin:
    """The new password of Django's SetPasswordForm (修改密码, and 找回密码's last step): a rule
    the password breaks is said under 新密码, where it was typed, and 新密码确认 says only that
    the two differ, as on the registration forms. Django's own clean checks the rules against
    the confirmation and puts their errors under it, beside a box with nothing wrong in it."""

    # As Django's own password checks: the passwords stay out of an error report's variables.
    @sensitive_variables("password", "confirmation")
    def clean(self):
        password = self.cleaned_data.get("new_password1")
        confirmation = self.cleaned_data.get("new_password2")
        if password and confirmation and password != confirmation:
            self.add_error(
                "new_password2",
                forms.ValidationError(PASSWORD_MISMATCH, code="password_mismatch"),
            )
        if password:
            try:
                password_validation.validate_password(password, self.user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        # SetPasswordForm.clean would make the same two checks again, the rules against the
        # confirmation: the base form's clean is what remains of it.
        return forms.Form.clean(self)


class PortalPasswordChangeForm(NewPasswordMixin, PortalFormMixin, PasswordChangeForm):
    """修改密码: a wrong 旧密码 counts as a failed login (accounts.views.PortalPasswordChangeView),
    and the message says so, as the login form's does."""

    printed_once = True  # the same for everyone: portal.jinja2.crispy

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "旧密码不正确，请重新输入。旧密码输错按登录失败计算：" + LOCK_RULE,
    }


def unclaimed(user) -> bool:
    """An account import_roster or import_units made and nobody has claimed yet: never with a
    password, never signed in, an applicant's or an imported unit's (and no staff or superuser
    account, nor a unit account an operator made with password sign-in switched off).
    找回密码 is how its person, or its unit, claims it."""
    if user.is_staff or user.is_superuser or user.last_login is not None:
        return False
    if user.has_usable_password():
        return False
    if user.kind == UserKind.APPLICANT:
        return True
    unit = user.unit if user.kind == UserKind.UNIT else None
    # A 停用 unit's account is claimed by nobody: the bureau may have switched it off because
    # its imported address is wrong.
    return unit is not None and unit.imported_at is not None and unit.is_active


# Tries of the 证件号码 a claim may make in a minute (per account): a link lasts an hour, and
# a mailbox is asked for a new one every two minutes at most.
CLAIM_TRIES_PER_MINUTE = 5


class PortalSetPasswordForm(NewPasswordMixin, PortalFormMixin, SetPasswordForm):
    """找回密码's last step, the new password: the link in the e-mail proved who it is. An account
    not yet claimed (unclaimed) also proves who claims it: the address came from the bureau's
    previous system and may be stale or shared (a unit's office), and a mailbox alone should
    not hand over a person's record. A person gives their 证件号码; a unit its 统一社会信用代码
    (which anyone may look up, so not alone) and its 联系人手机 as imported."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.claim = user is not None and unclaimed(user)  # None: a link no longer valid
        if not self.claim:
            return
        if user.kind == UserKind.UNIT:
            self.fields["credit_code"] = forms.CharField(
                label="统一社会信用代码",
                max_length=30,
                help_text="首次设置密码，请填写本单位的统一社会信用代码和单位联系人的手机号码，以核对身份。",
                error_messages={"required": "请填写统一社会信用代码。"},
            )
            self.fields["contact_mobile"] = forms.CharField(
                label="联系人手机",
                max_length=20,
                help_text="市科技局从原系统导入的本单位联系人手机号码。",
                error_messages={"required": "请填写联系人手机。"},
            )
            self.order_fields(["credit_code", "contact_mobile", "new_password1", "new_password2"])
        else:
            self.fields["id_number"] = forms.CharField(
                label="证件号码",
                max_length=30,
                help_text="首次设置密码，请填写您本人的证件号码，以核对身份。",
                error_messages={"required": "请填写证件号码。"},
            )
            self.order_fields(["id_number", "new_password1", "new_password2"])

    def clean(self):
        cleaned = super().clean()
        if not self.claim or self.errors:
            return cleaned
        # Counted per account whatever was typed: 5 tries a minute of a link that lasts an hour.
        if over_limit("claim", str(self.user.pk), CLAIM_TRIES_PER_MINUTE):
            raise forms.ValidationError("身份核对次数过多，请1分钟后再试。")
        if self.user.kind == UserKind.UNIT:
            unit = self.user.unit
            # As 单位注册 reads them: full-width characters, spaces and dashes allowed.
            typed = [
                uscc.compact(half_width(cleaned["credit_code"])).upper(),
                _mobile_or_blank(cleaned["contact_mobile"]),
            ]
            expected = [unit.credit_code, unit.contact_mobile]
            said = "统一社会信用代码或联系人手机"
            ask = ""
        else:
            typed = [cleaned["id_number"].strip().upper()]
            expected = [self.user.id_number.upper()]
            said, ask = "证件号码", "联系所在单位或"
        # Every value compared, whichever fails first: the time taken says nothing.
        matches = [
            hmac.compare_digest(one.encode(), other.encode())
            for one, other in zip(typed, expected, strict=True)
        ]
        if not all(matches):
            raise forms.ValidationError(
                f"{said}与市科技局导入的信息不符。如有疑问，请{ask}致电市科技局"
                f" {settings.HELP_LINE}。"
            )
        return cleaned


def _mobile_or_blank(typed: str) -> str:
    """A mobile number as stored (+86…), or "" when it is none: a claim compares, never says
    which value was wrong."""
    try:
        return validators.clean_mobile(typed)
    except forms.ValidationError:
        return ""


RESET_MAIL_SECONDS = 120
MAIL_NOT_SENT = (
    "邮件服务暂时不可用，重设密码的邮件未能发送，请稍后再试。"
    f"如急需登录，请联系所在单位或致电市科技局 {settings.HELP_LINE}。"
)

logger = logging.getLogger(__name__)


class MailNotSent(Exception):
    """The mail server did not take 找回密码's mail (or did not answer): nothing was sent."""


def _folded(text: str) -> str:
    # As Django's own comparison of reset addresses: NFKC, then casefold.
    return unicodedata.normalize("NFKC", text).casefold()


class PortalPasswordResetForm(PortalFormMixin, PasswordResetForm):
    """找回密码: Django's form, with the portal's wording for an over-long address and its word
    for the field (Django's is 电子邮件), a short wait for the mail server, and a failure that
    is said (MailNotSent) rather than logged behind a page saying the mail went out."""

    printed_once = True  # the same for everyone: portal.jinja2.crispy

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "电子邮箱"
        self.connection = None
        # (account, whether a mail went out, what happened) for each account of the address
        # typed, for the view's audit rows: the page itself says the same for all of them.
        self.outcomes: list[tuple[User, bool, str]] = []

    def get_users(self, email):
        """Django's accounts (active, of this address, with a usable password), and also those
        never claimed (unclaimed): the experts and units imported from the bureau's previous
        system (import_roster, import_units) claim their account this way. Django leaves out
        unusable passwords for sites where they mean "signs in elsewhere"; an erased account's
        is inactive (experts.erasure), and a staff or unit account an operator made without a
        password (admin's 基于密码的验证: 禁用) stays so."""
        found = User.objects.filter(email__iexact=email, is_active=True)
        return (
            user
            for user in found
            if _folded(user.email) == _folded(email)
            and (user.has_usable_password() or unclaimed(user))
        )

    def save(self, **kwargs) -> None:
        """Django's, over one connection to the mail server, opened before the accounts are
        looked up: for every address, known or not, so that a mail server that does not answer
        reads the same (MailNotSent) whether or not the address has an account. A person waits
        on this: each step of the conversation waits at most EMAIL_REQUEST_TIMEOUT seconds, not
        EMAIL_TIMEOUT (the daily jobs'), so a hanging mail server cannot hold a web worker until
        gunicorn's timeout kills it."""
        self.connection = get_connection(timeout=settings.EMAIL_REQUEST_TIMEOUT)
        try:
            self.connection.open()
            super().save(**kwargs)
        except OSError as error:  # socket errors, timeouts and smtplib's SMTPException
            logger.warning("找回密码 mail not sent: %r", error)
            raise MailNotSent from error
        finally:
            self.connection.close()

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """At most one link per account every RESET_MAIL_SECONDS: the page reads the same
        either way (it never says whether an address is known), so a loop of requests fills no
        one's mailbox. Counted in Django's cache (per worker unless CACHE_URL is shared).
        Django's own send_mail() logs a failed send and returns; this one lets it through to
        save(), and gives the account its turn back, so the person may try again at once."""
        key = f"password-reset:{context['user'].pk}"
        # A cache that does not answer lets the mail go (fails open): a way back into one's
        # account matters more than one mailbox's flood guard while the cache is down.
        if not cache.add(key, 1, RESET_MAIL_SECONDS, if_unreachable=True):
            self.outcomes.append(
                (
                    context["user"],
                    False,
                    f"{RESET_MAIL_SECONDS // 60}分钟内已发送过链接，本次未再发送",
                )
            )
            return
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(
            subject, body, from_email, [to_email], connection=self.connection
        )
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused:
            # The mail server took the connection but refused this one address (its domain does
            # not exist, its mailbox is full): a failure only a known address can meet, so
            # saying it would tell anyone typing an address whether it has an account. Logged;
            # the page reads as for any address and says whom to ask when no mail comes.
            logger.warning("找回密码 mail to account %s: address refused", context["user"].pk)
            self.outcomes.append((context["user"], False, "邮件服务器拒收该账号的电子邮箱，未发送"))
        except OSError:
            cache.delete(key)
            raise
        else:
            self.outcomes.append((context["user"], True, "重设密码的链接已发往该账号的电子邮箱"))


class TwoFactorForm(PortalFormMixin, forms.Form):
    printed_once = True  # the same for everyone: portal.jinja2.crispy
    code = forms.CharField(
        label="验证码",
        max_length=6,
        min_length=6,
        help_text="身份验证器（如“腾讯身份验证器”、Google Authenticator）中显示的6位数字。",
        # The page's one task: the cursor starts in the field, as on the login page.
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
        error_messages={"required": "请输入6位验证码。", "min_length": "请输入6位验证码。"},
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError("请输入6位数字验证码。")
        return code


class ReasonForm(PortalFormMixin, forms.Form):
    """A required reason: 不通过, 退回, 审核不通过."""

    printed_once = True  # the same for everyone: portal.jinja2.crispy

    reason = forms.CharField(
        label="理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写理由，申请人将看到此理由。"},
    )


class UnitReasonForm(ReasonForm):
    """不通过 of a unit's registration: the unit reads the reason."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "请填写理由，单位将看到此理由。"


class CommentForm(PortalFormMixin, forms.Form):
    """An optional comment: 提交 (recommend), 审核通过."""

    printed_once = True  # the same for everyone: portal.jinja2.crispy

    comment = forms.CharField(
        label="意见（选填）",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
