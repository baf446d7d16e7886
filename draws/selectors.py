"""Reading a draw's record: the panel as it stands, the 复核, and an expert's own draws."""

import collections
import dataclasses

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.permissions import is_bureau_reviewer
from draws import fairness, rules
from draws.models import Draw, Evaluation, Event, Pick, Quota, Round, Void
from experts.models import ApplicationStatus


def draws_for(user) -> QuerySet[Draw]:
    """The draws `user` may see: a bureau reviewer's all of them; nobody else's any (units
    never see draws; an expert sees their own through own_draws, not the records)."""
    if is_bureau_reviewer(user):
        return Draw.objects.select_related("created_by", "void__actor")
    return Draw.objects.none()


def voided_before(user, draws) -> dict[int, list[Void]]:
    """For each of `draws` (a page of the list, or one draw), the 作废 of the draws of the same
    项目名称 made before it, oldest first, in one query: voiding a draw and drawing again shows
    as a trail on the later one (a result drawn until it suited would otherwise leave none)."""
    draws = list(draws)
    names = {draw.project_name for draw in draws}
    voids = list(
        Void.objects.filter(draw__in=draws_for(user), draw__project_name__in=names)
        .select_related("draw", "actor")
        .order_by("draw__created_at", "draw__pk")
    )
    return {
        draw.pk: [
            void
            for void in voids
            if void.draw.project_name == draw.project_name
            and (void.draw.created_at, void.draw.pk) < (draw.created_at, draw.pk)
        ]
        for draw in draws
    }


def voided_of_project(user, project_name: str) -> list[Void]:
    """The 作废 of the draws named `project_name`, oldest first: what the new-draw
    confirmation warns of."""
    return list(
        Void.objects.filter(draw__in=draws_for(user), draw__project_name=project_name)
        .select_related("draw", "actor")
        .order_by("draw__created_at", "draw__pk")
    )


@dataclasses.dataclass
class ListState:
    """What 专家抽取's list says of one draw: the places asked for, and of the experts chosen
    for them, how many confirmed, declined or have not answered yet."""

    places: int = 0
    confirmed: int = 0
    declined: int = 0
    pending: int = 0
    # Once the review is over: the experts who confirmed and have no 专家评价 yet (待评价).
    to_evaluate: int = 0

    @property
    def open_places(self) -> int:
        """Places no expert holds (one declined and none called up or drawn in their stead):
        what 递补 or 补抽 still has to fill, as the draw's page counts them (QuotaPanel)."""
        return max(self.places - self.confirmed - self.pending, 0)


def list_states(draws, now=None) -> dict[int, ListState]:
    """ListState of each of `draws` (a page of the list), in three queries whatever its size:
    the places of their quotas, the experts chosen (抽中, a 备选 called up included, each with
    whether they have a 专家评价), and the answers, the last of each expert counting as on the
    draw's page (panel). 待评价 is counted for draws not 作废 whose 评审时间 is past."""
    now = now or timezone.now()
    draws = list(draws)
    over = {draw.pk for draw in draws if draw.review_at <= now and not draw.voided}
    ids = [draw.pk for draw in draws]
    states = {pk: ListState() for pk in ids}
    for draw_id, count in Quota.objects.filter(draw__in=ids).values_list("draw", "count"):
        states[draw_id].places += count
    answers = {}
    for draw_id, application_id, action in (
        Event.objects.filter(draw__in=ids, action__in=[Event.Action.CONFIRM, Event.Action.DECLINE])
        .order_by("created_at", "pk")
        .values_list("draw", "application", "action")
    ):
        answers[draw_id, application_id] = action
    evaluated = Evaluation.objects.filter(
        draw=OuterRef("draw"), application=OuterRef("application")
    )
    members = (
        Pick.objects.filter(draw__in=ids, role=Pick.Role.MEMBER)
        .annotate(evaluated=Exists(evaluated))
        .values_list("draw", "application", "evaluated")
    )
    for draw_id, application_id, has_evaluation in members:
        answer = answers.get((draw_id, application_id))
        state = states[draw_id]
        if answer == Event.Action.CONFIRM:
            state.confirmed += 1
            if draw_id in over and not has_evaluation:
                state.to_evaluate += 1
        elif answer == Event.Action.DECLINE:
            state.declined += 1
        else:
            state.pending += 1
    return states


