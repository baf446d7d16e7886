"""专家抽取, for bureau reviewers only: the list of draws, a new draw (form, then a confirmation
page with the eligible counts), a draw's record with its panel, and the 复核."""

import re
import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.permissions import is_bureau_reviewer
from audit.log import record
from audit.models import AuditEvent
from draws import fairness, services
from draws.forms import (
    MAX_QUOTA_ROWS,
    AnswerForm,
    DrawForm,
    EvaluationForm,
    VerifyForm,
    VoidForm,
    from_pool,
    quota_formset,
    with_one_more_row,
)
from draws.models import Evaluation, Pick, Quota, Round
from draws.rules import Criteria
from draws.selectors import (
    CANCELLED_PLACE,
    draws_for,
    evaluation_rows,
    evaluations_of,
    list_states,
    log,
    panel,
    record_rounds,
    review_over,
    sign_sheet,
    verify,
    voided_before,
    voided_of_project,
)
from experts.export_views import ExportForm
from experts.exports import expert_list_response, record_short_export, title_block
from experts.models import Discipline, ExpertApplication
from portal.views import PAGE_SIZE, posted, role_required

CONFIRMED = "confirmed"  # the confirmation page's button: draw now
ADD_ROW = "add_row"  # the form's 增加一行: the form again with one more quota row
TOKEN = re.compile(r"[0-9a-f]{32}")


