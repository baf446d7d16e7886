"""Making a draw, and every later step on it: each appends rows, none changes one, and each
writes its row in the audit trail (AuditEvent.Action.DRAW, the draw as object) in the same
transaction: a step that rolls back leaves neither, and a row slipped into the draw's tables
by hand has no audit row beside it (docs/audit.md)."""

import dataclasses

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.log import record
from audit.models import AuditEvent
from draws import fairness, rules
from draws.models import Draw, Evaluation, Event, Pick, Quota, Round, Void
from draws.rules import Criteria, eligible_ids, refusals
from experts.models import Discipline, ExpertApplication
from portal.dates import chinese_date
from sms import templates
from sms.outbox import cut, queue_sms
from sms.templates import Template


class DrawError(Exception):
    """A step the record does not allow now; the message is for the reviewer."""


# 不参加 needs its reason: said with the expert's name at the top of the page, and without it
# under that expert's reason field, whose label names them already.
REASON_NEEDED = "请填写{name}不参加的理由。"


class ReasonNeeded(DrawError):
    """不参加 for `application_id` without a reason."""

    def __init__(self, application_id: int, name: str):
        super().__init__(REASON_NEEDED.format(name=name))
        self.application_id = application_id
        self.in_field = REASON_NEEDED.format(name="")


@dataclasses.dataclass
class NotEnough(DrawError):
    """A quota asks for more experts than the rules leave (row: the form's row it was asked
    in, as numbered())."""

    row: int
    discipline: str
    eligible: int
    wanted: int

    @property
    def shortfall(self) -> str:
        """The message without its row: said under the row's 抽取人数, which names the row."""
        return (
            f"“{self.discipline}”符合条件的专家只有{self.eligible}人，"
            f"少于要抽取的{self.wanted}人（含备选）。请减少人数或放宽条件。"
        )

    def __str__(self) -> str:
        return f"第{self.row}行{self.shortfall}"


@dataclasses.dataclass
class QuotaAsk:
    """One row of the 抽取名额. `row` is its number on the form as the reviewer sees it, blank
    rows counted (第2行 when the first was left empty); an ask made in code, not typed in the
    form, may leave it out and is named by its place among the asks."""

    discipline: object  # experts.models.Discipline
    count: int
    reserves: int
    row: int | None = None


def numbered(asks: list[QuotaAsk]) -> list[tuple[int, QuotaAsk]]:
    """Each ask with the row number the messages about it give."""
    return [(ask.row or place, ask) for place, ask in enumerate(asks, 1)]


def count_eligible(user, criteria: Criteria, asks: list[QuotaAsk], review_at=None) -> list[int]:
    """How many experts each quota could draw from, each counted on its own (the confirmation
    page's figures; a draw also leaves out those an earlier quota chose). Given `review_at`,
    without those on another panel that day, as the draw will."""
    return [
        len(eligible_ids(user, criteria, ask.discipline.pk, review_at=review_at)) for ask in asks
    ]


@transaction.atomic
def make_draw(user, *, project_name, review_at, review_place, criteria, asks, token=None) -> Draw:
    """Draw every quota in turn: an expert chosen for one is not drawn for the next. Raises
    NotEnough (and saves nothing) when a quota's eligible experts are fewer than it asks, and
    AlreadyDrawn when a draw was made with the confirmation's `token` already. A 年龄段 is
    judged on the day of the draw, which its record keeps (Criteria.ages_on) for every 补抽."""
    criteria = criteria.on_day(timezone.localdate())
    _lock_fields()
    if token is not None:
        done = Draw.objects.filter(token=token).first()
        if done is not None:
            raise AlreadyDrawn(done)
    try:
        with transaction.atomic():  # a savepoint: a second submit racing the first
            draw = Draw.objects.create(
                project_name=project_name,
                review_at=review_at,
                review_place=review_place,
                criteria=criteria.as_json(),
                created_by=user,
                token=token,
            )
    except IntegrityError:
        raise AlreadyDrawn(Draw.objects.get(token=token)) from None
    taken: set[int] = set()
    drawn = []
    for number, (row, ask) in enumerate(numbered(asks), 1):
        quota = Quota.objects.create(
            draw=draw,
            number=number,
            discipline=ask.discipline,
            discipline_name=ask.discipline.name,  # as it is named today, kept for the record
            count=ask.count,
            reserves=ask.reserves,
        )
        try:
            drawn.append(_draw_round(user, quota, 1, ask.count, ask.reserves, criteria, taken))
        except NotEnough as short:
            # The record numbers its quotas 1, 2… without the blank rows; the reviewer is told
            # of the row they typed it in.
            raise dataclasses.replace(short, row=row) from None
    _audit(
        user,
        draw,
        "抽取："
        + "；".join(
            f"{r.quota.discipline_name}抽中{r.quota.count}人、备选{r.quota.reserves}人"
            f"（符合条件{r.eligible_count}人）"
            for r in drawn
        ),
    )
    return draw


