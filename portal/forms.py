import contextlib
import re

from django import forms
from django.core.exceptions import ValidationError

from accounts.validators import clean_mobile, display_mobile
from portal.words import half_width


def _is_pk(value) -> bool:
    # Primary keys are 64-bit integers; anything else would reach the database as a query
    # parameter it cannot hold (SQLite raises OverflowError on a 40-digit "id").
    return bool(re.fullmatch(r"[0-9]{1,18}", str(value)))


class PkModelChoiceField(forms.ModelChoiceField):
    """A choice of one row whose posted id is checked before it is looked up."""

    def to_python(self, value):
        if value not in self.empty_values and not _is_pk(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class PkModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several rows whose posted ids are checked before they are looked up."""

    def clean(self, value):
        value = self.prepare_value(value)
        if isinstance(value, (list, tuple)):
            for pk in value:
                if not _is_pk(pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)


class OfficePhoneField(forms.CharField):
    """办公电话, 单位电话: typed on a phone's number pad (type=tel); HTML's "work tel" asks a
    browser for a work number, not the person's mobile. The form's clean_office_phone checks it
    (accounts.validators.clean_office_phone)."""

    widget = forms.TelInput(attrs={"autocomplete": "work tel"})


class MobileField(forms.CharField):
    """A mainland mobile: shown as people write it (13812345678), cleaned to E.164 for SMS.
    Typed on a phone's number pad (type=tel), which the browser may fill with the person's
    number; what is typed is still checked here (clean_mobile)."""

    widget = forms.TelInput(attrs={"autocomplete": "tel"})

    def prepare_value(self, value):
        return display_mobile(value) if value else value

    def clean(self, value):
        value = super().clean(value)
        return clean_mobile(value) if value else ""

    def has_changed(self, initial, data):
        """Compared as numbers: the page shows the stored +8613812345678 as 13812345678, and a
        save of an untouched page recorded 已修改联系人手机."""
        try:
            typed = clean_mobile(data) if data and str(data).strip() else ""
        except ValidationError:
            return True
        return typed != (initial or "")


# How far over its limit a refused value may be and still be shown back whole.
SHOWN_BACK_FACTOR = 2


def length_messages(field, *, fixed: bool = False) -> None:
    """Length errors in the portal's voice, naming the field, instead of Django's generic
    "确保该变量包含不超过 N 字符"."""
    if not isinstance(field, forms.CharField):
        return
    label = str(field.label or "").replace("%", "%%") or "该项"
    fixed = fixed or (field.min_length is not None and field.min_length == field.max_length)
    if fixed:
        message = label + "应为%(limit_value)d位，当前%(show_value)d位。"
        field.error_messages["max_length"] = message
        field.error_messages.setdefault("min_length", message)
        return
    field.error_messages["max_length"] = label + "不能超过%(limit_value)d字，当前%(show_value)d字。"
    field.error_messages.setdefault(
        "min_length", label + "至少%(limit_value)d字，当前%(show_value)d字。"
    )


def readable_email(value: str) -> str:
    """An address with its domain's ASCII form (xn--…) turned back into the characters it
    stands for; anything else, or a domain that only looks encoded, as it was."""
    local, at, domain = value.rpartition("@")
    if "xn--" not in domain.lower():
        return value
    with contextlib.suppress(UnicodeError):
        return f"{local}{at}{domain.encode('ascii').decode('idna')}"
    return value


# Characters that show nothing (zero-width spaces and joiners, the byte-order mark, a soft
# hyphen) or change the order the rest is shown in (bidirectional controls). Pasted from
# elsewhere, or typed to deceive: 张<U+200B>明 looks like 张明 on every page and is not found
# as 张明 (nor avoided in a draw); a unit of a name already taken passes as new; <U+202E>
# shows the rest of a reason backwards, in its SMS too.
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def plain_text(value: str, *, one_line: bool) -> str:
    """`value` without INVISIBLE characters and, on one line (a name, a place), with its
    full-width letters and digits as the ordinary ones (portal.words.half_width). A text of
    several lines keeps them: it is read, not searched or compared."""
    value = INVISIBLE.sub("", value)
    return half_width(value) if one_line else value


def required_message(field: forms.Field) -> None:
    """An empty required field says what to do with it (请填写单位名称。), not Django's
    这个字段是必填项; a message a form set for itself stays."""
    if str(field.error_messages.get("required")) != str(
        forms.Field.default_error_messages["required"]
    ):
        return
    label = field.label or "此项"
    if isinstance(field, forms.BooleanField):
        field.error_messages["required"] = f"请勾选“{label}”。"
    elif isinstance(field, (forms.ChoiceField, forms.ModelChoiceField, forms.FileField)):
        field.error_messages["required"] = f"请选择{label}。"
    else:
        field.error_messages["required"] = f"请填写{label}。"


class PortalFormMixin:
    """Chinese wording for what Django leaves in English or dashes (the empty choice), and the
    sections a long form is shown in (`fieldsets`: [(title, [field names])])."""

    fieldsets: list[tuple[str, list[str]]] = []
    wide_fields: set[str] = set()
    # Fields whose value has one length (credit code): "应为18位" rather than "不能超过".
    fixed_length_fields: set[str] = set()

    def grouped_fields(self):
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            length_messages(field, fixed=name in self.fixed_length_fields)
            if isinstance(field.widget, forms.Textarea) and getattr(field, "max_length", None):
                limit = f"最多{field.max_length}字。"
                field.help_text = f"{field.help_text}{limit}" if field.help_text else limit
                # Not the browser's maxlength: it cuts a pasted text at the limit without a
                # word. The page counts as the person types (static/js/portal.js), and a text
                # over the limit comes back whole with the server's message, to be shortened.
                field.widget.attrs.pop("maxlength", None)
                field.widget.attrs["data-max-chars"] = field.max_length
            required_message(field)
            if isinstance(field, forms.EmailField):
                field.error_messages["invalid"] = (
                    "请输入有效的电子邮箱地址，例如 name@example.com。"
                )
            elif isinstance(field, forms.URLField):
                field.error_messages["invalid"] = "请输入有效的网址，例如 https://www.example.com。"
            if isinstance(field, forms.ModelChoiceField) and not isinstance(
                field, forms.ModelMultipleChoiceField
            ):
                field.empty_label = "请选择"
            elif isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.MultipleChoiceField
            ):
                field.choices = [
                    ("", "请选择") if value == "" else (value, label)
                    for value, label in field.choices
                ]

    def full_clean(self):
        if self.is_bound:
            self.data = self.as_typed(self.data)
        super().full_clean()
        if not self.is_bound:
            return
        # A value a little over its limit comes back whole, for the person to shorten; one far
        # over it (a 2 MB 工作简历 is no typing) comes back cut to the limit, so the page that
        # refuses it stays small.
        data = None
        for name in self.errors:
            field = self.fields.get(name)
            limit = getattr(field, "max_length", None)
            key = self.add_prefix(name)
            value = self.data.get(key) if limit else None
            if isinstance(value, str) and len(value) > SHOWN_BACK_FACTOR * limit:
                if data is None:
                    data = self.data.copy()
                data[key] = value[:limit]
        if data is not None:
            self.data = data

    def as_typed(self, data):
        """What a browser sends otherwise than the person typed and saw, back as they did:
        - a textarea's line break, sent as CR LF but counted as one character while typing
          (Django would count two, and refuse a text the page said was within its limit);
        - an e-mail address's Chinese domain (例子.中国), sent in its ASCII form
          (xn--fsqu00a.xn--fiqs8s), which the person never typed and could not read on the
          page or on their details; mail still goes to the ASCII form, as Django's mail encodes
          a domain that is not ASCII;
        - characters no one sees, and full-width letters and digits on one line (plain_text).
        A password is left as it was sent."""
        changed = None
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            value = data.get(key)
            if not isinstance(value, str) or not isinstance(field, forms.CharField):
                continue
            if isinstance(field.widget, forms.PasswordInput):
                continue
            if isinstance(field.widget, forms.Textarea):
                typed = value.replace("\r\n", "\n").replace("\r", "\n")
            elif isinstance(field, forms.EmailField):
                typed = readable_email(value)
            else:
                typed = value
            one_line = not isinstance(field.widget, (forms.Textarea, forms.HiddenInput))
            typed = plain_text(typed, one_line=one_line)
            if typed != value:
                changed = changed or data.copy()  # a QueryDict's copy may be changed
                changed[key] = typed
        return data if changed is None else changed
