from decimal import Decimal

from django import forms

from portal.forms import PortalFormMixin

MAX_DAYS = Decimal("30")
MAX_AMOUNT = Decimal("100000")


class FeeForm(PortalFormMixin, forms.Form):
    """One expert's row of the 劳务费 page; the tax is not a field: it is worked out."""

    application = forms.IntegerField(widget=forms.HiddenInput)
    days = forms.DecimalField(
        label="评审天数",
        min_value=Decimal("0.5"),
        max_value=MAX_DAYS,
        max_digits=4,
        decimal_places=1,
        error_messages={
            "required": "请填写评审天数。",
            "invalid": "评审天数应为数字，如 1 或 0.5。",
            "min_value": "评审天数至少为0.5天。",
            "max_value": f"评审天数不能超过{MAX_DAYS}天。",
            "max_decimal_places": "评审天数最多保留1位小数（如 0.5）。",
        },
    )
    amount = forms.DecimalField(
        label="应发金额（税前，元）",
        min_value=Decimal("0"),
        max_value=MAX_AMOUNT,
        max_digits=10,
        decimal_places=2,
        error_messages={
            "required": "请填写应发金额。",
            "invalid": "应发金额应为数字，如 1500 或 1500.00。",
            "min_value": "应发金额不能为负数。",
            "max_value": f"应发金额不能超过{MAX_AMOUNT}元，请核对。",
            "max_decimal_places": "应发金额最多保留2位小数（到分）。",
            "max_digits": "应发金额的数字过长，请核对。",
        },
    )
    note = forms.CharField(label="备注", max_length=100, required=False)


class BaseFeeFormSet(forms.BaseFormSet):
    def clean(self):
        """One row per expert: a page posted twice over (or forged) names someone twice."""
        if any(self.errors):
            return
        ids = [form.cleaned_data.get("application") for form in self.forms]
        if len(set(ids)) != len(ids):
            raise forms.ValidationError("同一位专家填写了两行，请刷新页面后重新填写。")


FeeFormSet = forms.formset_factory(
    FeeForm, formset=BaseFeeFormSet, extra=0, max_num=500, validate_max=True
)