def _audit(user, draw: Draw, detail: str) -> None:
    """The audit row of a step on `draw`: who (with their role and, in a request, its address),
    and in 说明 the step and the expert it was about."""
    record(AuditEvent.Action.DRAW, actor=user, obj=draw, detail=detail)


def _expert(application) -> str:
    """An expert as the audit row names them: their name and 专家编号 (as 复核 shows it)."""
    return f"{application.user.real_name}（专家编号 {application.pk}）"


class AlreadyDrawn(Exception):
    """The confirmation was sent before and made `draw`: nothing is drawn again."""

    def __init__(self, draw: Draw):
        super().__init__(draw.pk)
        self.draw = draw


def _lock_fields() -> None:
    """Lock every top-level 专业领域 row (a lock, not an update), in id order, until the
    transaction ends: draws, 补抽 and 递补 run one after the other, so each sees the picks made
    before it under the cool-down, the yearly cap and the one review a day (rules.busy_on),
    which read picks in every field (an expert may be in two). Draws are few; waiting for one
    another costs nothing a reviewer notices."""
    list(
        Discipline.objects.filter(parent=None).select_for_update().order_by("pk").values_list("pk")
    )


def _draw_round(user, quota, number, wanted, reserves, criteria, taken, first=1) -> Round:
    """One round: `wanted` members (numbered from `first`) and `reserves` 备选."""
    draw = quota.draw
    ids = eligible_ids(
        user,
        criteria,
        quota.discipline_id,
        taken=taken,
        review_at=draw.review_at,
        draw_id=draw.pk,
    )
    if len(ids) < wanted + reserves:
        raise NotEnough(quota.number, quota.discipline_name, len(ids), wanted + reserves)
    seed = fairness.new_seed()
    picked = fairness.select(seed, ids, wanted + reserves)
    drawn = Round.objects.create(
        quota=quota,
        number=number,
        seed=seed,
        eligible_ids=ids,
        eligible_hash=fairness.eligible_hash(ids),
        eligible_count=len(ids),
        wanted=wanted,
        picked_ids=picked,
        created_by=user,
    )
    chosen = ExpertApplication.objects.select_related("user", "unit").in_bulk(picked)
    Pick.objects.bulk_create(
        Pick.as_drawn(
            chosen[pk],
            draw_id=quota.draw_id,
            round=drawn,
            role=Pick.Role.MEMBER if position <= wanted else Pick.Role.RESERVE,
            position=first - 1 + position if position <= wanted else position - wanted,
        )
        for position, pk in enumerate(picked, 1)
    )
    taken.update(picked)
    return drawn


def _locked(draw: Draw) -> Draw:
    """The draw, its row locked until the transaction ends: one step at a time on a panel (a
    lock, not an update: the row stays as it was). A void draw takes no more steps."""
    locked = Draw.objects.select_for_update().get(pk=draw.pk)
    if Void.objects.filter(draw=locked).exists():
        raise DrawError("该抽取记录已作废，不能再进行操作。")
    return locked


@dataclasses.dataclass
class Voided:
    """What 作废 did: the Void appended, and how many experts were texted that they need not
    come (those told by 短信通知 and not declined since)."""

    void: Void
    told: int