@dataclasses.dataclass
class Member:
    pick: Pick
    answer: Event | None = None
    notified: bool = False

    @property
    def declined(self) -> bool:
        return self.answer is not None and self.answer.action == Event.Action.DECLINE

    @property
    def status(self) -> str:
        return self.answer.get_action_display() if self.answer else PENDING


@dataclasses.dataclass
class Reserve:
    pick: Pick
    called: bool

    @property
    def available(self) -> bool:
        """Not called up yet, and still 审核通过: what 递补 takes (services.call_reserve)."""
        return not self.called and rules.drawable(self.pick.application)


@dataclasses.dataclass
class QuotaPanel:
    quota: Quota
    rounds: list[Round]
    members: list[Member]
    reserves: list[Reserve]

    @property
    def open_places(self) -> int:
        return self.quota.count - sum(not member.declined for member in self.members)

    @property
    def reserves_left(self) -> int:
        return sum(reserve.available for reserve in self.reserves)


def panel(draw: Draw) -> list[QuotaPanel]:
    """Each quota of `draw` with its rounds, members (with their last answer and whether they
    were told by SMS) and 备选: four queries, whatever the panel's size."""
    quotas = list(Quota.objects.filter(draw=draw))
    rounds = (
        Round.objects.filter(quota__draw=draw)
        .defer("eligible_ids")
        .select_related("created_by")
        .order_by("number")
    )
    picks = (
        Pick.objects.filter(draw=draw)
        .select_related("application__user", "application__unit")
        .order_by("created_at", "pk")
    )
    events = Event.objects.filter(draw=draw).order_by("created_at", "pk")
    answers, notified = {}, set()
    for event in events:
        if event.action == Event.Action.NOTIFY:
            notified.add(event.application_id)
        elif event.action in (Event.Action.CONFIRM, Event.Action.DECLINE):
            answers[event.application_id] = event
    by_quota = {quota.pk: QuotaPanel(quota, [], [], []) for quota in quotas}
    for drawn in rounds:
        by_quota[drawn.quota_id].rounds.append(drawn)
    round_quota = {drawn.pk: drawn.quota_id for drawn in rounds}
    picks = list(picks)
    called = {pick.application_id for pick in picks if pick.role == Pick.Role.MEMBER}
    for pick in picks:
        quota_panel = by_quota[round_quota[pick.round_id]]
        if pick.role == Pick.Role.MEMBER:
            member = Member(pick, answers.get(pick.application_id), pick.application_id in notified)
            quota_panel.members.append(member)
        else:
            quota_panel.reserves.append(Reserve(pick, pick.application_id in called))
    for quota_panel in by_quota.values():
        quota_panel.members.sort(key=lambda member: member.pick.position)
    return list(by_quota.values())


@dataclasses.dataclass
class SheetRow:
    """One line of a 签到表: the expert as drawn (Pick: name, unit, title) and the 专业领域
    they were drawn for (the quota's, named as when drawn)."""

    pick: Pick
    discipline_name: str


@dataclasses.dataclass
class SignSheet:
    """The panel as it stands, for a 签到表: the experts 确认参加 and, apart, those who have
    not answered yet, each by quota and in the record's order; those 不参加 are left out (a
    备选 called up or an expert of a 补抽 in their place is a member of their own). Before the
    review, so are those no longer 审核通过 (frozen, leaving or 出库 since the draw), counted
    in `gone`: the reviewer records their 不参加 and fills the place as for any other. Once
    the review has begun the sheet is the panel that sat, whatever became of them since."""

    confirmed: list[SheetRow]
    pending: list[SheetRow]
    declined: int
    gone: int = 0


def sign_sheet(draw: Draw, quotas: list[QuotaPanel]) -> SignSheet:
    """SignSheet of `draw`'s panel (panel(draw)) as of now: no query of its own (panel loads
    each pick's application, and with it the expert's status today)."""
    ahead = draw.review_at > timezone.now()
    sheet = SignSheet([], [], 0)
    for quota_panel in quotas:
        for member in quota_panel.members:
            row = SheetRow(member.pick, quota_panel.quota.discipline_name)
            if member.declined:
                sheet.declined += 1
            elif ahead and not rules.drawable(member.pick.application):
                sheet.gone += 1
            elif member.answer is not None:
                sheet.confirmed.append(row)
            else:
                sheet.pending.append(row)
    return sheet


