"""修改专家信息: the admitted expert's form, the values in force or those the open 变更申请 asks."""

from django import forms
from django.utils.html import format_html

from accounts import validators
from accounts.forms import ApprovedUnitChoiceField
from accounts.models import Unit, User
from changes import fields
from experts import attachments
from experts.attachments import AttachmentKind
from experts.forms import (
    ApplicationFieldsMixin,
    AttachmentForm,
    ExpertApplicationForm,
    discipline_groups,
)
from experts.models import Discipline, ExpertApplication
from experts.rules import REQUIRED_FOR_SUBMISSION
from portal import uploads
from portal.forms import PkModelMultipleChoiceField, PortalFormMixin

KEY_HINT = "需审核"
# The 证明材料 section: one file box per kind (experts.attachments.AttachmentKind), named
# proof_<kind>, checked as the application's 证明材料 are (validate_attachment).
PROOF_PREFIX = "proof_"
PROOF_FIELDS = [f"{PROOF_PREFIX}{kind}" for kind in AttachmentKind.values]
PROOF_SECTION = "证明材料"


def proof_field(kind: AttachmentKind) -> forms.FileField:
    required = [fields.label(name) for name in fields.PROOF_REQUIRED.get(kind, ())]
    when = f"修改{'、'.join(required)}的须上传；" if required else "选填；"
    return forms.FileField(
        label=kind.label,
        required=False,
        validators=[attachments.validate_attachment],
        widget=forms.FileInput(attrs={"accept": uploads.ACCEPT}),
        error_messages=AttachmentForm.Meta.error_messages["file"],
        help_text=f"{when}支持{attachments.accepted_files()}。",
    )


# Beside a file box on a page refused after a file was chosen, or whose certificate is missing:
# a browser never keeps a chosen file, and the next save failed again on it (a walk).
RESELECT_NOTE = "请重新选择要上传的文件（出错后浏览器不会保留已选的文件）。"


# 所在部门 and 行政职务 (changes.fields.WITH_UNIT): reviewed only with a new 工作单位.
WITH_UNIT_HINT = (
    "与工作单位一并修改的，随变更申请审核，新单位确认、科技局审核通过后生效；"
    "单独修改的保存后立即生效。"
)