@transaction.atomic
def void(user, draw: Draw, reason: str) -> Voided:
    """作废 a draw made in error, with the reason. The experts already told by SMS are told
    that they need not come; the others were never asked."""
    # Locked first: a draw voided meanwhile (another tab) is said so, whatever this post carries.
    draw = _locked(draw)
    reason = reason.strip()
    if not reason:
        raise DrawError("请填写作废理由。")
    voided = Void.objects.create(draw=draw, reason=reason[:200], actor=user)
    told = Event.objects.filter(draw=draw, action=Event.Action.NOTIFY).values("application")
    declined = Event.objects.filter(draw=draw, action=Event.Action.DECLINE).values("application")
    members = (
        Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER, application__in=told)
        .exclude(application__in=declined)
        .select_related("application__user")
    )
    result = Voided(voided, 0)
    for pick in members:
        _text(
            pick.application,
            templates.DRAW_VOIDED,
            **review_params(draw),
            help_line=settings.HELP_LINE,
        )
        result.told += 1
    _audit(user, draw, f"作废：理由：{voided.reason}；短信通知取消{result.told}人")
    return result


def _text(application, template: Template, **params: str) -> None:
    """One SMS to a drawn expert through the outbox: `template` (sms.templates) with the
    expert's name and `params` (the time and place of a review, never the project)."""
    params = {"name": application.user.real_name, **params}
    queue_sms(application.mobile, template, params, about=application)


def _member(draw: Draw, application_id: int) -> Pick:
    try:
        return Pick.objects.select_related("application__user").get(
            draw=draw, application_id=application_id, role=Pick.Role.MEMBER
        )
    except Pick.DoesNotExist:
        raise DrawError("该专家不是本次抽中的专家。") from None


def _last_answer(draw: Draw, application_id: int) -> Event | None:
    return (
        Event.objects.filter(
            draw=draw,
            application_id=application_id,
            action__in=[Event.Action.CONFIRM, Event.Action.DECLINE],
        )
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def answer(user, draw: Draw, application_id: int, action: str, reason: str = "") -> Event:
    """确认参加 or 不参加 (with a reason) for a drawn expert. 不参加 is final (the place is
    filled by 补抽); 确认参加 may still turn into 不参加."""
    draw = _locked(draw)
    pick = _member(draw, application_id)
    application = pick.application
    if action == Event.Action.CONFIRM and not rules.drawable(application):
        # Frozen, leaving or gone since the draw: not drawn now, so not on a panel either.
        raise DrawError(
            f"{application.user.real_name}当前为“{application.get_status_display()}”状态，"
            "不能参加评审，不能记录确认参加。请记录不参加，并按需补抽。"
        )
    last = _last_answer(draw, application_id)
    if last is not None and last.action == Event.Action.DECLINE:
        raise DrawError("该专家已记录为不参加，不能再更改。")
    if last is not None and last.action == action:
        raise DrawError(f"该专家已记录为{last.get_action_display()}。")
    if action == Event.Action.DECLINE and not reason.strip():
        raise ReasonNeeded(application_id, application.user.real_name)
    event = Event.objects.create(
        draw=draw, application_id=application_id, action=action, reason=reason.strip(), actor=user
    )
    said = f"{event.get_action_display()}：{_expert(application)}"
    _audit(user, draw, said + (f"；理由：{event.reason}" if event.reason else ""))
    return event


def open_places(draw: Draw, quota: Quota) -> int:
    """How many of the quota's places a 补抽 may fill: those of members who declined."""
    members = Pick.objects.filter(draw=draw, round__quota=quota, role=Pick.Role.MEMBER)
    declined = Event.objects.filter(
        draw=draw,
        action=Event.Action.DECLINE,
        application_id__in=members.values("application_id"),
    ).values("application_id")
    return quota.count - members.exclude(application_id__in=declined).count()


def _next_member_position(draw: Draw, quota: Quota) -> int:
    last = Pick.objects.filter(draw=draw, round__quota=quota, role=Pick.Role.MEMBER).aggregate(
        n=Max("position")
    )["n"]
    return (last or 0) + 1


@dataclasses.dataclass
class CalledUp:
    """What 递补 did: the 备选 called up as a member, and those passed over before them, each
    with why ("姓名（冷却期内）")."""

    member: Pick
    skipped: list[str]


@transaction.atomic
def call_reserve(user, draw: Draw, quota: Quota) -> CalledUp:
    """递补: the quota's first 备选, in the fixed reserve order, not yet called up and whom the
    draw's rules (draws.rules.eligible, as of now) still allow becomes a member. Each 备选
    passed over before them gets a 跳过备选 event with the rule that refused them, and its
    audit row. Raises DrawError when there is no 备选 to try at all."""
    draw = _locked(draw)
    _lock_fields()
    if open_places(draw, quota) <= 0:
        raise DrawError("该专业领域没有空缺名额，无需补抽。")
    called = Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER).values("application_id")
    reserves = (
        Pick.objects.filter(draw=draw, round__quota=quota, role=Pick.Role.RESERVE)
        .exclude(application_id__in=called)
        .select_related("application__user", "application__unit")
        .order_by("round__number", "position")
    )
    if not reserves:
        raise DrawError("该专业领域的备选专家已用完，请按原条件重新抽取。")
    criteria = Criteria.from_json(draw.criteria)
    passed_over = []
    for reserve in reserves:
        refused = refusals(
            user,
            criteria,
            quota.discipline_id,
            reserve.application_id,
            review_at=draw.review_at,
            draw_id=draw.pk,
        )
        if not refused:
            break
        passed_over.append((reserve, "、".join(refused)))
    else:
        # Nobody called: nothing is recorded (a second click would only repeat the same skips
        # in the append-only record); the reviewer reads who and why, and 补抽 instead.
        said = "、".join(f"{reserve.expert_name}（{why}）" for reserve, why in passed_over)
        raise DrawError(f"该专业领域的备选专家{said}均不符合当前抽取条件，请按原条件重新抽取。")
    for skipped, why in passed_over:
        Event.objects.create(
            draw=draw,
            application_id=skipped.application_id,
            action=Event.Action.SKIP,
            reason=why,
            actor=user,
        )
        _audit(user, draw, f"跳过备选：{_expert(skipped.application)}；理由：{why}")
    member = _call(user, draw, quota, reserve)
    return CalledUp(member, [f"{skipped.expert_name}（{why}）" for skipped, why in passed_over])