# A place of a 作废 draw, in its printed record as in its export (draws.views) and on its page.
CANCELLED_PLACE = "已取消"


@dataclasses.dataclass
class RecordLine:
    """One expert a round chose, on the printed 专家抽取记录表: the name, unit and title as
    drawn (a 备选 called up: as at the call, as the panel shows them), how they stand, and
    every later step on them (递补, 跳过备选, 短信通知, 确认参加, 不参加), oldest first."""

    pick: Pick
    role: str  # 抽中, 补抽 (drawn in a later round) or 备选
    position: int  # 第N位 among the quota's members, or the Nth 备选
    called_as: int | None  # a 备选 called up (递补): their place among the members
    state: str  # 确认参加, 不参加, 待确认, 未递补, 已取消（原为…）
    reason: str  # 不参加's reason, or why 递补 passed over a 备选
    notified: bool
    steps: list[Event]


@dataclasses.dataclass
class RecordRound:
    round: Round
    lines: list[RecordLine]


@dataclasses.dataclass
class RecordQuota:
    quota: Quota
    rounds: list[RecordRound]


def record_rounds(draw: Draw, quotas: list[QuotaPanel], events) -> list[RecordQuota]:
    """Each quota of `draw` (panel(draw)) with its rounds in order, each round's experts (its
    members, then its 备选 in the drawn order) with where they stand and their steps (`events`,
    the draw's, oldest first): the printed record's body, with no query of its own. In a 作废
    draw every place not declined reads 已取消, as its export says."""
    steps: dict[int, list[Event]] = {}
    for event in events:
        steps.setdefault(event.application_id, []).append(event)
    voided = draw.voided is not None
    record = []
    for quota_panel in quotas:
        members = {member.pick.application_id: member for member in quota_panel.members}
        reserves = {reserve.pick.application_id for reserve in quota_panel.reserves}
        rounds = {drawn.pk: RecordRound(drawn, []) for drawn in quota_panel.rounds}
        for member in quota_panel.members:
            if member.pick.application_id in reserves:
                continue  # a 备选 called up: on its 备选 line
            drawn = rounds[member.pick.round_id]
            line = RecordLine(
                member.pick,
                "补抽" if drawn.round.number > 1 else "抽中",
                member.pick.position,
                None,
                *_answered(member, voided),
                steps.get(member.pick.application_id, []),
            )
            drawn.lines.append(line)
        for reserve in quota_panel.reserves:
            own = steps.get(reserve.pick.application_id, [])
            member = members.get(reserve.pick.application_id)
            if member is not None:
                line = RecordLine(
                    member.pick,
                    "备选",
                    reserve.pick.position,
                    member.pick.position,
                    *_answered(member, voided),
                    own,
                )
            else:
                skipped = "；".join(e.reason for e in own if e.action == Event.Action.SKIP)
                line = RecordLine(
                    reserve.pick,
                    "备选",
                    reserve.pick.position,
                    None,
                    f"{CANCELLED_PLACE}（未递补）" if voided else "未递补",
                    f"递补时跳过：{skipped}" if skipped else "",
                    False,
                    own,
                )
            rounds[reserve.pick.round_id].lines.append(line)
        record.append(RecordQuota(quota_panel.quota, list(rounds.values())))
    return record


def _answered(member: Member, voided: bool) -> tuple[str, str, bool]:
    """A member's state, 不参加's reason, and whether to say 已短信通知. In a 作废 draw a place
    not declined is 已取消, said as the export says it: what it was, and that those texted of
    the review were texted it is off (services.void)."""
    if member.declined:
        return member.status, member.answer.reason, member.notified
    if voided:
        told = "，已短信通知取消" if member.notified else ""
        return f"{CANCELLED_PLACE}（原为{member.status}{told}）", "", False
    return member.status, "", member.notified


def names_as_drawn(quotas: list[QuotaPanel]) -> dict[int, str]:
    """Each expert the draw chose (application pk) by their name as drawn (Pick.expert_name)."""
    names = {}
    for quota_panel in quotas:
        for reserve in quota_panel.reserves:
            names[reserve.pick.application_id] = reserve.pick.expert_name
        # A reserve called up has a member row too, with its name at the call: that one wins.
        for member in quota_panel.members:
            names[member.pick.application_id] = member.pick.expert_name
    return names


