import re

from django import forms
from django.core.exceptions import ValidationError

from accounts.validators import clean_mobile, display_mobile


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


class MobileField(forms.CharField):
    """A mainland mobile: shown as people write it (13812345678), cleaned to E.164 for SMS."""

    def prepare_value(self, value):
        return display_mobile(value) if value else value

    def clean(self, value):
        value = super().clean(value)
        return clean_mobile(value) if value else ""


class PortalFormMixin:
    """Chinese wording for what Django leaves in English or dashes (the empty choice), and the
    sections a long form is shown in (`fieldsets`: [(title, [field names])])."""

    fieldsets: list[tuple[str, list[str]]] = []
    wide_fields: set[str] = set()

    def grouped_fields(self):
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea) and getattr(field, "max_length", None):
                limit = f"最多{field.max_length}字。"
                field.help_text = f"{field.help_text}{limit}" if field.help_text else limit
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
