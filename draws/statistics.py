"""统计分析's 专家抽取 figures: the draws made in the chosen range (by 抽取时间), never a 作废 one,
from the role's scope (draws.selectors.draws_for: the bureau's, nobody else's), one grouped
query per figure (two for 抽取（按月）: its draws, and its experts as the yearly cap counts
them) whatever the number of draws.

What each figure counts, of those draws:
- 抽取（按月）: the draws and the experts they drew (抽中, a 备选 called up by 递补 and one
  drawn by 补抽 included), each draw in the month it was made;
- 抽中专家答复: each expert drawn by the answer recorded last (确认参加 may still turn into
  不参加; 不参加 is final, draws.services.answer), or none yet (待确认);
- 不参加理由: the reasons recorded with 不参加, the same text grouped, the most given first;
- 递补与补抽: the experts put in a declined expert's place, by 递补 (a 备选 called up) or by
  补抽 (a fresh round under the draw's rules), and how many 补抽 rounds;
- 抽中次数最多的专家: the experts drawn most often, by their name and unit today.
"""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from draws import rules
from draws.models import Draw, Event, Pick
from draws.selectors import PENDING, draws_for
from experts.statistics import Chart, Periods, in_range

TOP_EXPERTS = 20
TOP_REASONS = 10
# Under every figure: a 作废 draw was made in error and called nobody.
VOID_NOTE = "已作废的抽取不计入。"


def draws_in_range(user, start, end) -> QuerySet[Draw]:
    """The draws `user` may see made from `start` to `end` (local days), 作废 ones left out."""
    return draws_for(user).filter(in_range("created_at", start, end), void__isnull=True)


def _members(draws) -> QuerySet[Pick]:
    """The experts `draws` drew: the picks draws.rules counts (member rows, a 备选 called up
    has one too, of a draw not 作废), one rule for the cool-down, the cap and these figures."""
    return rules.counted_picks().filter(draw__in=draws).order_by()


def by_month(draws, start, end) -> Chart:
    """The draws and their experts per month (per year past Periods' limit), from two queries
    grouped by the day each draw was made: the draws, and their experts as _members counts."""
    periods = Periods.of(start, end)
    made = draws.order_by().annotate(day=TruncDate("created_at")).values_list("day")
    drawn = _members(draws).annotate(day=TruncDate("draw__created_at")).values_list("day")
    counted: dict = {}
    for column, grouped in enumerate((made, drawn)):
        for day, n in grouped.annotate(n=Count("*")):
            totals = counted.setdefault(periods.bucket(day), [0, 0])
            totals[column] += n
    rows = [(periods.label(p), *counted.get(p, (0, 0))) for p in periods.starts]
    unit = "年" if periods.yearly else "月"
    return Chart(
        "draw_months",
        f"专家抽取（按{unit}）",
        f"所选期间内每{unit}的抽取次数和抽中专家人次（含递补、补抽），按抽取时间计",
        rows,
        columns=("年份" if periods.yearly else "月份", "抽取次数", "抽中人次"),
        note=VOID_NOTE,
    )


def answers(draws) -> Chart:
    """Each expert drawn by their answer, from one query grouped by whether a 不参加 and a
    确认参加 were recorded: 不参加 is final, so it is the last answer wherever it is."""
    recorded = Event.objects.filter(draw=OuterRef("draw"), application=OuterRef("application"))
    grouped = (
        _members(draws)
        .annotate(
            declined=Exists(recorded.filter(action=Event.Action.DECLINE)),
            confirmed=Exists(recorded.filter(action=Event.Action.CONFIRM)),
        )
        .values_list("declined", "confirmed")
        .annotate(n=Count("*"))
    )
    counted = {Event.Action.CONFIRM: 0, Event.Action.DECLINE: 0, PENDING: 0}
    for declined, confirmed, n in grouped:
        if declined:
            counted[Event.Action.DECLINE] += n
        elif confirmed:
            counted[Event.Action.CONFIRM] += n
        else:
            counted[PENDING] += n
    return Chart(
        "draw_answers",
        "抽中专家答复",
        "所选期间内的抽取中每位抽中专家（含递补、补抽）最后记录的答复；尚未记录的为待确认",
        [
            (Event.Action.CONFIRM.label, counted[Event.Action.CONFIRM]),
            (Event.Action.DECLINE.label, counted[Event.Action.DECLINE]),
            (PENDING, counted[PENDING]),
        ],
        columns=("答复", "人次"),
        note=VOID_NOTE,
    )


def decline_reasons(draws) -> Chart:
    """The TOP_REASONS reasons given most often with 不参加, the same text counted together,
    ties by the text: one grouped query."""
    rows = list(
        Event.objects.filter(draw__in=draws, action=Event.Action.DECLINE)
        .order_by()
        .values_list("reason")
        .annotate(n=Count("*"))
        .order_by("-n", "reason")[:TOP_REASONS]
    )
    return Chart(
        "draw_reasons",
        f"不参加理由（前{TOP_REASONS}位）",
        "所选期间内的抽取中记录为不参加的理由，按填写的文字分组，次数多的在前",
        rows,
        columns=("理由", "次数"),
        note=VOID_NOTE,
        total_label=f"以上{len(rows)}种理由合计",
    )


def replacements(draws) -> Chart:
    """The experts put in a declined one's place: by 递补 (a member who was the draw's 备选
    first: a 补抽 round draws no 备选 and never one the draw chose before), by 补抽 (a member
    of a round after the first), and the 补抽 rounds, in one aggregate query."""
    reserve = Pick.objects.filter(
        draw=OuterRef("draw"), application=OuterRef("application"), role=Pick.Role.RESERVE
    )
    redrawn = Q(round__number__gt=1)
    counted = _members(draws).aggregate(
        called=Count("pk", filter=Q(Exists(reserve))),
        redrawn=Count("pk", filter=redrawn),
        rounds=Count("round", distinct=True, filter=redrawn),
    )
    return Chart(
        "draw_replacements",
        "递补与补抽",
        "所选期间内的抽取中，专家不参加后补入的专家人次：递补为从备选专家中依次递补，"
        f"补抽为按原条件重新抽取（共{counted['rounds']}轮）",
        [("递补", counted["called"]), ("补抽", counted["redrawn"])],
        columns=("方式", "人次"),
        note=VOID_NOTE,
    )


def most_drawn(draws) -> Chart:
    """The TOP_EXPERTS experts drawn most often, ties by name: one grouped query, with each
    expert's name and unit as they are today."""
    rows = [
        (name, unit or "—", n)
        for _, name, unit, n in _members(draws)
        .values_list("application", "application__user__real_name", "application__unit__name")
        .annotate(n=Count("*"))
        .order_by("-n", "application__user__real_name", "application")[:TOP_EXPERTS]
    ]
    return Chart(
        "draw_experts",
        f"抽中次数最多的{TOP_EXPERTS}位专家",
        "所选期间内的抽取中抽中（含递补、补抽）的次数，姓名和工作单位为当前信息",
        rows,
        columns=("姓名", "工作单位", "抽中次数"),
        note=VOID_NOTE,
        total_label=f"以上{len(rows)}位专家合计",
    )


def collect(user, start, end) -> dict:
    draws = draws_in_range(user, start, end)
    return {
        "draw_months": by_month(draws, start, end),
        "draw_charts": [answers(draws), decline_reasons(draws), replacements(draws)],
        "draw_experts": most_drawn(draws),
    }