def log(draw: Draw, quotas: list[QuotaPanel], events, evaluated=None) -> list[tuple]:
    """What happened to the draw, in order: (time, who, what). Experts by their names as
    drawn; an event about someone the draw never chose (a row added by hand) by today's,
    marked so. `evaluated` (evaluations_of), when given: each 专家评价 too."""
    names = names_as_drawn(quotas)
    lines = [(draw.created_at, draw.created_by, "抽取")]
    voided = draw.voided
    if voided is not None:
        lines.append((voided.created_at, voided.actor, f"作废（{voided.reason}）"))
    for quota_panel in quotas:
        for drawn in quota_panel.rounds[1:]:
            what = f"按原条件重新抽取（{quota_panel.quota.discipline_name}，第{drawn.number}轮）"
            lines.append((drawn.created_at, drawn.created_by, what))
    for event in events:
        name = names.get(event.application_id)
        if name is None:
            name = f"{event.application.user.real_name}（不是本次抽中的专家）"
        what = f"{event.get_action_display()}：{name}"
        lines.append(
            (event.created_at, event.actor, what + (f"（{event.reason}）" if event.reason else ""))
        )
    for application_id, found in (evaluated or {}).items():
        name = names.get(application_id, f"专家编号 {application_id}")
        for n, evaluation in enumerate([*found.earlier, found.latest]):
            what = f"{'更正评价' if n else '专家评价'}：{name}，{evaluation.get_grade_display()}"
            if evaluation.comment:
                what += f"（{evaluation.comment}）"
            lines.append((evaluation.created_at, evaluation.actor, what))
    return sorted(lines, key=lambda line: line[0])


@dataclasses.dataclass
class Check:
    """The 复核 of one round: its stored values against a re-run from them (or from a seed
    given instead of the stored one)."""

    round: Round
    seed: str
    recomputed: list[int]
    hash_ok: bool
    picks_ok: bool

    @property
    def seed_is_stored(self) -> bool:
        return self.seed == self.round.seed

    @property
    def match(self) -> bool:
        return self.recomputed == self.round.picked_ids

    @property
    def ok(self) -> bool:
        return self.match and self.hash_ok and self.picks_ok


def verify(draw: Draw, seeds: dict[int, str] | None = None, only: int | None = None) -> list[Check]:
    """Re-derive every round of `draw` (or the round whose pk is `only`): the eligible list
    must still hash to its stored digest and count, the seed must choose the stored names in
    the stored order, and the pick rows must be those names. `seeds` ({round pk: seed}) re-runs
    a round with another seed, to show that a changed seed gives other names."""
    seeds = seeds or {}
    rounds = Round.objects.filter(quota__draw=draw).select_related("quota")
    if only is not None:
        rounds = rounds.filter(pk=only)
    picks: dict[int, list[tuple[str, int, int]]] = {}
    for round_id, role, position, pk in Pick.objects.filter(draw=draw).values_list(
        "round_id", "role", "position", "application_id"
    ):
        picks.setdefault(round_id, []).append((role, position, pk))
    checks = []
    for drawn in rounds.order_by("quota__number", "number"):
        seed = seeds.get(drawn.pk) or drawn.seed
        ids = drawn.eligible_ids
        recomputed = fairness.select(seed, ids, len(drawn.picked_ids))
        # The round's own rows: its members then its 备选, each in order (a 备选 called up
        # later has a second, member row in this round, after the round's own members).
        rows = sorted(picks.get(drawn.pk, []))
        members = [pk for role, _, pk in rows if role == Pick.Role.MEMBER][: drawn.wanted]
        reserves = [pk for role, _, pk in rows if role == Pick.Role.RESERVE]
        checks.append(
            Check(
                round=drawn,
                seed=seed,
                recomputed=recomputed,
                hash_ok=fairness.eligible_hash(ids) == drawn.eligible_hash
                and len(ids) == drawn.eligible_count,
                picks_ok=members + reserves == drawn.picked_ids,
            )
        )
    return checks