@role_required(is_bureau_reviewer)
def draw_list(request):
    draws = draws_for(request.user).order_by("-created_at", "-pk")
    page = Paginator(draws, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return render(
        request,
        "draws/draw_list.html",
        {
            "page": page,
            "rows": rows,
            "states": list_states(rows),
            "voided_before": voided_before(request.user, rows),
        },
    )


@role_required(is_bureau_reviewer)
def draw_new(request):
    """GET: the form. POST: the confirmation page (what will be drawn, and from how many), or,
    from that page's 确认抽取, the draw itself. A refused draw saves nothing and keeps what
    was typed."""
    data = request.POST if request.method == "POST" else None
    # 按当前条件抽取 on 专家库: its filters (the list's query string) as the form's first values.
    start = from_pool(request.GET) if data is None and request.GET else None
    form = DrawForm(data, user=request.user, initial=start.initial if start else None)
    quotas = quota_formset(data, initial=start.quota_initial if start else None)
    context = {"form": form, "quotas": quotas, "start": start, "max_rows": MAX_QUOTA_ROWS}
    if data is not None and ADD_ROW in data:
        context["form"], context["quotas"] = with_one_more_row(form, quotas)
        return render(request, "draws/draw_new.html", context)
    editing = data is not None and "edit" in data  # 返回修改: the form again, as it was filled
    if data is None or editing or not (form.is_valid() and quotas.is_valid()):
        status = 400 if data is not None and not editing else 200
        return render(request, "draws/draw_new.html", context, status=status)
    criteria, asks = form.criteria(), quotas.asks()
    counts = services.count_eligible(
        request.user, criteria, asks, review_at=form.cleaned_data["review_at"]
    )
    short = [
        services.NotEnough(row, ask.discipline.name, have, ask.count + ask.reserves)
        for (row, ask), have in zip(services.numbered(asks), counts, strict=True)
        if have < ask.count + ask.reserves
    ]
    token = request.POST.get("token", "")
    if not short and CONFIRMED in request.POST and TOKEN.fullmatch(token):
        try:
            draw = services.make_draw(
                request.user,
                project_name=form.cleaned_data["project_name"],
                review_at=form.cleaned_data["review_at"],
                review_place=form.cleaned_data["review_place"],
                criteria=criteria,
                asks=asks,
                token=token,
            )
        except services.NotEnough as error:
            short = [error]
        except services.AlreadyDrawn as done:
            messages.info(
                request,
                f"本次抽取已于此前确认（抽取记录编号 {done.draw.pk}），重复提交未再次抽取。",
            )
            return redirect("draws:detail", done.draw.pk)
        else:
            messages.success(request, f"已完成抽取（抽取记录编号 {draw.pk}）。")
            return redirect("draws:detail", draw.pk)
    # Each confirmation page its own number: 确认抽取 sent again from it draws nothing more.
    context["token"] = secrets.token_hex(16)
    for error in short:
        quotas.add_shortfall(error)
    context.update(
        asks=list(zip(asks, counts, strict=True)),
        criteria=criteria,
        overlaps=_overlaps(asks),
        voided=voided_of_project(request.user, form.cleaned_data["project_name"]),
    )
    template = "draws/draw_new.html" if short else "draws/draw_confirm.html"
    return render(request, template, context, status=400 if short else 200)


def _overlaps(asks) -> list[str]:
    """Rows whose 专业领域 is a sub-field of an earlier row's field, or the field of an earlier
    row's sub-field: their experts are counted in both, and the earlier row may take them."""
    said = []
    rows = services.numbered(asks)
    for place, (n, ask) in enumerate(rows):
        for m, earlier in rows[:place]:
            mine, theirs = ask.discipline, earlier.discipline
            if theirs.pk == mine.parent_id or mine.pk == theirs.parent_id:
                said.append(
                    f"第{n}行“{mine.name}”与第{m}行“{theirs.name}”同属一个领域：第{m}行先抽，"
                    f"可能抽走第{n}行的专家，第{n}行实际可抽的人数可能少于下表所示；"
                    "人数不足时不会抽取，也不保存任何记录。"
                )
    return said


def _draw(request, pk):
    return get_object_or_404(draws_for(request.user), pk=pk)


@role_required(is_bureau_reviewer)
def draw_detail(request, pk):
    return _detail_page(request, _draw(request, pk))


def _detail_page(
    request,
    draw,
    *,
    void_form=None,
    reason_needed=None,
    evaluation_refused=None,
    status=200,
):
    """The record's page; `void_form`, a refused 作废, comes back open with its error;
    `reason_needed` (services.ReasonNeeded), a 不参加 without its reason, marks that expert's
    reason field; `evaluation_refused` (services.CommentNeeded), a 专家评价 without the comment
    its grade needs, marks that expert's comment field and keeps the grade chosen. Once the
    评审时间 has passed, the 专家评价 of the members who confirmed (one query more)."""
    quotas = panel(draw)
    events = draw.event_set.select_related("application__user", "actor")
    over = review_over(draw)
    evaluated = evaluations_of(draw) if over else {}
    return render(
        request,
        "draws/draw_detail.html",
        {
            "draw": draw,
            "criteria": Criteria.from_json(draw.criteria),
            "quotas": quotas,
            "log": log(draw, quotas, events, evaluated),
            "voided_before": voided_before(request.user, [draw])[draw.pk],
            "void_form": void_form,
            "reason_needed": reason_needed,
            "review_over": over,
            "evaluations": evaluation_rows(quotas, evaluated) if over else [],
            "evaluation_refused": evaluation_refused,
            "grades": Evaluation.Grade.choices,
            # Whom a 作废 would text that they need not come (draws.services.void).
            "told": sum(m.notified and not m.declined for q in quotas for m in q.members),
        },
        status=status,
    )


@never_cache
@role_required(is_bureau_reviewer)
def draw_sheet(request, pk):
    """签到表: the panel as it stands on a print-friendly page (项目, 评审时间和地点, 抽取编号;
    序号, 姓名, 工作单位, 职称, 专业领域 and an empty 签名 column). No 证件号码 and no 手机: the
    sheet goes round the review room, and a list of many masks the mobiles (may_read_mobile).
    A printed list of experts leaves the portal as an export's file does, so each showing is
    recorded in the audit trail as the draw's export is (导出专家名单, the draw as object).
    A 作废 draw called nobody: its sheet lists no one (a table with a 签名 column would read as
    a panel to call, whatever box stands above it), so nothing leaves and nothing is recorded."""
    draw = _draw(request, pk)
    if draw.voided:
        return render(
            request,
            "draws/draw_sheet.html",
            {"draw": draw, "sheet": None, "printed_at": timezone.now()},
        )
    sheet = sign_sheet(draw, panel(draw))
    _printed(request, draw, "签到表", len(sheet.confirmed) + len(sheet.pending))
    return render(
        request,
        "draws/draw_sheet.html",
        {"draw": draw, "sheet": sheet, "printed_at": timezone.now()},
    )


def _printed(request, draw, paper: str, listed: int) -> None:
    """A printed list of experts leaves the portal as an export's file does: the 签到表 and the
    抽取记录 are each recorded as the draw's export is (导出专家名单, the draw as object)."""
    record(
        AuditEvent.Action.EXPORT,
        request=request,
        obj=draw,
        detail=f"打印{paper}：抽取记录：{draw.pk}；人数：{listed}；不含证件号码和联系方式",
    )


@never_cache
@role_required(is_bureau_reviewer)
def draw_record(request, pk):
    """打印抽取记录: the whole record on a print-friendly page, for the archive (归档) and the
    supervisor (纪检监察) to sign on paper: the project, who drew and when, the rules as
    recorded, each 专业领域's quota with each round's eligible count, seed and digest (what a
    复核 needs), every expert each round chose (name, unit and title as drawn) and how they
    answered, once the review is over each member's 专家评价, the steps, and lines to sign. No
    证件号码 and no 手机. Unlike the 签到表, a 作废 draw's record is printed too (the archive
    keeps it), under its 已作废 box. Each showing is
    recorded in the audit trail as the 签到表's is (导出专家名单, the draw as object)."""
    draw = _draw(request, pk)
    quotas = panel(draw)
    events = list(draw.event_set.select_related("application__user", "actor"))
    rounds = record_rounds(draw, quotas, events)
    listed = len({line.pick.application_id for q in rounds for r in q.rounds for line in r.lines})
    over = review_over(draw)
    evaluated = evaluations_of(draw) if over else {}
    _printed(request, draw, "抽取记录", listed)
    return render(
        request,
        "draws/draw_record.html",
        {
            "draw": draw,
            "criteria": Criteria.from_json(draw.criteria),
            "quotas": rounds,
            "log": log(draw, quotas, events, evaluated),
            "voided_before": voided_before(request.user, [draw])[draw.pk],
            "review_over": over,
            "evaluations": evaluation_rows(quotas, evaluated) if over else [],
            "printed_at": timezone.now(),
        },
    )


def _step(request, draw, step, done):
    """Run a step on the record; tell the reviewer `done`, str.format()ed with the step's
    result, or what done(request, result) says itself."""
    try:
        result = step()
    except services.DrawError as error:
        messages.error(request, str(error))
    else:
        if callable(done):
            done(request, result)
        else:
            messages.success(request, done.format(result=result))
    return redirect("draws:detail", draw.pk)


@require_POST
@role_required(is_bureau_reviewer)
def draw_answer(request, pk):
    draw = _draw(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请求无效，请刷新页面后重试。")
        return redirect("draws:detail", draw.pk)
    data = form.cleaned_data
    try:
        event = services.answer(
            request.user, draw, data["application"], data["action"], data["reason"]
        )
    except services.ReasonNeeded as missing:
        # The page itself, as for a refused 作废: the error under that expert's reason field,
        # which portal.js focuses (a redirect would leave the reviewer at the page's top).
        messages.error(request, str(missing))
        return _detail_page(request, draw, reason_needed=missing, status=400)
    except services.DrawError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已记录：{event}。")
    return redirect("draws:detail", draw.pk)


@require_POST
@role_required(is_bureau_reviewer)
def draw_evaluate(request, pk):
    """保存评价: the 专家评价 of one member who confirmed, once the review is over. A correction
    is a new evaluation; the page shows the latest and that it was corrected."""
    draw = _draw(request, pk)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        field = "grade" if "grade" in form.errors else next(iter(form.errors))
        message = (
            form.errors[field][0] if field != "application" else "请求无效，请刷新页面后重试。"
        )
        messages.error(request, message)
        return redirect(f"{reverse('draws:detail', args=[draw.pk])}#evaluations")
    data = form.cleaned_data
    try:
        evaluation = services.evaluate(
            request.user, draw, data["application"], data["grade"], data["comment"]
        )
    except services.CommentNeeded as missing:
        # The page itself, as for a 不参加 without its reason: the error under that expert's
        # comment field, the grade chosen kept (a redirect would lose it).
        messages.error(request, str(missing))
        return _detail_page(request, draw, evaluation_refused=missing, status=400)
    except services.DrawError as error:
        messages.error(request, str(error))
    else:
        name = evaluation.application.user.real_name
        messages.success(request, f"已保存对{name}的评价：{evaluation.get_grade_display()}。")
    return redirect(f"{reverse('draws:detail', args=[draw.pk])}#evaluations")


@require_POST
@role_required(is_bureau_reviewer)
def draw_fill(request, pk, quota):
    """补抽 for one quota: 递补 the next 备选 (how=reserve), or a fresh draw (how=fresh)."""
    draw = _draw(request, pk)
    quota = get_object_or_404(Quota, draw=draw, number=quota)
    how = request.POST.get("how")
    if how not in ("reserve", "fresh"):
        messages.error(request, "请求无效，请刷新页面后重试。")
        return redirect("draws:detail", draw.pk)
    if how == "fresh":
        return _step(
            request,
            draw,
            lambda: services.redraw(request.user, draw, quota),
            "已按原条件重新抽取（第{result.number}轮）。",
        )
    return _step(request, draw, lambda: services.call_reserve(request.user, draw, quota), _called)


def _called(request, result: services.CalledUp) -> None:
    """Who was called up, and who was passed over and why (none passing is a DrawError that
    names them and says 按原条件重新抽取)."""
    skipped = f"已跳过备选专家{'、'.join(result.skipped)}。" if result.skipped else ""
    messages.success(request, f"已递补备选专家{result.member.expert_name}。" + skipped)


@require_POST
@role_required(is_bureau_reviewer)
def draw_void(request, pk):
    """作废 a draw made in error, with the reason (the page asks to confirm first)."""
    draw = _draw(request, pk)
    form = VoidForm(request.POST)
    if not draw.voided and not form.is_valid():
        # The page itself, not a redirect: the folded 作废 form stays open, its error beside
        # the reason, which portal.js focuses (a redirect would fold it and hide the field).
        messages.error(request, form.errors["reason"][0])
        return _detail_page(request, draw, void_form=form, status=400)
    return _step(
        request,
        draw,
        lambda: services.void(request.user, draw, request.POST.get("reason", "")),
        _voided,
    )


def _voided(request, result: services.Voided) -> None:
    """Of SMS only when some were told of the review (and so are now told it is off)."""
    if result.told:
        messages.success(
            request,
            f"已作废本次抽取；已向此前短信通知的{result.told}位专家发送取消通知，"
            "短信将在几秒内发出。",
        )
    else:
        messages.success(request, "已作废本次抽取。")


@require_POST
@role_required(is_bureau_reviewer)
def draw_notify(request, pk):
    draw = _draw(request, pk)
    return _step(
        request,
        draw,
        lambda: services.notify(request.user, draw),
        _notified,
    )


def _notified(request, result: services.Notified) -> None:
    if result.sent:
        messages.success(
            request, f"已将评审时间和地点短信通知{result.sent}位专家，短信将在几秒内发出。"
        )
    if result.left_out:
        messages.warning(
            request,
            f"{'、'.join(result.left_out)}当前不是“审核通过”状态，不能参加评审，未发短信通知。"
            "请为其记录“不参加”，并按需补抽。",
        )
    if not result.sent and not result.left_out:
        messages.info(request, "抽中的专家均已通知或已记录不参加，没有需要通知的专家。")


@role_required(is_bureau_reviewer)
def draw_verify(request, pk):
    """复核: re-run every round from its record. ?round=<pk>&seed=<hex> re-runs one round with
    another seed instead, which shows the mismatch a changed seed makes."""
    draw = _draw(request, pk)
    rounds = Round.objects.filter(quota__draw=draw).values_list("pk", flat=True)
    form = VerifyForm(request.GET or None, rounds=rounds)
    seeds = {}
    if form.is_valid() and form.cleaned_data["seed"]:
        seeds = {form.cleaned_data["round"]: form.cleaned_data["seed"]}
    checks = verify(draw, seeds)
    shown = {pk for check in checks for pk in [*check.recomputed, *check.round.picked_ids]}
    # The drawn by their names as drawn; an expert only another seed would have chosen (验算)
    # was never drawn, and is named as today.
    names = dict(Pick.objects.filter(draw=draw).values_list("application_id", "expert_name"))
    names.update(
        ExpertApplication.objects.filter(pk__in=shown - names.keys()).values_list(
            "pk", "user__real_name"
        )
    )
    # A seed refused for one of this draw's rounds: that round's field keeps what was typed,
    # marked, and the message at the top names the round.
    refused = None
    if "seed" in form.errors and form.cleaned_data.get("round") in form.rounds:
        refused = next(c for c in checks if c.round.pk == form.cleaned_data["round"])
    return render(
        request,
        "draws/draw_verify.html",
        {"draw": draw, "checks": checks, "names": names, "form": form, "refused": refused},
    )


@never_cache
@role_required(is_bureau_reviewer)
def round_eligible(request, pk, round_pk):
    """One round's eligible ids as the text its digest is of (draws.fairness.eligible_text): with
    the seed, what checking the round by hand needs (README). Numbers only, no names."""
    drawn = get_object_or_404(Round.objects.filter(quota__draw=_draw(request, pk)), pk=round_pk)
    response = HttpResponse(
        fairness.eligible_text(drawn.eligible_ids), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="draw-{pk}-round-{drawn.pk}-eligible.txt"'
    )
    return response


# The cells a draw's export puts before each expert's own: which row, in what role, answered how,
# and the name and unit as drawn (the record's). 抽取领域 is the quota's, named as when drawn;
# the expert's own columns (专业领域, 姓名, 工作单位 …) that follow are as they are today.
EXPORT_LEAD = [
    ("抽取领域", 16),
    ("身份", 8),
    ("序号", 6),
    ("状态", 14),
    ("抽取时姓名", 10),
    ("抽取时工作单位", 24),
]


def _export_rows(quotas, voided=False) -> list[tuple[int, list]]:
    """(application pk, lead cells) of every expert a draw chose, in the record's order: each
    row's members (a 备选 called up among them as 递补, one of a fresh round as 补抽), then
    its 备选 not called up. In a `voided` draw every place not declined reads 已取消, as the
    draw's page says, and those texted before were texted that it is off (services.void)."""
    rows = []
    for q in quotas:
        name = q.quota.discipline_name
        reserves = {r.pick.application_id for r in q.reserves}
        round_numbers = {r.pk: r.number for r in q.rounds}
        for member in q.members:
            pick = member.pick
            if pick.application_id in reserves:
                role = "递补"
            else:
                role = "补抽" if round_numbers.get(pick.round_id, 1) > 1 else "抽中"
            status = member.status + (f"（{member.answer.reason}）" if member.declined else "")
            if member.notified:
                status += "，已短信通知"
            if voided and not member.declined:
                was = f"原为{member.status}" + ("，已短信通知取消" if member.notified else "")
                status = f"{CANCELLED_PLACE}（{was}）"
            rows.append(
                (
                    pick.application_id,
                    [name, role, pick.position, status, pick.expert_name, pick.unit_name],
                )
            )
        for reserve in q.reserves:
            if not reserve.called:
                pick = reserve.pick
                rows.append(
                    (
                        pick.application_id,
                        [
                            name,
                            "备选",
                            pick.position,
                            f"{CANCELLED_PLACE}（未递补）" if voided else "未递补",
                            pick.expert_name,
                            pick.unit_name,
                        ],
                    )
                )
    return rows


def _void_lines(draw) -> list[tuple[str, str]]:
    """The export's first head row of a voided draw: that it was, when, by whom and why (a
    sheet passed on alone must not read as a panel to call)."""
    voided = draw.voided
    if voided is None:
        return []
    who = voided.actor.real_name or voided.actor.username
    return [
        (
            "抽取状态",
            f"已作废：{timezone.localtime(voided.created_at):%Y-%m-%d %H:%M} 由{who}作废，"
            f"理由：{voided.reason}。本名单不是评审专家名单，名单中的专家均无需参加。",
        )
    ]


def _quota_lines(quotas) -> list[tuple[str, str]]:
    """The export's head rows for each 专业领域: how many were asked for, and each round's
    eligible count and seed (what a 复核 needs besides the eligible ids, which stay in the
    record)."""
    lines = []
    for q in quotas:
        rounds = "；".join(
            f"第{r.number}轮{'（补抽）' if r.number > 1 else ''}符合条件{r.eligible_count}人，"
            f"随机种子{r.seed}"
            for r in q.rounds
        )
        lines.append(
            (
                f"抽取名额：{q.quota.discipline_name}",
                f"抽取{q.quota.count}人，备选{q.quota.reserves}人。{rounds}",
            )
        )
    return lines


@never_cache
@role_required(is_bureau_reviewer)
def draw_export(request, pk):
    """导出Excel of a draw record: its experts, masked unless 含联系方式 (the mobiles: a call
    list for the panel) or 含敏感信息 with a reason; each export is recorded in the audit
    trail (as the pool's are), and with numbers whole, who was in it."""
    draw = _draw(request, pk)
    form = ExportForm(*posted(request))
    quotas = panel(draw)
    rows = _export_rows(quotas, voided=draw.voided is not None)
    if not (form.is_bound and form.is_valid()):
        context = {"draw": draw, "form": form, "count": len(rows)}
        status = 400 if form.is_bound else 200
        return render(request, "draws/draw_export.html", context, status=status)
    scope, reason = form.cleaned_data["scope"], form.cleaned_data["reason"].strip()
    criteria = Criteria.from_json(draw.criteria)
    record_short_export(
        request,
        draw,
        what=f"抽取记录：{draw.pk}",
        scope=scope,
        reason=reason,
        ids=[pk for pk, _ in rows],
    )
    loaded = ExpertApplication.objects.select_related("user__unit").prefetch_related(
        Prefetch("disciplines", queryset=Discipline.objects.order_by("code"))
    )
    applications = loaded.in_bulk([pk for pk, _ in rows])
    lead = dict(rows)
    block = title_block(
        user=request.user,
        filter_text=criteria.in_words(),
        filter_label="抽取条件",
        count=len(rows),
        scope=scope,
        reason=reason,
        extra=[
            *_void_lines(draw),
            ("项目名称", draw.project_name),
            ("评审时间", f"{timezone.localtime(draw.review_at):%Y-%m-%d %H:%M}"),
            ("评审地点", draw.review_place),
            ("抽取记录编号", draw.pk),
            *_quota_lines(quotas),
        ],
    )
    return expert_list_response(
        f"专家抽取记录-{draw.pk}.xlsx",
        title_block=block,
        applications=[applications[pk] for pk, _ in rows],
        scope=scope,
        sheet_title="抽取结果",
        lead_columns=EXPORT_LEAD,
        lead=lambda application: lead[application.pk],
    )