def _call(user, draw: Draw, quota: Quota, reserve: Pick) -> Pick:
    """`reserve` called up: its 递补 event, its member row and its audit row."""
    Event.objects.create(
        draw=draw, application_id=reserve.application_id, action=Event.Action.CALL, actor=user
    )
    member = Pick.as_drawn(
        reserve.application,
        draw=draw,
        round=reserve.round,
        role=Pick.Role.MEMBER,
        position=_next_member_position(draw, quota),
    )
    member.save()
    _audit(
        user,
        draw,
        f"递补：{_expert(reserve.application)}，{quota.discipline_name}第{member.position}位",
    )
    return member


@transaction.atomic
def redraw(user, draw: Draw, quota: Quota) -> Round:
    """补抽 by a fresh draw under the same rules: one expert for each open place, from the
    experts eligible now, never one this draw has chosen before (drawn or 备选)."""
    draw = _locked(draw)
    _lock_fields()
    places = open_places(draw, quota)
    if places <= 0:
        raise DrawError("该专业领域没有空缺名额，无需补抽。")
    taken = set(Pick.objects.filter(draw=draw).values_list("application_id", flat=True))
    number = (Round.objects.filter(quota=quota).aggregate(n=Max("number"))["n"] or 0) + 1
    criteria = Criteria.from_json(draw.criteria)
    first = _next_member_position(draw, quota)
    try:
        drawn = _draw_round(user, quota, number, places, 0, criteria, taken, first=first)
    except NotEnough as short:
        # A saved draw's rules cannot be changed: say what is left, not to change them.
        left = f"只有{short.eligible}人" if short.eligible else "已没有"
        raise DrawError(
            f"“{short.discipline}”符合原抽取条件、且未被本次抽取选中过的专家{left}，"
            f"不足以补足{places}个空缺名额，未补抽。如仍需补足，请新建抽取并调整条件。"
        ) from short
    chosen = ExpertApplication.objects.select_related("user").in_bulk(drawn.picked_ids)
    _audit(
        user,
        draw,
        f"补抽：{quota.discipline_name}第{drawn.number}轮（符合条件{drawn.eligible_count}人），"
        f"抽中{'、'.join(_expert(chosen[pk]) for pk in drawn.picked_ids)}",
    )
    return drawn