# An expert's draw that was set aside (作废), as their home page says it.
CANCELLED = "已取消（抽取已作废）"
# Not yet answered. An expert no longer 审核通过 cannot be confirmed (services.answer): their
# home page says they need not attend, while the bureau records 不参加 and calls 补抽.
PENDING = "待确认"
NOT_IN_POOL = "无需参加（已不在专家库）"
# …said as the expert's own state has it: an exit not yet confirmed is not yet out of the pool.
NOT_DRAWABLE = {
    ApplicationStatus.FROZEN: "无需参加（专家资格已冻结）",
    ApplicationStatus.EXIT_PENDING: "无需参加（您已申请退出专家库）",
}


def own_draws(application) -> list[tuple[Pick, str]]:
    """The draws `application`'s expert was chosen for (抽中 or called up), newest first,
    each with its state (待确认, 确认参加, 不参加, or 已取消 for a void draw): what the
    expert's home page lists."""
    if application is None or application.pk is None:
        return []
    picks = list(
        Pick.objects.filter(application=application, role=Pick.Role.MEMBER)
        .select_related("draw__void")
        .order_by("-created_at")
    )
    answers = {}
    for event in Event.objects.filter(
        application=application,
        draw__in=[pick.draw_id for pick in picks],
        action__in=[Event.Action.CONFIRM, Event.Action.DECLINE],
    ).order_by("created_at", "pk"):
        answers[event.draw_id] = event.get_action_display()
    return [
        (pick, CANCELLED if pick.draw.voided else answers.get(pick.draw_id, PENDING))
        for pick in picks
    ]


def own_draws_as_told(application) -> list[tuple[Pick, str]]:
    """own_draws as the expert reads them (their home page, 我的个人信息): a review still
    unanswered is one they need not attend once they are no longer in the pool (frozen,
    leaving, left, admission revoked). The bureau's pages read own_draws as it is."""
    draws = own_draws(application)
    if application is None or rules.drawable(application):
        return draws
    told = NOT_DRAWABLE.get(application.status, NOT_IN_POOL)
    return [(pick, told if state == PENDING else state) for pick, state in draws]


def reviews_ahead(draws: list[tuple[Pick, str]], now=None) -> list[Pick]:
    """Of own_draws' rows, the reviews still to come that the expert is expected at (待确认 or
    确认参加), soonest first: what 申请退出 warns about."""
    now = now or timezone.now()
    expected = (PENDING, Event.Action.CONFIRM.label)
    ahead = [pick for pick, state in draws if state in expected and pick.draw.review_at > now]
    return sorted(ahead, key=lambda pick: pick.draw.review_at)


def own_draw_steps(application) -> dict[int, list[Event]]:
    """Every later step on `application`'s expert in the draws they were chosen for (确认参加,
    不参加 with its reason, 递补, 短信通知), oldest first, by draw id, in one query: what
    我的个人信息 lists beside own_draws. A draw that holds them as 备选 only is not among them,
    as it is not among own_draws."""
    if application is None or application.pk is None:
        return {}
    chosen = Pick.objects.filter(application=application, role=Pick.Role.MEMBER).values("draw")
    steps: dict[int, list[Event]] = {}
    for event in Event.objects.filter(application=application, draw__in=chosen).order_by(
        "created_at", "pk"
    ):
        steps.setdefault(event.draw_id, []).append(event)
    return steps


@dataclasses.dataclass
class YearDraws:
    """专家详情's 本年度抽中次数: the expert's draws this calendar year as the yearly cap counts
    them (draws.rules.drawn_this_year), newest first, and the last draw counted, this year or
    before."""

    this_year: list[Pick]
    last: Pick | None

    @property
    def count(self) -> int:
        return len(self.this_year)


def year_draws(user, application, now=None) -> YearDraws | None:
    """YearDraws of `application` for `user`, in one query (every draw the expert was counted
    for, each marked whether the cap counts it this year: a few a year); None for anyone but a
    bureau reviewer (units never see draws)."""
    if not is_bureau_reviewer(user) or application.pk is None:
        return None
    this_year = rules.drawn_this_year(now).filter(pk=OuterRef("pk"))
    picks = list(
        rules.counted_picks()
        .filter(application=application, draw__in=draws_for(user))
        .annotate(this_year=Exists(this_year))
        .select_related("draw")
        .order_by("-created_at", "-pk")
    )
    return YearDraws([pick for pick in picks if pick.this_year], picks[0] if picks else None)


