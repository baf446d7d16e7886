"""查看完整信息 (PIPL's minimum-necessary rule): which masked numbers a viewer may ask to see in
full on a detail page, and the form that asks which ones and why.

The detail pages (experts.views) show the 证件号码 and the 银行账号 masked. A POST of RevealForm
shows the chosen ones in full in that one response only, and writes one audit event naming
them and the reason (docs/audit.md). The applicant sees their own in full without asking.
"""

from django import forms
from django.contrib import messages

from audit.log import record
from audit.models import AuditEvent
from experts.permissions import may_reveal_bank_account, may_reveal_id_number, reveal_refusal
from portal.forms import PortalFormMixin

# field → (label, who may see it in full), in the order the page shows them.
PERSONAL_NUMBERS = {
    "id_number": ("证件号码", may_reveal_id_number),
    "bank_account": ("银行账号", may_reveal_bank_account),
}

OTHER = "other"
BANK_REASON = "check_bank"
# The reasons a reviewer may give; anything else is 其他 with a few words of its own.
REASONS = [
    ("verify_identity", "核实身份"),
    (BANK_REASON, "核对银行信息"),
    ("enquiry", "处理申请人咨询"),
    (OTHER, "其他（须说明）"),
]


def number_of(application, name: str) -> str:
    """The whole number `name` of an application (the ID number is kept on the account)."""
    return application.user.id_number if name == "id_number" else application.bank_account


def revealable(application, user, labels=None) -> list[tuple[str, str]]:
    """(field, label) of the numbers `user` may ask to see in full on this application: those
    their role may see, and only if filled in (an empty one has nothing to show). `labels`:
    of these only (a change request's page: the numbers it changes)."""
    return [
        (name, label)
        for name, (label, may) in PERSONAL_NUMBERS.items()
        if (labels is None or label in labels)
        and may(application, user)
        and (labels is not None or number_of(application, name))
    ]


def labels_of(revealed) -> list[str]:
    """The labels of the `revealed` fields, in the page's order."""
    return [label for name, (label, _) in PERSONAL_NUMBERS.items() if name in revealed]


class RevealForm(PortalFormMixin, forms.Form):
    """What to show in full and why. `choices` are the viewer's (revealable()): a number they
    may not see is not a choice, so posting it is refused like any invalid choice."""

    # The same for everyone but for `choices` (which numbers, never the numbers themselves),
    # part of the printed form's key (portal.jinja2.crispy); one choice is ticked (initial),
    # which prints afresh.
    printed_once = True

    numbers = forms.MultipleChoiceField(
        label="查看的信息",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请选择要查看的信息。",
            "invalid_choice": "所选信息不能查看。",
        },
    )
    reason = forms.ChoiceField(
        label="查看事由",
        choices=[("", "请选择"), *REASONS],
        error_messages={
            "required": "请选择查看事由。",
            "invalid_choice": "请从列表中选择查看事由。",
        },
    )
    note = forms.CharField(
        label="事由说明",
        max_length=100,
        required=False,
        help_text="选择“其他”时必填。",
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, prefix="reveal", **kwargs)
        self.fields["numbers"].choices = choices
        if len(choices) == 1:  # one choice (a unit's 证件号码): ticked already
            self.initial["numbers"] = [choices[0][0]]
        if "bank_account" not in dict(choices):
            # A unit may not see the account: 核对银行信息 is no reason it could give.
            self.fields["reason"].choices = [
                choice for choice in self.fields["reason"].choices if choice[0] != BANK_REASON
            ]

    def clean(self):
        cleaned = super().clean()
        if not self.fields["numbers"].choices:
            raise forms.ValidationError("该申请没有可查看的完整信息。")
        if cleaned.get("reason") == OTHER and not cleaned.get("note", "").strip():
            self.add_error("note", "选择“其他”时，请填写事由说明。")
        return cleaned

    def revealed(self) -> frozenset[str]:
        """The fields to show in full (after is_valid())."""
        return frozenset(self.cleaned_data["numbers"])

    def reason_text(self) -> str:
        reason = self.cleaned_data["reason"]
        if reason == OTHER:
            return f"其他：{self.cleaned_data['note'].strip()}"
        return dict(REASONS)[reason]

    def audit_detail(self) -> str:
        """The audit event's 说明: the fields shown and the reason, e.g.
        "查看证件号码、银行账号；事由：核实身份". Never the numbers themselves."""
        chosen = self.revealed()
        labels = [label for name, (label, _) in PERSONAL_NUMBERS.items() if name in chosen]
        return f"查看{'、'.join(labels)}；事由：{self.reason_text()}"


def answer(request, choices: list[tuple[str, str]], application, show, what: str = ""):
    """A POST of 查看完整信息: with a valid choice among `choices` and a reason, `show(revealed=…)`,
    the page once more with those numbers in full, and one audit event about `application`
    naming them and the reason (`what` before it: what was looked at, when not the application
    itself); else `show(status=400, reveal=form)`, masked, saying what is missing."""
    refused = reveal_refusal(application, request.user)
    if refused and not choices:
        # Consent withdrawn, or the person gone from the unit: the page says why, not which
        # field was wrong (the form is not offered at all).
        messages.error(request, "未显示完整信息：" + refused)
        return show(status=403)
    form = RevealForm(request.POST, choices=choices)
    if not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, "未显示完整信息：" + "".join(problems))
        return show(status=400, reveal=form)
    record(
        AuditEvent.Action.VIEW_PERSONAL_DATA,
        request=request,
        obj=application,
        detail=what + form.audit_detail(),
    )
    return show(revealed=form.revealed())