class ChangeForm(ApplicationFieldsMixin, PortalFormMixin, forms.ModelForm):
    """Every field an admitted expert may change. Those the admission required stay required;
    the key fields are marked 需审核 (changes.fields). The instance is never saved:
    changes.services.save_changes takes the cleaned data."""

    real_name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="证件号码",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    unit = ApprovedUnitChoiceField(
        label="工作单位",
        queryset=Unit.objects.open_to_people(),
        help_text="只列出已通过科技局审核的单位。更换单位须由新单位确认、科技局审核通过后生效；"
        "生效前您仍在原单位名下。",
        error_messages={"invalid_choice": "请选择已通过审核的单位。"},
    )
    disciplines = PkModelMultipleChoiceField(
        label="专业领域",
        queryset=Discipline.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=ExpertApplicationForm.base_fields["disciplines"].help_text,
    )

    fieldsets = [*fields.FORM_SECTIONS, (PROOF_SECTION, PROOF_FIELDS)]
    wide_fields = {"unit", "disciplines", "research_direction", "resume", "achievements", "address"}

    class Meta:
        model = ExpertApplication
        fields = [name for name in fields.ORDER if name not in fields.USER_FIELDS]
        widgets = ExpertApplicationForm.Meta.widgets
        field_classes = ExpertApplicationForm.Meta.field_classes
        help_texts = ExpertApplicationForm.Meta.help_texts

    def __init__(
        self,
        *args,
        user: User,
        in_force: dict | None = None,
        proof_kinds: frozenset = frozenset(),
        asked: dict | None = None,
        **kwargs,
    ):
        """`in_force`: the values in force (changes.fields.current of the instance, unless the
        caller has them); `proof_kinds`: the kinds of 证明材料 the open 变更申请 carries already
        (a 职称证书 uploaded with it counts); `asked`: the values the open request asks, by
        default the initial ones (which show them). A form prefilled from a returned request
        (修改后重新提交) passes {}: none of it is asked yet, and a new 职称 needs its
        certificate again."""
        super().__init__(*args, **kwargs)
        self.user = user
        self.asked = self.initial if asked is None else asked
        self.in_force = fields.current(self.instance) if in_force is None else in_force
        self.proof_kinds = proof_kinds
        for kind in AttachmentKind:
            self.fields[f"{PROOF_PREFIX}{kind}"] = proof_field(kind)
        # Grouped by field, as on the application form.
        self.fields["disciplines"].widget.choices = discipline_groups()
        for name, field in self.fields.items():
            if name in PROOF_FIELDS:
                continue
            field.required = name in REQUIRED_FOR_SUBMISSION or name in fields.USER_FIELDS
            if name in fields.KEY:
                # The error summary names the field by its label alone, without the badge.
                field.summary_label = field.label
                field.label = format_html(
                    '{} <span class="badge text-bg-warning fw-normal">{}</span>',
                    field.label,
                    KEY_HINT,
                )
        self.fields["id_number"].help_text = f"证件类型：{user.get_id_type_display()}。"
        for name in fields.WITH_UNIT:
            self.fields[name].help_text = WITH_UNIT_HINT

    def clean_id_number(self):
        number = validators.clean_id_number(self.user.id_type, self.cleaned_data["id_number"])
        indexes = User.id_indexes(self.user.id_type, number)
        if User.objects.filter(id_number_index__in=indexes).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError("该证件号码已被其他账号使用，请核对。")
        return number

    def proofs(self) -> list[tuple[str, object]]:
        """(kind, upload) of each file chosen, in AttachmentKind's order."""
        chosen = ((kind, self.cleaned_data.get(f"{PROOF_PREFIX}{kind}")) for kind in AttachmentKind)
        return [(kind.value, upload) for kind, upload in chosen if upload]

    def still_proving(self, cleaned) -> set[str]:
        """The kinds of 证明材料 the open request carries that still prove what is asked now:
        a kind whose fields the request asks to change, none of them now asked otherwise. A
        职称证书 chosen for 研究员 proves no 教授 asked later, and a 学历学位证书 sent with no
        学历 change proves none made afterwards."""
        asked_before = {
            name: value
            for names in fields.PROOF_REQUIRED.values()
            for name in names
            if (value := self.initial.get(name)) != self.in_force.get(name)
        }
        restated = fields.changed(asked_before, cleaned, list(asked_before))
        return {
            kind
            for kind in self.proof_kinds
            if (names := fields.PROOF_REQUIRED.get(kind, ()))
            and any(name in asked_before for name in names)
            and not any(name in restated for name in names)
        }

    def clean(self):
        cleaned = super().clean()
        # A change of 职称 or 学历 carries its certificate (changes.fields.PROOF_REQUIRED): said
        # beside that file box, with everything typed shown again.
        proved = [name for names in fields.PROOF_REQUIRED.values() for name in names]
        # Changed from the values in force, and not what the open request asks already: a
        # request from before the rule is not refused a save of something else for lacking one.
        asked = {**self.in_force, **self.asked}
        changed = {
            name: value
            for name, value in fields.changed(self.in_force, cleaned, proved).items()
            if name in fields.changed(asked, cleaned, proved)
        }
        kinds = {*self.still_proving(cleaned), *(kind for kind, _ in self.proofs())}
        for kind, message in fields.missing_proofs(changed, kinds).items():
            name = f"{PROOF_PREFIX}{kind}"
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned


def mark_reselect(form: ChangeForm, chosen) -> None:
    """After a refused save, RESELECT_NOTE beside each file box whose file was chosen
    (`chosen`: the names in request.FILES) or that has an error (a certificate missing)."""
    for name in PROOF_FIELDS:
        if name in chosen or name in form.errors:
            # The bound field copied its help when the form was cleaned: it is what prints.
            bound = form[name]
            bound.help_text = format_html(
                '<strong class="text-danger-emphasis" data-testid="reselect">{}</strong>{}',
                RESELECT_NOTE,
                bound.help_text,
            )


def initial_values(in_force: dict, asked: dict) -> dict:
    """The form's initial values: those in force, with the open request's asked values over
    them, so that the expert sees and edits what they asked for."""
    values = {**in_force, **asked}
    values["mobile"] = validators.display_mobile(values.get("mobile") or "")
    return values