def year_counts(user, applications, now=None) -> dict[int, int]:
    """本年度抽中次数 of each of `applications` (a page of 专家库) drawn this year, by id, as
    the yearly cap counts them (draws.rules.drawn_this_year): one query for the page, counted
    here (a page's 25 experts' picks of one year are a few rows, and 专家库's grouped queries
    stay its facets'); none for an empty page or for anyone but a bureau reviewer."""
    ids = [application.pk for application in applications]
    if not ids or not is_bureau_reviewer(user):
        return {}
    return collections.Counter(
        rules.drawn_this_year(now)
        .filter(application__in=ids, draw__in=draws_for(user))
        .order_by()
        .values_list("application", flat=True)
    )


@dataclasses.dataclass
class Evaluated:
    """An expert's 专家评价 of one review: the latest (what stands) and those it corrected,
    oldest first."""

    latest: Evaluation
    earlier: list[Evaluation]

    @property
    def corrected(self) -> bool:
        return bool(self.earlier)


def evaluations_of(draw: Draw) -> dict[int, Evaluated]:
    """Each evaluated expert of `draw` (application pk) with their evaluations, oldest first,
    in one query. Inserted one at a time under the draw's lock (services.evaluate), the rows'
    ids are their order, as the rule's latest_evaluations reads it."""
    rows: dict[int, list[Evaluation]] = {}
    for evaluation in Evaluation.objects.filter(draw=draw).select_related("actor").order_by("pk"):
        rows.setdefault(evaluation.application_id, []).append(evaluation)
    return {pk: Evaluated(found[-1], found[:-1]) for pk, found in rows.items()}


@dataclasses.dataclass
class EvaluationRow:
    """One line of a draw's 专家评价: a member who confirmed (or was evaluated before their
    answer changed), the 专业领域 they were drawn for, and their evaluations, if any."""

    pick: Pick
    discipline_name: str
    evaluated: Evaluated | None
    confirmed: bool  # may be evaluated now (services.evaluate)


def evaluation_rows(
    quotas: list[QuotaPanel], evaluated: dict[int, Evaluated]
) -> list[EvaluationRow]:
    """The draw's members to evaluate (确认参加) and any evaluated already, by quota and in the
    record's order: no query of its own (panel and evaluations_of load them)."""
    rows = []
    for quota_panel in quotas:
        for member in quota_panel.members:
            confirmed = member.answer is not None and member.answer.action == Event.Action.CONFIRM
            found = evaluated.get(member.pick.application_id)
            if confirmed or found is not None:
                rows.append(
                    EvaluationRow(member.pick, quota_panel.quota.discipline_name, found, confirmed)
                )
    return rows


def review_over(draw: Draw, now=None) -> bool:
    """Whether `draw`'s 评审时间 has come: from then on its members may be evaluated."""
    return draw.review_at <= (now or timezone.now())


@dataclasses.dataclass
class EvaluationRecord:
    """专家详情's 评价记录: how many reviews of each grade (the latest grade of each review,
    of draws not 作废) and the last few, newest first."""

    counts: list[tuple[str, int]]  # (grade label, count), every grade in order
    recent: list[Evaluation]  # each with `corrected` (a correction of an earlier grade)
    total: int


RECENT_EVALUATIONS = 5


def expert_evaluations(user, application) -> EvaluationRecord | None:
    """EvaluationRecord of `application` for `user`, in one query (an expert has a few reviews
    a year); None for anyone but a bureau reviewer."""
    if not is_bureau_reviewer(user) or application.pk is None:
        return None
    earlier = Evaluation.objects.filter(
        draw=OuterRef("draw"), application=OuterRef("application"), pk__lt=OuterRef("pk")
    )
    found = list(
        rules.latest_evaluations()
        .filter(application=application, draw__in=draws_for(user))
        .annotate(corrected=Exists(earlier))
        .select_related("draw", "actor")
        .order_by("-draw__review_at", "-pk")
    )
    tally = collections.Counter(evaluation.grade for evaluation in found)
    counts = [(label, tally[value]) for value, label in Evaluation.Grade.choices]
    return EvaluationRecord(counts, found[:RECENT_EVALUATIONS], len(found))
