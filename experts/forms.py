import datetime

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.utils import timezone
from django.utils.html import format_html

from accounts import validators
from accounts.choices import IdType
from accounts.forms import CommentForm
from experts import attachments
from experts.choices import BAN_CHOICES, REMOVAL_REASONS, join_disciplines
from experts.models import ApplicationAttachment, Discipline, ExpertApplication, ReasonCode
from experts.rules import CONSENT_VERSION, REQUIRED_FOR_SUBMISSION, consent_text
from experts.selectors import discipline_tree
from portal import uploads
from portal.caching import cache
from portal.dates import anniversary
from portal.forms import (
    MobileField,
    OfficePhoneField,
    PkModelMultipleChoiceField,
    PortalFormMixin,
)

__all__ = ["ApplicationReasonForm", "CommentForm", "ExpertApplicationForm"]

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
            "work_started_on",
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


MIN_WORKING_AGE = 14


class ApplicationFieldsMixin:
    """Checks of the application's fields, shared by the applicant's form, the admitted
    expert's change form and the operators' admin form."""

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

    def clean_disciplines(self):
        """A whole field holds its sub-fields: ticking both says one thing twice, and shows
        twice everywhere (电子信息、通信技术（电子信息）), so the person picks one."""
        picked = list(self.cleaned_data["disciplines"])
        if self.instance.pk and set(picked) == set(self.instance.disciplines.all()):
            # Saved so before this check: kept as it is, not in the way of the other fields (for
            # an admitted expert, changing it would be a 变更申请 for the unit and the bureau).
            return self.cleaned_data["disciplines"]
        whole = {d.pk: d.name for d in picked if d.parent_id is None}
        inside: dict[int, list[str]] = {}
        for discipline in picked:
            if discipline.parent_id in whole:
                inside.setdefault(discipline.parent_id, []).append(discipline.name)
        if inside:
            raise forms.ValidationError(
                [
                    f"已勾选“{whole[pk]}（整个领域）”，已包含其下的{join_disciplines(names)}，"
                    "请取消“整个领域”或取消这些子领域。"
                    for pk, names in inside.items()
                ]
            )
        return self.cleaned_data["disciplines"]

    def clean_work_started_on(self):
        started = self.cleaned_data.get("work_started_on")
        if started and started > timezone.localdate():
            raise forms.ValidationError("参加工作时间不能晚于今天。")
        if started and started < datetime.date(1900, 1, 1):
            raise forms.ValidationError("请输入有效的参加工作时间。")
        return started

    def clean(self):
        cleaned = super().clean()
        # Against the birth date as given in this form (else as stored): no one starts work
        # before the age of 14 (the birthday as portal.dates counts it), so an earlier date is
        # a typing error.
        birth = cleaned.get("birth_date", self.instance.birth_date)
        started = cleaned.get("work_started_on")
        if birth and started and started < anniversary(birth, years=MIN_WORKING_AGE):
            self.add_error(
                "work_started_on",
                f"参加工作时间不能早于年满{MIN_WORKING_AGE}周岁（出生日期后{MIN_WORKING_AGE}年），"
                "请核对。",
            )
        self.check_against_id_number(cleaned)
        return cleaned

    def check_against_id_number(self, cleaned: dict) -> None:
        """A resident ID number carries the birth date and, in its 17th digit, the sex: the
        number this form changes (修改专家信息) if it has the field, else the account's."""
        user = self.instance.user
        number = cleaned.get("id_number") if "id_number" in self.fields else user.id_number
        if user.id_type != IdType.RESIDENT or not number:
            return
        id_birth, id_gender = validators.resident_id_facts(number)
        if cleaned.get("birth_date") and cleaned["birth_date"] != id_birth:
            self.add_error("birth_date", "出生日期与居民身份证号码不一致。")
        if cleaned.get("gender") and cleaned["gender"] != id_gender:
            self.add_error("gender", "性别与居民身份证号码不一致。")


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
        help_text="可选择多项：勾选领域本身表示该领域整体，也可只勾选其下的子领域。",
        error_messages={"required": "请至少选择一个专业领域。"},
    )

    class Meta:
        model = ExpertApplication
        fields = [name for _, names in SECTIONS for name in names]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "work_started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "research_direction": forms.Textarea(attrs={"rows": 3}),
            "resume": forms.Textarea(attrs={"rows": 6}),
            "achievements": forms.Textarea(attrs={"rows": 6}),
            "bank_account": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        }
        field_classes = {"mobile": MobileField, "office_phone": OfficePhoneField}
        help_texts = {
            "resume": "按时间顺序填写学习和工作经历。",
            "bank_account": "用于发放评审劳务费，12至30位数字。",
            "work_started_on": "用于核对从业年限；不填写时，审核人员将看到“未填写参加工作时间”。",
        }

    sensitive_consent = forms.BooleanField(
        label="本人同意上述敏感个人信息处理（单独同意）", required=False
    )

    @property
    def consent_texts(self) -> dict[str, tuple[str, str]]:
        """Each consent's full text, shown above its own checkbox in the same box (the checkbox
        says "上述": the text must come first), and named by the checkbox's aria-describedby.
        The sensitive-data consent names the bureau as BUREAU_NAME says now."""
        return {
            "integrity_pledge": ("诚信承诺", INTEGRITY_PLEDGE),
            "sensitive_consent": (
                f"敏感个人信息处理同意书（版本：{CONSENT_VERSION}）",
                consent_text(CONSENT_VERSION),
            ),
        }

    fieldsets = SECTIONS
    wide_fields = {"disciplines", "research_direction", "resume", "achievements", "address"}
    use_required_attribute = False  # drafts may be half-filled; the server says what is missing

    def __init__(self, *args, for_submission: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_submission = for_submission
        self.fields["integrity_pledge"].label = "本人已阅读并同意上述诚信承诺"
        # Shown grouped by field (crispy-bootstrap5 heads each group); a posted id is still
        # checked against the queryset.
        self.fields["disciplines"].widget.choices = discipline_groups()
        for name, field in self.fields.items():
            required = name in REQUIRED_FOR_SUBMISSION
            field.required = for_submission and required
            # A group of checkboxes (专业领域) is required as a whole: one tick is enough, so
            # no box says 必填 (its legend carries the asterisk).
            if required and not isinstance(field.widget, forms.CheckboxSelectMultiple):
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
                values.update(
                    consent_version=CONSENT_VERSION,
                    consent_at=timezone.now(),
                    # The name the text above the box said (experts.rules.consent_text).
                    consent_bureau=settings.BUREAU_NAME,
                )
            elif not agreed:
                # Withdrawn before 提交.
                values.update(consent_version="", consent_at=None, consent_bureau="")
        return values


def discipline_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """专业领域 as the form's checkboxes: a group per field, headed by its name, holding the
    field itself (the whole field) and then its sub-fields."""
    return [
        (field.name, [(field.pk, f"{field.name}（整个领域）"), *field.children])
        for field in discipline_tree()
    ]


# Labels of the form's fields where the model's verbose name is not what the applicant reads.
FIELD_LABELS = {"sensitive_consent": "敏感个人信息处理同意"}


# 证明材料, uploaded beside the form (experts.views.attachment_upload) rather than one of its
# fields, yet what a reason code (证明材料不清晰) is most often about: commented on by this
# name, shown beside the 证明材料 card (includes/attachments.html) and compared with the
# previous submission's files (experts.attachments.ATTACHMENTS_LABEL).
ATTACHMENTS_FIELD = "attachments"


def commentable_fields() -> list[tuple[str, list[tuple[str, str]]]]:
    """The application form's fields a reviewer may comment on, by section, as grouped choices:
    [(section, [(field name, label)])], in the order the applicant fills them, then 证明材料."""
    fields = ExpertApplicationForm.base_fields
    return [
        *(
            (title, [(name, FIELD_LABELS.get(name, str(fields[name].label))) for name in names])
            for title, names in SECTIONS
        ),
        (attachments.ATTACHMENTS_LABEL, [(ATTACHMENTS_FIELD, attachments.ATTACHMENTS_LABEL)]),
    ]


# How many [field + comment] rows the decision form offers: enough for the usual corrections
# without JavaScript; more can go into the reason's text.
FIELD_COMMENT_ROWS = 3


def _comment_field(n: int) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=f"批注字段{n}",
        choices=[("", "请选择"), *commentable_fields()],
        required=False,
        error_messages={"invalid_choice": "所选字段不在专家信息表中，请从列表中选择。"},
    )


