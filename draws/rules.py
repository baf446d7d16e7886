"""Who may be drawn: the approved experts (experts.selectors.pool_for), by a draw's rules.

The avoidance rules (回避) a draw states:
- 回避单位: the units applying for the project; none of their experts is drawn. This is also
  the 回避关系 "the same unit as a listed applicant unit", which the rule checks through the
  expert's unit. A further relation such as 近三年合作 would be one more exclusion here: a
  table of collaborations (expert, unit or expert, year) kept by the bureau, and
  `exclude(pk__in=<its experts related to the listed units since three years ago>)`.
- 回避专家: named experts, left out.
- a cool-down: no expert drawn (抽中, or called up as 递补) in the last `cooldown_days` days;
- a yearly cap: no expert drawn `yearly_cap` times or more this calendar year;
- a lowest 职称级别;
- optionally, a record of poor reviews: no expert whose latest 专家评价 of a review held in the
  last `poor_grade_years` years is 不称职 or 无故缺席 (a corrected grade counts as corrected;
  a 作废 draw's evaluations do not count);
- optionally, as 专家库 narrows its list (experts.filters, the same conditions): the unit's
  单位性质 and 所在区, and the 年龄段, each one or more of the pool's options. Ages are of the
  draw's own day, kept in the record (`ages_on`), so that a 补抽 months later judges them as
  the draw did.
Always, whatever the draw states:
- one review a day: an expert already on another live panel (抽中 or called up as 递补, not
  不参加, in a draw not 作废) whose 评审时间 falls on the same calendar day as this draw's is not
  drawn (busy_on); it holds for a new draw, 补抽 and 递补 alike.
A 复核 re-derives a round from its stored eligible ids and seed, never from these rules as they
are today, so a draw made before a rule was added still verifies.
Only approved experts are ever drawn (experts.selectors.pool_for): 已冻结, 退出待确认 and
已出库 (blacklisted experts are 已出库) are not 审核通过, so they are left out.
"""

import dataclasses
import datetime

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.choices import DISTRICT_CHOICES, UnitNature
from draws.models import Evaluation, Event, Pick, Void
from experts.choices import TitleLevel, levels_at_least
from experts.filters import AGE_CHOICES, ages_condition, district_condition, nature_condition
from experts.models import ApplicationStatus, ExpertApplication
from experts.selectors import in_discipline, pool_for
from portal.dates import chinese_date


def _labels(values, choices) -> str:
    """`values` by their labels in `choices`, joined by 、 (a value no longer offered as it
    was stored); 不限 for none."""
    labels = dict(choices)
    return "、".join(labels.get(value, value) for value in values) or "不限"


@dataclasses.dataclass(frozen=True)
class Criteria:
    """A draw's rules as resolved when it was made (ids, and the names as they were typed)."""

    avoid_unit_ids: tuple[int, ...] = ()
    avoid_unit_names: tuple[str, ...] = ()
    avoid_expert_ids: tuple[int, ...] = ()
    avoid_expert_names: tuple[str, ...] = ()
    cooldown_days: int = 0  # 0: no cool-down
    yearly_cap: int = 0  # 0: no cap
    min_title_level: str = ""  # "": any
    # Added later: a record made before has none of these keys, and so no such rule.
    unit_natures: tuple[str, ...] = ()  # 单位性质 (UnitNature values); (): any
    districts: tuple[str, ...] = ()  # 所在区; (): any
    age_bands: tuple[str, ...] = ()  # 年龄段 (experts.filters.AGE_BANDS values); (): any
    ages_on: str = ""  # the day ages are judged on (ISO), set by the draw when it is made
    # 排除近N年有“不称职”或“无故缺席”评价的专家: N years; 0: no such rule.
    poor_grade_years: int = 0

    def as_json(self) -> dict:
        return {
            field.name: list(value) if isinstance(value, tuple) else value
            for field, value in ((f, getattr(self, f.name)) for f in dataclasses.fields(self))
        }

    @classmethod
    def from_json(cls, data: dict) -> "Criteria":
        values = {}
        for field in dataclasses.fields(cls):
            value = data.get(field.name, field.default)
            values[field.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)

    def title_label(self) -> str:
        """As the form offers it: 正高级, 副高级及以上, 中级及以上, 不限."""
        if not self.min_title_level:
            return "不限"
        label = TitleLevel(self.min_title_level).label
        return label if len(levels_at_least(self.min_title_level)) == 1 else label + "及以上"

    def nature_label(self) -> str:
        """单位性质 as the pool names them: 企业、高等院校, or 不限."""
        return _labels(self.unit_natures, UnitNature.choices)

    def district_label(self) -> str:
        """所在区: 东湖新技术开发区、洪山区, or 不限."""
        return _labels(self.districts, DISTRICT_CHOICES)

    def age_label(self) -> str:
        """年龄段 as the pool names them, with the day ages are judged on once drawn:
        35岁以下、35—44岁（按2026年12月7日计算）, or 不限."""
        said = _labels(self.age_bands, AGE_CHOICES)
        if self.age_bands and self.ages_on:
            said += f"（按{chinese_date(self.ages_day())}计算）"
        return said

    def poor_grade_label(self) -> str:
        """The 评价 rule in words: 排除近3年有“不称职”或“无故缺席”评价的专家, or 不限."""
        if not self.poor_grade_years:
            return "不限"
        return f"排除近{self.poor_grade_years}年有“不称职”或“无故缺席”评价的专家"

    def ages_day(self, now=None) -> datetime.date:
        """The day ages are judged on: the draw's (ages_on), or, before it is made, today's."""
        if self.ages_on:
            return datetime.date.fromisoformat(self.ages_on)
        return timezone.localdate(now)

    def on_day(self, day: datetime.date) -> "Criteria":
        """These rules as a draw made on `day` keeps them: the ages judged on that day."""
        return dataclasses.replace(self, ages_on=day.isoformat()) if self.age_bands else self

    def in_words(self) -> str:
        """The rules as one line, for an export's title block."""
        return "；".join(
            [
                f"回避单位：{'、'.join(self.avoid_unit_names) or '无'}",
                f"回避专家：{'、'.join(self.avoid_expert_names) or '无'}",
                f"职称级别要求：{self.title_label()}",
                f"单位性质：{self.nature_label()}",
                f"所在区：{self.district_label()}",
                f"年龄段：{self.age_label()}",
                f"专家评价：{self.poor_grade_label()}",
                f"冷却期：{f'{self.cooldown_days}天' if self.cooldown_days else '不限'}",
                f"每人每年上限：{f'{self.yearly_cap}次' if self.yearly_cap else '不限'}",
            ]
        )


