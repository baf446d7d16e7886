import datetime

from django import forms
from django.utils import timezone
from django.utils.html import format_html

from accounts import validators
from accounts.choices import IdType
from accounts.forms import CommentForm, ReasonForm
from experts.models import Discipline, ExpertApplication
from experts.rules import CONSENT_TEXT, CONSENT_VERSION, REQUIRED_FOR_SUBMISSION
from portal.forms import MobileField, PkModelMultipleChoiceField, PortalFormMixin

__all__ = ["CommentForm", "ExpertApplicationForm", "ReasonForm"]

# The form's sections, in the order the applicant fills them.
SECTIONS = [
    ("基本信息", ["gender", "birth_date", "ethnicity", "political_status"]),
    (
        "学历与职称",
        [
            "education",
            "degree",
            "graduated_from",
            "major",
            "current_specialty",
            "title",
            "title_level",
            "admin_position",
        ],
    ),
    ("工作单位与联系方式", ["department", "mobile", "office_phone", "email", "address"]),
    ("专业领域与成果", ["disciplines", "research_direction", "resume", "achievements"]),
    ("银行信息", ["bank_name", "bank_account"]),
    ("承诺", ["integrity_pledge", "sensitive_consent"]),
]

INTEGRITY_PLEDGE = (
    "本人承诺所填报的信息真实、准确、完整，不存在弄虚作假行为；"
    "入库后遵守专家工作纪律，客观公正履行职责，如有违反，愿承担相应责任。"
)


class ApplicationFieldsMixin:
    """Checks of single fields, shared by the applicant's form and the operators' admin form."""

    def clean_office_phone(self):
        phone = self.cleaned_data["office_phone"]
        return validators.clean_office_phone(phone) if phone else ""

    def clean_birth_date(self):
        birth = self.cleaned_data["birth_date"]
        if birth and not (datetime.date(1900, 1, 1) <= birth <= timezone.localdate()):
            raise forms.ValidationError("请输入有效的出生日期。")
        return birth

    def clean_bank_account(self):
        account = self.cleaned_data["bank_account"]
        return validators.clean_bank_account(account) if account.strip() else ""


class ApplicationAdminForm(ApplicationFieldsMixin, PortalFormMixin, forms.ModelForm):
    """Operators correcting an application in admin get the applicant's checks."""

    class Meta:
        model = ExpertApplication
        fields = "__all__"  # noqa: DJ007 - admin passes the fields it shows
        field_classes = {"mobile": MobileField}


class ExpertApplicationForm(ApplicationFieldsMixin, PortalFormMixin, forms.ModelForm):
    """专家信息管理-新增.

    In draft mode (保存草稿) every field may be empty, but whatever is typed must be well
    formed. With `for_submission=True` (提交) the required fields must be filled too.
    """

    disciplines = PkModelMultipleChoiceField(
        label="专业领域",
        queryset=Discipline.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="可选择多项。",
    )

    class Meta:
        model = ExpertApplication
        fields = [name for _, names in SECTIONS for name in names]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "research_direction": forms.Textarea(attrs={"rows": 3}),
            "resume": forms.Textarea(attrs={"rows": 6}),
            "achievements": forms.Textarea(attrs={"rows": 6}),
            "bank_account": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        }
        field_classes = {"mobile": MobileField}
        help_texts = {
            "resume": "按时间顺序填写学习和工作经历。",
            "bank_account": "用于发放评审劳务费，12至30位数字。",
        }

    sensitive_consent = forms.BooleanField(
        label="本人同意上述敏感个人信息处理（单独同意）", required=False
    )

    # Each consent's full text, shown above its own checkbox in the same box (the checkbox
    # says "上述": the text must come first), and named by the checkbox's aria-describedby.
    consent_texts = {
        "integrity_pledge": ("诚信承诺", INTEGRITY_PLEDGE),
        "sensitive_consent": (f"敏感个人信息处理同意书（版本：{CONSENT_VERSION}）", CONSENT_TEXT),
    }
    fieldsets = SECTIONS
    wide_fields = {"disciplines", "research_direction", "resume", "achievements", "address"}
    use_required_attribute = False  # drafts may be half-filled; the server says what is missing

    def __init__(self, *args, for_submission: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_submission = for_submission
        self.fields["integrity_pledge"].label = "本人已阅读并同意上述诚信承诺"
        for name, field in self.fields.items():
            required = name in REQUIRED_FOR_SUBMISSION
            field.required = for_submission and required
            if required:
                field.widget.attrs["aria-required"] = "true"
            if required and not for_submission:
                # Drafts may be saved half-filled; the asterisk still shows what 提交 asks for.
                field.label = format_html(
                    '{}<span class="asteriskField" aria-hidden="true">*</span>', field.label
                )
        for name in self.consent_texts:
            self.fields[name].widget.attrs["aria-describedby"] = f"{name}-text"
        self.fields["integrity_pledge"].error_messages["required"] = "提交前请勾选诚信承诺。"
        self.fields["sensitive_consent"].error_messages["required"] = (
            "提交前请阅读并勾选敏感个人信息处理同意。"
        )
        # Never ticked for the applicant: only their own earlier agreement to this wording.
        self.initial["sensitive_consent"] = self.instance.consent_version == CONSENT_VERSION

    @classmethod
    def missing_required(cls, application: ExpertApplication) -> list[str]:
        """Labels of the fields 提交 requires (this form's own definition) that `application`
        has still empty, in form order: the home page counts them for a draft."""
        form = cls(instance=application, for_submission=True)
        return [
            str(field.label)
            for name, field in form.fields.items()
            if field.required
            and form.get_initial_for_field(field, name) in (*field.empty_values, False)
        ]

    def clean(self):
        cleaned = super().clean()
        user = self.instance.user
        if user.id_type == IdType.RESIDENT and user.id_number:
            # The ID number carries the birth date and, in its 17th digit, the sex.
            id_birth, id_gender = validators.resident_id_facts(user.id_number)
            if cleaned.get("birth_date") and cleaned["birth_date"] != id_birth:
                self.add_error("birth_date", "出生日期与居民身份证号码不一致。")
            if cleaned.get("gender") and cleaned["gender"] != id_gender:
                self.add_error("gender", "性别与居民身份证号码不一致。")
        return cleaned

    def valid_values(self) -> dict:
        """What the applicant typed that is well formed: saved even when other fields fail."""
        values = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("disciplines", "sensitive_consent") and name not in self.errors
        }
        if "sensitive_consent" in self.cleaned_data:
            agreed = self.cleaned_data["sensitive_consent"]
            if agreed and self.instance.consent_version != CONSENT_VERSION:
                values.update(consent_version=CONSENT_VERSION, consent_at=timezone.now())
            elif not agreed:
                values.update(consent_version="", consent_at=None)  # withdrawn before 提交
        return values