def _comment_text(n: int) -> forms.CharField:
    return forms.CharField(label=f"批注{n}", max_length=200, required=False)


REASON_CODES_KEY = "experts:reason_codes"
REASON_CODES_SECONDS = 60


def reason_code_choices() -> list[tuple[str, str]]:
    """The active reason codes as (pk, label): the checkboxes of every unit's and bureau's
    detail page, a handful of rows an operator rarely edits, so kept in the cache (as
    experts.selectors.discipline_choices). A posted code is checked in the database."""
    choices = cache.get(REASON_CODES_KEY)
    if choices is None:
        choices = [
            (str(pk), label)
            for pk, label in ReasonCode.objects.filter(active=True).values_list("pk", "label")
        ]
        cache.set(REASON_CODES_KEY, choices, REASON_CODES_SECONDS)
    return choices


@receiver([post_save, post_delete], sender=ReasonCode)
def _forget_reason_codes(**kwargs):
    transaction.on_commit(lambda: cache.delete(REASON_CODES_KEY))


class ReasonCodesField(forms.MultipleChoiceField):
    """Reason codes ticked: offered from reason_code_choices(), cleaned to the ReasonCode rows,
    each checked to be active now in the database (an operator may have switched one off
    after the page was shown)."""

    def __init__(self, **kwargs):
        super().__init__(choices=reason_code_choices, **kwargs)

    def valid_value(self, value) -> bool:
        # Checked against the database in clean(), not against the cached list.
        return True

    def clean(self, value) -> list[ReasonCode]:
        values = set(super().clean(value))
        if not values:
            return []
        if not all(v.isdigit() and len(v) <= 18 for v in values):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid")
        codes = list(ReasonCode.objects.filter(pk__in=values, active=True))
        if len(codes) != len(values):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid")
        return codes  # in the model's order


