"""专家劳务费, for bureau reviewers: a draw's attendees with what each is paid (after the
review), and the 劳务费发放表 the finance office pays from (an .xlsx, masked unless the
reviewer asks for the numbers whole and says why, as every export of experts)."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.permissions import is_bureau_reviewer
from draws.selectors import draws_for
from experts.choices import TitleLevel
from experts.export_views import ExportForm
from experts.exports import numbers, record_short_export, title_block
from fees import services
from fees.forms import FeeFormSet
from fees.tax import gross_for
from portal.views import posted, role_required
from portal.xlsx import xlsx_response


def _draw(request, pk):
    return get_object_or_404(draws_for(request.user).select_related("void"), pk=pk)


def _initial(attendee: services.Attendee) -> dict:
    fee = attendee.fee
    if fee is not None:
        return {
            "application": attendee.application.pk,
            "days": fee.days,
            "amount": fee.amount,
            "note": fee.note,
        }
    return {
        "application": attendee.application.pk,
        "days": Decimal("1"),
        "amount": attendee.standard_amount,
    }


@never_cache
@role_required(is_bureau_reviewer)
def fee_sheet(request, pk):
    """The attendees, each with 评审天数, 应发金额 (the standard for their 职称级别 until saved),
    the tax and 实发 as saved; 保存 records them all."""
    draw = _draw(request, pk)
    attendees = services.attendees(draw)
    reason = services.closed(draw)
    formset = FeeFormSet(initial=[_initial(attendee) for attendee in attendees], prefix="fee")
    status = 200
    if request.method == "POST" and reason:
        messages.error(request, f"劳务费未保存：{reason}")
        status = 409
    elif request.method == "POST":
        formset = FeeFormSet(request.POST, prefix="fee")
        if formset.is_valid():
            entries = [
                services.Entry(
                    form.cleaned_data["application"],
                    form.cleaned_data["days"],
                    form.cleaned_data["amount"],
                    form.cleaned_data["note"],
                )
                for form in formset
            ]
            try:
                changed = services.save(request.user, draw, entries)
            except services.FeeError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    f"已保存劳务费（{changed}人有变化）。" if changed else "劳务费没有变化。",
                )
            return redirect("fees:sheet", draw.pk)
        messages.error(request, "劳务费未保存，请按提示修改。")
        status = 400
    by_id = {attendee.application.pk: attendee for attendee in attendees}
    rows = [(_attendee_of(form, by_id), form) for form in formset]
    return render(
        request,
        "fees/fee_sheet.html",
        {
            "draw": draw,
            "reason": reason,
            "formset": formset,
            "rows": rows,
            "per_day": {
                "senior": services.per_day(TitleLevel.SENIOR),
                "other": services.per_day(TitleLevel.OTHER),
                "senior_gross": gross_for(services.per_day(TitleLevel.SENIOR)),
                "other_gross": gross_for(services.per_day(TitleLevel.OTHER)),
            },
            "totals": _totals(attendees),
            "recorded": sum(attendee.fee is not None for attendee in attendees),
            "left_off": services.left_off(draw, attendees),
        },
        status=status,
    )


def _attendee_of(form, by_id: dict) -> "services.Attendee | None":
    """The attendee a row of the form is for (a posted row names them by its hidden field)."""
    try:
        return by_id.get(int(form["application"].value()))
    except (TypeError, ValueError):
        return None


def _totals(attendees) -> dict[str, Decimal]:
    fees = [attendee.fee for attendee in attendees if attendee.fee is not None]
    return {
        "amount": sum((fee.amount for fee in fees), Decimal("0")),
        "tax": sum((fee.tax for fee in fees), Decimal("0")),
        "net": sum((fee.net for fee in fees), Decimal("0")),
    }


COLUMNS = [
    ("序号", 6),
    ("姓名", 10),
    ("工作单位", 24),
    ("专业技术职称", 12),
    ("证件类型", 10),
    ("证件号码", 20),
    ("开户银行", 20),
    ("银行账号", 24),
    ("手机", 14),
    ("评审天数", 8),
    ("应发金额（元）", 12),
    ("代扣个人所得税（元）", 14),
    ("实发金额（元）", 12),
    ("备注", 16),
    ("领款人签字", 12),
]


@never_cache
@role_required(is_bureau_reviewer)
def fee_export(request, pk):
    """劳务费发放表: every attendee whose fee is recorded, a row each and a 合计 row, the
    draw's project, time and place first. Audited as every export of experts is."""
    draw = _draw(request, pk)
    paid = [attendee for attendee in services.attendees(draw) if attendee.fee is not None]
    form = ExportForm(*posted(request))
    if not paid or not (form.is_bound and form.is_valid()):
        status = 400 if form.is_bound else 200
        context = {"draw": draw, "form": form, "count": len(paid)}
        return render(request, "fees/fee_export.html", context, status=status)
    scope, reason = form.cleaned_data["scope"], form.cleaned_data["reason"].strip()
    record_short_export(
        request,
        draw,
        what=f"劳务费发放表：抽取记录{draw.pk}",
        scope=scope,
        reason=reason,
        ids=[attendee.application.pk for attendee in paid],
    )
    rows = []
    for number, attendee in enumerate(paid, start=1):
        application, fee = attendee.application, attendee.fee
        mobile, id_number, bank_account, _ = numbers(application, scope=scope)
        rows.append(
            [
                number,
                attendee.member.pick.expert_name,
                attendee.member.pick.unit_name,
                application.title,
                application.user.get_id_type_display(),
                id_number,
                application.bank_name,
                bank_account,
                mobile,
                fee.days,
                fee.amount,
                fee.tax,
                fee.net,
                fee.note,
                "",
            ]
        )
    totals = _totals(paid)
    rows.append(
        [
            "合计",
            f"{len(paid)}人",
            *[""] * 8,
            totals["amount"],
            totals["tax"],
            totals["net"],
            "",
            "",
        ]
    )
    block = title_block(
        user=request.user,
        filter_text="确认参加评审且已登记劳务费的专家",
        filter_label="名单范围",
        count=len(paid),
        scope=scope,
        reason=reason,
        extra=[
            ("项目名称", draw.project_name),
            ("评审时间", f"{timezone.localtime(draw.review_at):%Y-%m-%d %H:%M}"),
            ("评审地点", draw.review_place),
            ("抽取记录编号", draw.pk),
            (
                "个人所得税",
                "按劳务报酬所得预扣预缴计算（每次收入不超过4000元的减除800元，"
                "超过的减除20%，再按20%–40%预扣率计算），以财务部门实际代扣为准",
            ),
        ],
    )
    return xlsx_response(
        f"专家劳务费发放表-{draw.pk}.xlsx",
        sheet_title="劳务费发放表",
        title_block=block,
        columns=[header for header, _ in COLUMNS],
        widths=[width for _, width in COLUMNS],
        rows=rows,
    )