def busy_on(review_at, *, draw_id=None) -> QuerySet:
    """The experts (application ids) on a live panel whose review falls on `review_at`'s
    calendar day (local time): drawn or called up as members of a draw not 作废, and not
    不参加 there. `draw_id`, the draw asking, is left out: its own panel is no clash."""
    declined = Event.objects.filter(
        draw=OuterRef("draw"), application=OuterRef("application"), action=Event.Action.DECLINE
    )
    members = (
        Pick.objects.filter(
            role=Pick.Role.MEMBER, draw__review_at__date=timezone.localdate(review_at)
        )
        .exclude(draw__in=Void.objects.values("draw"))
        .exclude(Exists(declined))
    )
    if draw_id is not None:
        members = members.exclude(draw_id=draw_id)
    return members.values("application")


def counted_picks() -> QuerySet[Pick]:
    """The picks the cool-down and the yearly cap count: every member row (drawn, or a 备选
    called up by 递补), whatever the expert answered, of a draw not 作废 (a void draw's
    experts were never called to a review)."""
    return Pick.objects.filter(role=Pick.Role.MEMBER).exclude(draw__in=Void.objects.values("draw"))


def drawn_this_year(now=None) -> QuerySet[Pick]:
    """counted_picks() made since 1 January of `now`'s calendar year (local time): what the
    yearly cap counts, and what 专家详情's 本年度抽中次数 shows, so that the two never differ."""
    year_start = timezone.localtime(now or timezone.now()).replace(
        month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    return counted_picks().filter(created_at__gte=year_start)


def years_before(now, years: int) -> datetime.datetime:
    """`now`, `years` calendar years earlier (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def latest_evaluations() -> QuerySet[Evaluation]:
    """Each expert's latest 专家评价 of each review (no later row for the same draw and expert:
    a correction supersedes what it corrects), of draws not 作废."""
    later = Evaluation.objects.filter(
        draw=OuterRef("draw"), application=OuterRef("application"), pk__gt=OuterRef("pk")
    )
    return Evaluation.objects.exclude(Exists(later)).exclude(draw__in=Void.objects.values("draw"))


def poorly_graded(years: int, now=None) -> QuerySet:
    """The experts (application ids) whose latest grade of a review held in the last `years`
    years (by its 评审时间, up to `now`) is 不称职 or 无故缺席: what Criteria.poor_grade_years
    leaves out."""
    now = now or timezone.now()
    return (
        latest_evaluations()
        .filter(grade__in=Evaluation.POOR, draw__review_at__gte=years_before(now, years))
        .values("application")
    )


def eligible(
    user,
    criteria: Criteria,
    discipline_id: int,
    *,
    taken=(),
    now=None,
    review_at=None,
    draw_id=None,
) -> QuerySet:
    """The experts `user` may draw for `discipline_id` under `criteria`, but `taken` (those
    this draw has chosen already) and, given the draw's `review_at`, those busy on its day
    (busy_on; `draw_id`, the draw itself once saved)."""
    now = now or timezone.now()
    experts = in_discipline(pool_for(user), discipline_id)
    if criteria.min_title_level:
        experts = experts.filter(title_level__in=levels_at_least(criteria.min_title_level))
    # 单位性质, 所在区 and 年龄段 through 专家库's own conditions (experts.filters).
    if criteria.unit_natures:
        experts = experts.filter(nature_condition(criteria.unit_natures))
    if criteria.districts:
        experts = experts.filter(district_condition(criteria.districts))
    if criteria.age_bands:
        experts = experts.filter(ages_condition(criteria.age_bands, criteria.ages_day(now)))
    if criteria.avoid_unit_ids:
        experts = experts.exclude(unit_id__in=criteria.avoid_unit_ids)
    if criteria.avoid_expert_ids:
        experts = experts.exclude(pk__in=criteria.avoid_expert_ids)
    if criteria.cooldown_days:
        since = now - datetime.timedelta(days=criteria.cooldown_days)
        recent = counted_picks().filter(created_at__gte=since).values("application")
        experts = experts.exclude(pk__in=recent)
    if criteria.yearly_cap:
        capped = (
            drawn_this_year(now)
            .values("application")
            .annotate(n=Count("pk"))
            .filter(n__gte=criteria.yearly_cap)
            .values("application")
        )
        experts = experts.exclude(pk__in=capped)
    if criteria.poor_grade_years:
        experts = experts.exclude(pk__in=poorly_graded(criteria.poor_grade_years, now))
    if taken:
        experts = experts.exclude(pk__in=list(taken))
    if review_at is not None:
        experts = experts.exclude(pk__in=busy_on(review_at, draw_id=draw_id))
    return experts


def eligible_ids(user, criteria: Criteria, discipline_id: int, **options) -> list[int]:
    """eligible()'s ids, ascending: the set a round draws from and stores (`options` as
    eligible() takes them)."""
    experts = eligible(user, criteria, discipline_id, **options)
    return list(experts.order_by("pk").values_list("pk", flat=True))


def drawable(application) -> bool:
    """Whether `application` may serve on a panel now: 审核通过, as pool_for draws from.
    Frozen, leaving or gone since a draw, an expert is not called up, confirmed, texted or
    printed on a 签到表 before the review."""
    return application.status == ApplicationStatus.APPROVED


# Why a 备选 is passed over by 递补, by the rule that refuses them (services.call_reserve).
NOT_IN_POOL = "已不在专家库"
# …said as the expert's state has it: frozen or leaving, they are still in the 专家库.
NOT_DRAWABLE = {
    ApplicationStatus.FROZEN: "专家资格已冻结",
    ApplicationStatus.EXIT_PENDING: "已申请退出专家库",
}
BUSY = "评审当天已在其他评审专家组中"
COOLING_DOWN = "冷却期内"
CAPPED = "已达年度抽取上限"
POORLY_GRADED = "近期专家评价为不称职或无故缺席"
OTHER_RULES = "已不符合抽取条件"


def refusals(
    user,
    criteria: Criteria,
    discipline_id: int,
    application_id: int,
    *,
    review_at,
    draw_id,
    now=None,
) -> list[str]:
    """Why the rules (eligible(), as of `now`) refuse `application_id` for a draw on
    `review_at`, in words; [] when they do not. Each rule is tried on its own over the rules
    the draw states otherwise (回避, 职称), so that two rules broken are both said."""
    now = now or timezone.now()

    def passes(rules: Criteria, **options) -> bool:
        experts = eligible(user, rules, discipline_id, now=now, **options)
        return experts.filter(pk=application_id).exists()

    if passes(criteria, review_at=review_at, draw_id=draw_id):
        return []
    if not pool_for(user).filter(pk=application_id).exists():
        status = ExpertApplication.objects.filter(pk=application_id).values_list(
            "status", flat=True
        )
        return [NOT_DRAWABLE.get(status.first(), NOT_IN_POOL)]
    base = dataclasses.replace(criteria, cooldown_days=0, yearly_cap=0, poor_grade_years=0)
    if not passes(base):
        return [OTHER_RULES]
    said = []
    if not passes(base, review_at=review_at, draw_id=draw_id):
        said.append(BUSY)
    if criteria.cooldown_days and not passes(
        dataclasses.replace(base, cooldown_days=criteria.cooldown_days)
    ):
        said.append(COOLING_DOWN)
    if criteria.yearly_cap and not passes(
        dataclasses.replace(base, yearly_cap=criteria.yearly_cap)
    ):
        said.append(CAPPED)
    if criteria.poor_grade_years and not passes(
        dataclasses.replace(base, poor_grade_years=criteria.poor_grade_years)
    ):
        said.append(POORLY_GRADED)
    return said or [OTHER_RULES]