# One instance, so that its template engine (and its compiled templates) lives as long as the
# process: a renderer class given to a form is instantiated for each form.
JINJA2_FORM_RENDERER = Jinja2FormRenderer()


class ApplicationReasonForm(PortalFormMixin, forms.Form):
    """退回 (the unit) and 审核不通过 (the bureau): one or more reason codes and/or a text, and
    optional comments on named fields of the application form; the applicant sees them all.

    Its cleaned_data are the service's keyword arguments: reason, codes, field_comments."""

    # Its widgets through Django's Jinja2 form templates: the three 批注字段 selects list every
    # field of the form, and rendering their options through the Django template language was
    # half of a detail page's time (docs/performance.md).
    default_renderer = JINJA2_FORM_RENDERER
    # The same for every unit and reviewer, but for the reason codes operators switch on and
    # off, which are part of the printed form's key (portal.jinja2.crispy).
    printed_once = True

    codes = ReasonCodesField(
        label="理由（可多选）",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "所选理由已停用或不存在，请重新选择。"},
    )
    reason = forms.CharField(
        label="理由说明",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="申请人将看到所选理由和此说明。",
    )
    field_1 = _comment_field(1)
    note_1 = _comment_text(1)
    field_2 = _comment_field(2)
    note_2 = _comment_text(2)
    field_3 = _comment_field(3)
    note_3 = _comment_text(3)

    def comment_rows(self):
        """The [field + comment] rows as pairs of bound fields, for the template."""
        return [(self[f"field_{n}"], self[f"note_{n}"]) for n in range(1, FIELD_COMMENT_ROWS + 1)]

    def clean(self):
        cleaned = super().clean()
        codes = list(cleaned.get("codes") or [])
        reason = (cleaned.get("reason") or "").strip()
        if "codes" not in self.errors and "reason" not in self.errors:
            if not codes and not reason:
                self.add_error("reason", "请勾选至少一项理由或填写理由说明，申请人将看到此理由。")
            needing_text = [code.label for code in codes if code.requires_text]
            if needing_text and not reason:
                self.add_error(
                    "reason",
                    f"选择“{'、'.join(needing_text)}”时，请在理由说明中写明具体原因。",
                )
        labels = commentable_field_labels()
        comments = []
        for n in range(1, FIELD_COMMENT_ROWS + 1):
            if f"field_{n}" in self.errors or f"note_{n}" in self.errors:
                continue
            name = cleaned.get(f"field_{n}", "")
            note = cleaned.get(f"note_{n}", "").strip()
            if note and not name:
                self.add_error(f"field_{n}", "请选择此条批注对应的字段。")
            elif name and not note:
                self.add_error(f"note_{n}", "请填写对所选字段的批注，或将字段改回“请选择”。")
            elif name and any(comment["field"] == name for comment in comments):
                self.add_error(f"field_{n}", "该字段已在上一行批注，请合并为一条。")
            elif name:
                comments.append({"field": name, "label": labels[name], "comment": note})
        if self.errors:
            return cleaned
        # In the form's order, whatever the order of the rows.
        order = list(labels)
        comments.sort(key=lambda comment: order.index(comment["field"]))
        return {"reason": reason, "codes": codes, "field_comments": comments}