def review_params(draw: Draw) -> dict[str, str]:
    """The draw's number and its review's time and place, as its SMS name them."""
    when = timezone.localtime(draw.review_at)
    return {
        "draw": str(draw.pk),
        "review_time": f"{chinese_date(when)} {when:%H:%M}",
        "review_place": cut(draw.review_place, 40),
    }


@dataclasses.dataclass
class Notified:
    """What 短信通知 did: how many were texted, and the drawn experts it left out because they
    are no longer 审核通过 (frozen, leaving or gone since the draw): "姓名（已冻结）"."""

    sent: int
    left_out: list[str]


@transaction.atomic
def notify(user, draw: Draw) -> Notified:
    """短信通知 each drawn expert not yet told and not declined: the time and place of the
    review only (no project name: a project's details stay with the bureau). An expert no
    longer in the pool is not asked to a review: the reviewer records 不参加 and calls 补抽."""
    draw = _locked(draw)
    members = Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER).select_related(
        "application__user"
    )
    done = set(
        Event.objects.filter(
            draw=draw, action__in=[Event.Action.NOTIFY, Event.Action.DECLINE]
        ).values_list("application_id", flat=True)
    )
    result = Notified(0, [])
    for pick in members:
        application = pick.application
        if application.pk in done:
            continue
        name = application.user.real_name
        if not rules.drawable(application):
            result.left_out.append(f"{name}（{application.get_status_display()}）")
            continue
        _text(application, templates.DRAW_NOTICE, **review_params(draw))
        Event.objects.create(
            draw=draw, application=application, action=Event.Action.NOTIFY, actor=user
        )
        # One row per expert texted, as one Event is: each names whom.
        _audit(user, draw, f"短信通知：{_expert(application)}")
        result.sent += 1
    return result


# A grade below 称职 says why: said at the top of the page with the expert's name, and under
# that expert's comment field without it.
COMMENT_NEEDED = "评价{name}为“{grade}”时，请填写评价说明。"


class CommentNeeded(DrawError):
    """专家评价 of `application_id` at a grade that needs a comment, without one."""

    def __init__(self, application_id: int, name: str, grade: str):
        label = Evaluation.Grade(grade).label
        super().__init__(COMMENT_NEEDED.format(name=name, grade=label))
        self.application_id = application_id
        self.grade = grade
        self.in_field = COMMENT_NEEDED.format(name="", grade=label)


@transaction.atomic
def evaluate(user, draw: Draw, application_id: int, grade: str, comment: str = "") -> Evaluation:
    """专家评价 of an expert who confirmed (确认参加) and whose review is over: appends an
    Evaluation (a later one for the same expert supersedes it; both are kept) and its audit
    row. Raises DrawError, saving nothing, for a 作废 draw, a review not yet held, an expert
    who is not a member whose last answer is 确认参加, a grade not offered, and CommentNeeded for
    基本称职, 不称职 or 无故缺席 without a comment."""
    draw = _locked(draw)
    if draw.review_at > timezone.now():
        raise DrawError("评审时间尚未到，评审结束后才能评价专家。")
    pick = _member(draw, application_id)
    application = pick.application
    name = application.user.real_name
    last = _last_answer(draw, application_id)
    if last is None or last.action != Event.Action.CONFIRM:
        raise DrawError(f"{name}未确认参加本次评审，不能评价。")
    if grade not in Evaluation.Grade.values:
        raise DrawError("请选择评价等级。")
    comment = comment.strip()
    if len(comment) > 200:
        raise DrawError("评价说明最多200字。")
    if grade in Evaluation.NEEDS_COMMENT and not comment:
        raise CommentNeeded(application_id, name, grade)
    earlier = (
        Evaluation.objects.filter(draw=draw, application_id=application_id).order_by("-pk").first()
    )
    evaluation = Evaluation.objects.create(
        draw=draw, application_id=application_id, grade=grade, comment=comment, actor=user
    )
    said = f"专家评价：{_expert(application)}，{evaluation.get_grade_display()}"
    if earlier is not None:
        said += f"（更正，原为{earlier.get_grade_display()}）"
    _audit(user, draw, said + (f"；说明：{comment}" if comment else ""))
    return evaluation
