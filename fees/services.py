"""专家劳务费 of a draw's review: who is paid (the members whose answer is 确认参加), the
standard a row starts from, and the one way fees are saved (locked, checked, audited)."""

import dataclasses
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.log import record
from audit.models import AuditEvent
from draws.models import Draw, Evaluation, Event
from draws.selectors import Member, evaluations_of, panel
from experts.choices import TitleLevel
from fees.models import Fee
from fees.tax import CENT, gross_for, labour_tax

TENTH = Decimal("0.1")


class FeeError(Exception):
    """A save that cannot happen; the message says why, in Chinese."""


@dataclasses.dataclass
class Attendee:
    member: Member
    fee: Fee | None

    @property
    def application(self):
        return self.member.pick.application

    @property
    def per_day(self) -> Decimal:
        return per_day(self.application.title_level)

    @property
    def standard_amount(self) -> Decimal:
        """One day's 应发 (before tax) that nets the standard: what the form starts from."""
        return gross_for(self.per_day)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One row of the form: whom, for how many days, how much before tax, and a note."""

    application_id: int
    days: Decimal
    amount: Decimal
    note: str = ""


def per_day(title_level: str) -> Decimal:
    """The standard a row starts from, after tax, per day of review: 高级专业技术职称 (正高级,
    副高级) or not (FEE_PER_DAY_SENIOR, FEE_PER_DAY_OTHER; 财科教〔2017〕128号's lower bounds, set
    税后, by default). The form's 应发金额 is the amount before tax that nets it (gross_for)."""
    senior = title_level in (TitleLevel.SENIOR, TitleLevel.ASSOCIATE)
    return Decimal(settings.FEE_PER_DAY_SENIOR if senior else settings.FEE_PER_DAY_OTHER)


def closed(draw: Draw, now=None) -> str:
    """Why no fee can be recorded for `draw` now, or "" when it can."""
    if draw.voided is not None:
        return "该抽取记录已作废，不登记劳务费。"
    if draw.review_at > (now or timezone.now()):
        when = timezone.localtime(draw.review_at)
        return f"评审时间（{when:%Y-%m-%d %H:%M}）之后才能登记劳务费。"
    return ""


def attendees(draw: Draw) -> list[Attendee]:
    """The members whose answer is 确认参加 and whose 专家评价 is not 无故缺席 (they did not
    come), in the record's order, each with the fee recorded for them: six queries, whatever
    their number (draws.selectors.panel, the evaluations and the fees)."""
    fees = {fee.application_id: fee for fee in Fee.objects.filter(draw=draw)}
    absent = {
        pk
        for pk, evaluated in evaluations_of(draw).items()
        if evaluated.latest.grade == Evaluation.Grade.ABSENT
    }
    return [
        Attendee(member, fees.get(member.pick.application_id))
        for quota in panel(draw)
        for member in quota.members
        if member.answer is not None
        and member.answer.action == Event.Action.CONFIRM
        and member.pick.application_id not in absent
    ]


def left_off(draw: Draw, present: list[Attendee]) -> list[Fee]:
    """Fees recorded for experts no longer on the list (a 不参加 or a 无故缺席 recorded since):
    kept, but neither on the page's rows nor in the 发放表, so the page names them. One query."""
    on_list = [attendee.application.pk for attendee in present]
    return list(
        Fee.objects.filter(draw=draw)
        .exclude(application_id__in=on_list)
        .select_related("application__user")
        .order_by("pk")
    )


def _said(fee: Fee) -> str:
    return f"{fee.days}天，应发{fee.amount}元，代扣个人所得税{fee.tax}元，实发{fee.net}元"


@transaction.atomic
def save(user, draw: Draw, entries: list[Entry]) -> int:
    """Record `entries` (every row of the form) on `draw`; returns how many changed. The draw
    is locked (a 不参加 recorded meanwhile waits), then every row must still be an attendee:
    otherwise nothing is saved. The tax is worked out here (fees.tax), never taken from the
    form. One audit row per fee recorded or changed, saying from what to what."""
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    reason = closed(draw)
    if reason:
        raise FeeError(reason)
    if len({entry.application_id for entry in entries}) != len(entries):
        raise FeeError("同一位专家填写了两行，请刷新页面后重新填写。")
    present = {attendee.application.pk: attendee for attendee in attendees(draw)}
    strangers = [entry for entry in entries if entry.application_id not in present]
    if strangers:
        raise FeeError("名单已变化（有专家不再是确认参加），请刷新页面后重新填写。")
    changed = 0
    for entry in entries:
        attendee = present[entry.application_id]
        # As the columns hold them, so that figures typed again compare equal to those saved.
        amount = entry.amount.quantize(CENT)
        tax = labour_tax(amount)
        values = {
            "days": entry.days.quantize(TENTH),
            "amount": amount,
            "tax": tax,
            "net": amount - tax,
            "note": entry.note.strip(),
        }
        fee = attendee.fee
        if fee is not None and all(getattr(fee, name) == value for name, value in values.items()):
            continue
        before = _said(fee) if fee is not None else ""
        if fee is None:
            fee = Fee(draw=draw, application_id=entry.application_id)
        for name, value in values.items():
            setattr(fee, name, value)
        fee.updated_by = user
        fee.save()
        name = attendee.application.user.real_name
        detail = f"专家劳务费：{name}（专家编号 {entry.application_id}）{_said(fee)}"
        record(
            AuditEvent.Action.DRAW,
            actor=user,
            obj=draw,
            detail=detail + (f"；原为{before}" if before else ""),
        )
        changed += 1
    return changed
