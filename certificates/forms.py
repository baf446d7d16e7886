from django import forms

from certificates.codes import normalise


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=40,
        help_text="证明上的12位验证码，如 ABCD-EFGH-JKMN；大小写、空格和连字符不影响查验。",
        error_messages={
            "required": "请输入证明上的验证码。",
            "max_length": "验证码为12位字母和数字，请核对后重新输入。",
        },
    )

    def clean_code(self) -> str:
        code = normalise(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError("请输入证明上的验证码。")
        return code
