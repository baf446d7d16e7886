from django import forms

from experts.forms import JINJA2_FORM_RENDERER, ReasonCodesField
from notice.models import NoticeObjection
from portal.forms import PortalFormMixin


class ObjectionForm(PortalFormMixin, forms.ModelForm):
    """记录公示异议: who objected, how the bureau received it, and what they said."""

    default_renderer = JINJA2_FORM_RENDERER

    class Meta:
        model = NoticeObjection
        fields = ["objector", "channel", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}
        # The expert reads the content in 我的个人信息 (experts.own_data.objections), never
        # who objected: the recorder keeps the objector out of it.
        help_texts = {
            "content": "专家本人可在“我的个人信息”中看到异议内容（不含异议人）；"
            "请勿在此写入异议人的姓名或身份。"
        }
        error_messages = {
            "objector": {"required": "请填写异议人（实名反映人的姓名及身份或单位）。"},
            "channel": {"required": "请选择收到方式。"},
            "content": {"required": "请填写异议内容。"},
        }


class RevokeForm(PortalFormMixin, forms.Form):
    """撤销入库（公示异议）: the reason codes (the list 审核不通过 uses) and a text, which the
    applicant reads on their page and in the SMS. The text is required: the applicant must
    learn what the objection found."""

    default_renderer = JINJA2_FORM_RENDERER

    codes = ReasonCodesField(
        label="理由（可多选）",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "所选理由已停用或不存在，请重新选择。"},
    )
    reason = forms.CharField(
        label="撤销理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明经核实的异议情况；申请人将在其页面上和短信中看到此理由。",
        error_messages={"required": "请填写撤销入库的理由，申请人将看到此理由。"},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写撤销入库的理由，申请人将看到此理由。")
        return reason