def commentable_field_labels() -> dict[str, str]:
    """field name → label, in the form's order."""
    return {name: label for _, fields in commentable_fields() for name, label in fields}


class RemovalForm(forms.Form):
    """出库（清退）: a reason code, a text (required for 其他), and an optional 禁入."""

    code = forms.ChoiceField(
        label="出库理由",
        choices=[("", "请选择"), *REMOVAL_REASONS],
        error_messages={
            "required": "请选择出库理由。",
            "invalid_choice": "请选择列表中的出库理由。",
        },
    )
    reason = forms.CharField(
        label="说明",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="将随短信通知专家，并记入审核记录。选择“其他”时必填。",
    )
    ban_years = forms.ChoiceField(
        label="禁入",
        choices=BAN_CHOICES,
        required=False,
        help_text="禁入期内，该证件号码不能注册账号，也不能重新申请入库。",
        error_messages={"invalid_choice": "请选择列表中的禁入期限。"},
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: the detail page may show 撤销入库's reason form beside it.
        kwargs.setdefault("auto_id", "remove_%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("code") == "other" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "选择“其他”时，请填写出库理由。")
        return cleaned


class AttachmentForm(PortalFormMixin, forms.ModelForm):
    """上传证明材料: one file and its kind, posted on its own (never with the long form, whose
    typing it must not lose). The file is checked by the model field's validator
    (experts.attachments.validate_attachment), the licence scan's checks."""

    class Meta:
        model = ApplicationAttachment
        fields = ["kind", "file"]
        labels = {"kind": "材料类型", "file": "选择文件"}
        widgets = {"file": forms.FileInput(attrs={"accept": uploads.ACCEPT})}
        error_messages = {
            "kind": {
                "required": "请选择材料类型。",
                "invalid_choice": "请选择材料类型：职称证书、学历学位证书或其他证明材料。",
            },
            "file": {
                "required": "请选择要上传的文件。",
                "empty": "所选文件是空的，请重新选择。",
                "invalid": "没有收到文件，请重新选择后上传。",
                "max_length": "文件名过长，请改短后上传。",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"支持{attachments.accepted_files()}。"


class GiveConsentForm(forms.Form):
    """同意敏感个人信息处理 on its own page (experts.views.give_consent): the box the form's
    own consent is, in the same words."""

    agreed = forms.BooleanField(
        label="我已阅读并同意上述敏感个人信息处理",
        error_messages={"required": "请勾选“我已阅读并同意”后再提交。"},
    )
