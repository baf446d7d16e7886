"""统计分析: the bureau's figures, one grouped query per chart, from the role's scope.

What each chart counts:
- 专家状态: every application (applications_for), by its state now;
- 专业领域 (by field: an expert with two sub-fields of a field counts once), 职称级别, 所在区,
  单位性质 and the top 20 units: the pool now (admitted_for: 审核通过 and 已冻结);
- 提交与审核（按月）: the history's 提交, 审核通过 and 审核不通过 in the chosen range, each in
  the month it was taken;
- 办理时长: for each step, the median and the 90th percentile (nearest rank) in Chinese working days
  (portal.workdays), from the history like the months: 单位推荐 from a 推荐 in the range back to
  the 提交 before it, 科技局审核 from a 审核通过 or 审核不通过 in the range back to the 推荐 before
  it, each start kept on the step's row (a round the unit 退回 is not timed; a 申请解冻's
  decisions, 解冻 and 不予解冻, are no admission and not counted).
The months and 办理时长 read one grouped query of the history (steps_taken).
The range (从 / 至) applies to the last two; the others are the state of today.
"""

import dataclasses
import datetime

from django import forms
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.choices import DISTRICT_CHOICES, UnitNature
from accounts.models import Unit
from accounts.permissions import is_bureau_reviewer
from experts import counts
from experts.choices import TitleLevel
from experts.models import ApplicationStatus, ApplicationTransition, Discipline, FacetDiscipline
from experts.selectors import admitted_for, applications_for
from portal.dates import months_before
from portal.forms import PortalFormMixin
from portal.workdays import is_workday

TOP_UNITS = 20
DEFAULT_MONTHS = 12
# The earliest day a range may start: before any record of the portal. A mistyped year (0001,
# 9999) once ran the range's edges out of the calendar (a server error).
EARLIEST = datetime.date(2000, 1, 1)
# A longer range's 提交与审核 counts per year: more months than this do not fit one chart.
MAX_MONTHS = 36


class RangeForm(PortalFormMixin, forms.Form):
    start = forms.DateField(
        label="从",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效的开始日期，例如 2026-01-01。"},
    )
    end = forms.DateField(
        label="至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效的结束日期，例如 2026-12-31。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update(min=f"{EARLIEST:%Y-%m-%d}", max=f"{self.latest():%Y-%m-%d}")

    @staticmethod
    def latest() -> datetime.date:
        """The last day a range may reach: this year's end (a whole year asked in December)."""
        return timezone.localdate().replace(month=12, day=31)

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start and start < EARLIEST:
            raise forms.ValidationError(f"开始日期不能早于{EARLIEST:%Y-%m-%d}。")
        return start

    def clean_end(self):
        end = self.cleaned_data["end"]
        if end and end > self.latest():
            raise forms.ValidationError(f"结束日期不能晚于{self.latest():%Y-%m-%d}。")
        return end

    def clean(self):
        cleaned = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        # One bound alone is checked against the other's default: ?start=2027-01-01 alone
        # would otherwise run backwards to today.
        start, end = self.defaults(cleaned.get("start"), cleaned.get("end"))
        if start > end:
            raise forms.ValidationError("开始日期不能晚于结束日期，请修改“从”或“至”。")
        return cleaned

    @staticmethod
    def defaults(start, end) -> tuple[datetime.date, datetime.date]:
        """The range with its defaults: to today, from the first day of the month 11 months
        back (12 calendar months, this one included)."""
        today = timezone.localdate()
        return start or months_before(today.replace(day=1), DEFAULT_MONTHS - 1), end or today

    def chosen(self) -> tuple[datetime.date, datetime.date]:
        """The range asked for, or the last 12 months to today when none (or a bad one)."""
        data = self.cleaned_data if self.is_valid() else {}
        return self.defaults(data.get("start"), data.get("end"))


@dataclasses.dataclass
class Chart:
    """One chart: its title, what it counts, and its (label, n) rows in order."""

    key: str
    title: str
    counts: str
    rows: list[tuple[str, int]]
    columns: tuple[str, ...] = ("项目", "人数")
    # Rows that may count one person more than once (专业领域: an expert in two fields is in
    # both), so their sum is no head count and the chart does not print one.
    overlapping: bool = False
    # What the rows' sum is called beside the counts: 共 where the rows are every expert
    # counted; for a chart of some of them only (专家最多的20个单位), what those are, so that
    # the sum is not read as the pool's size (found by a reviewer's walk: 共 170 of 217).
    total_label: str = "共"
    # Said under the chart (and in the workbook's title block): what it leaves out.
    note: str = ""

    @property
    def bars(self) -> list[tuple[str, int]]:
        """Each row as its bar shows it, (label, n): the number is the row's last column, and
        the columns before it make the label, the first with the others in brackets (张三（武汉
        示范大学）: two experts of one name are told apart)."""
        return [
            (
                f"{row[0]}（{'，'.join(str(part) for part in row[1:-1])}）"
                if len(row) > 2
                else row[0],
                row[-1],
            )
            for row in self.rows
        ]

    @property
    def peak(self) -> int:
        return max((row[-1] for row in self.rows), default=0) or 1

    @property
    def total(self) -> int:
        return sum(row[-1] for row in self.rows)


@dataclasses.dataclass
class Turnaround:
    step: str
    n: int
    median: float | None
    p90: float | None


def _labelled(rows, labels: dict, order=None) -> list[tuple[str, int]]:
    """Grouped (value, n) as (label, n) for every label (0 where none), in `order`."""
    counts = dict(rows)
    order = order or list(labels)
    return [(labels[value], counts.get(value, 0)) for value in order]


def by_status(user) -> Chart:
    """A bureau reviewer's scope is every application: the kept counts (experts.counts)."""
    if is_bureau_reviewer(user):
        rows = counts.current().items()
    else:
        rows = applications_for(user).order_by().values_list("status").annotate(n=Count("*"))
    return Chart(
        "status",
        "专家状态",
        "全部专家申请，按当前状态",
        _labelled(rows, dict(ApplicationStatus.choices)),
    )


def by_field(user) -> Chart:
    """Each top-level field: the pool's experts with it or one of its sub-fields, once each,
    from the rows 专家库's 专业领域 facet counts too (experts.FacetDiscipline)."""
    rows = (
        FacetDiscipline.objects.filter(
            application__in=admitted_for(user), discipline__parent__isnull=True
        )
        .order_by()
        .values_list("discipline")
        .annotate(n=Count("*"))
    )
    fields = dict(Discipline.objects.filter(parent=None).order_by("code").values_list("pk", "name"))
    counts = "专家库（审核通过、已冻结）中的专家，按专业领域；一人可属多个领域，各领域分别计数"
    return Chart("field", "专业领域", counts, _labelled(rows, fields), overlapping=True)


def by_level_and_unit(user) -> list[Chart]:
    """职称级别, 所在区, 单位性质 and the top units from one grouped query over the pool (by
    职称级别 and unit, an index-only scan) and the units' own table (a thousand rows)."""
    grouped = (
        admitted_for(user).order_by().values_list("title_level", "unit_id").annotate(n=Count("*"))
    )
    levels: dict[str, int] = {}
    by_unit: dict[int, int] = {}
    for level, unit_id, n in grouped:
        levels[level] = levels.get(level, 0) + n
        if unit_id is not None:
            by_unit[unit_id] = by_unit.get(unit_id, 0) + n
    units = {
        pk: (name, district, nature)
        for pk, name, district, nature in Unit.objects.filter(pk__in=by_unit).values_list(
            "pk", "name", "district", "nature"
        )
    }
    districts: dict[str, int] = {}
    natures: dict[str, int] = {}
    for unit_id, n in by_unit.items():
        _, district, nature = units[unit_id]
        districts[district] = districts.get(district, 0) + n
        natures[nature] = natures.get(nature, 0) + n
    top = sorted(by_unit.items(), key=lambda item: (-item[1], units[item[0]][0]))[:TOP_UNITS]
    return [
        Chart(
            "title_level",
            "职称级别",
            "专家库（审核通过、已冻结）中的专家，按职称级别",
            _labelled(levels.items(), {**dict(TitleLevel.choices), "": "未填写"}),
        ),
        Chart(
            "district",
            "所在区",
            "专家库（审核通过、已冻结）中的专家，按所在单位的所在区",
            _labelled(districts.items(), dict(DISTRICT_CHOICES)),
        ),
        Chart(
            "nature",
            "单位性质",
            "专家库（审核通过、已冻结）中的专家，按所在单位的单位性质",
            _labelled(natures.items(), dict(UnitNature.choices)),
        ),
        Chart(
            "units",
            f"专家最多的{TOP_UNITS}个单位",
            "专家库（审核通过、已冻结）中的专家，按工作单位",
            [(units[pk][0], n) for pk, n in top],
            total_label=f"以上{len(top)}个单位合计",
        ),
    ]


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


@dataclasses.dataclass(frozen=True)
class Periods:
    """The columns of a chart by month: the calendar months a range touches, or its years when
    they are more than MAX_MONTHS (a 17-year range would be 204 months)."""

    months: list[datetime.date]
    yearly: bool

    @classmethod
    def of(cls, start: datetime.date, end: datetime.date) -> "Periods":
        months = _months(start, end)
        return cls(months, len(months) > MAX_MONTHS)

    def bucket(self, day: datetime.date) -> datetime.date:
        """The first day of `day`'s column."""
        return day.replace(month=1, day=1) if self.yearly else day.replace(day=1)

    @property
    def starts(self) -> list[datetime.date]:
        return sorted({self.bucket(month) for month in self.months})

    def label(self, start: datetime.date) -> str:
        return f"{start:%Y}" if self.yearly else f"{start:%Y-%m}"


def in_range(field: str, start, end) -> Q:
    """`field` within the local days `start` to `end`: as a range of moments, which an index
    on the column can answer (a __date lookup would convert every row first)."""
    first = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    after = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    )
    return Q(**{f"{field}__gte": first, f"{field}__lt": after})


# 提交与审核（按月） counts these steps of the history, each in the month it happened.
MONTHLY_ACTIONS = ("submit", "approve", "reject")
# 办理时长's steps, each ended by one of these actions (experts.services.STEP_STARTS keeps its
# start on the history row).
STEPS = [("单位推荐", ["recommend"]), ("科技局审核", ["approve", "reject"])]


@dataclasses.dataclass(frozen=True)
class Steps:
    """The history's 提交, 推荐, 审核通过 and 审核不通过 taken in the range, as (action, the day
    its step began or None, the day it was taken, how many): what the months and 办理时长 both
    read, from one grouped query."""

    start: datetime.date
    end: datetime.date
    rows: list[tuple[str, datetime.date | None, datetime.date, int]]


def steps_taken(user, start, end) -> Steps:
    """One grouped query over the history's index (experts_transition_steps): a few thousand
    (action, day, day) groups at 100,000 applicants, however many rows."""
    wanted = {*MONTHLY_ACTIONS, *(action for _, actions in STEPS for action in actions)}
    rows = (
        ApplicationTransition.objects.filter(
            in_range("created_at", start, end),
            action__in=sorted(wanted),
            application__in=applications_for(user),
        )
        .order_by()
        .annotate(began=TruncDate("step_started_at"), day=TruncDate("created_at"))
        .values_list("action", "began", "day")
        .annotate(n=Count("*"))
    )
    return Steps(start, end, list(rows))


def by_month(steps: Steps) -> Chart:
    """提交, 审核通过 and 审核不通过 per month of the range: each step counts in the month it was
    taken, so that a month's figures never change afterwards (an application's state and
    dates do: a rejected applicant revises, an approved expert leaves; a resubmission is a
    提交 of its month). A range of more than MAX_MONTHS months counts per year instead, so
    that the chart stays readable (a 17-year range would be 204 months)."""
    periods = Periods.of(steps.start, steps.end)
    taken: dict[tuple[datetime.date, str], int] = {}
    for action, _, day, n in steps.rows:
        if action in MONTHLY_ACTIONS:
            key = (periods.bucket(day), action)
            taken[key] = taken.get(key, 0) + n
    rows = [
        (
            periods.label(period),
            *(taken.get((period, action), 0) for action in MONTHLY_ACTIONS),
        )
        for period in periods.starts
    ]
    months = periods.months
    if periods.yearly:
        return Chart(
            "months",
            "提交与审核（按年）",
            # Counted in the calendar months the range touches: 2023-12-31 to 2026-12-30 is
            # three years less a day, and 37 months' columns.
            f"所选期间跨{len(months)}个月（超过{MAX_MONTHS}个月），按年统计：每年的提交（含修改后再次提交）、审核通过和"
            "审核不通过次数，按办理当年计；首尾两年只计所选期间内的部分",
            rows,
            columns=("年份", "提交", "审核通过", "审核不通过"),
        )
    return Chart(
        "months",
        "提交与审核（按月）",
        "所选期间内每月的提交（含修改后再次提交）、审核通过和审核不通过次数，按办理当月计",
        rows,
        columns=("月份", "提交", "审核通过", "审核不通过"),
    )


def workday_index(first: datetime.date, last: datetime.date) -> dict[datetime.date, int]:
    """How many working days fall after `first`, up to and including each day to `last`: the
    working days between two dates are then one subtraction."""
    index, count, day = {}, 0, first
    while day <= last:
        if day > first and is_workday(day):
            count += 1
        index[day] = count
        day += datetime.timedelta(days=1)
    return index


def _value_at(sorted_pairs: list[tuple[int, int]], rank: int) -> int:
    """The `rank`th value (from 1) of values given as sorted (value, n) pairs."""
    seen = 0
    for value, n in sorted_pairs:
        seen += n
        if seen >= rank:
            return value
    return sorted_pairs[-1][0]


def percentile(sorted_pairs: list[tuple[int, int]], share: float) -> float | None:
    """The `share` quantile (nearest rank) of values given as sorted (value, n) pairs."""
    total = sum(n for _, n in sorted_pairs)
    if not total:
        return None
    return _value_at(sorted_pairs, max(1, -(-total * share // 1)))


def median(sorted_pairs: list[tuple[int, int]]) -> float | None:
    """The median as people reckon it: of an even count, halfway between the two middle values
    (2, 2, 4, 5, 6, 6 → 4.5; nearest rank said 4, which a reviewer checking by hand took for
    an error); a whole number when it is one."""
    total = sum(n for _, n in sorted_pairs)
    if not total:
        return None
    middle = (
        _value_at(sorted_pairs, (total + 1) // 2) + _value_at(sorted_pairs, total // 2 + 1)
    ) / 2
    return int(middle) if middle.is_integer() else middle


def turnaround(steps: Steps) -> list[Turnaround]:
    """Each step's working days, counted from the history like the months: every 推荐 and every
    decision in the range, from the start kept on its row, also one of an application decided
    again later or of an expert since gone."""
    timed = [row for row in steps.rows if row[1] is not None]
    index = (
        workday_index(min(began for _, began, _, _ in timed), max(day for _, _, day, _ in timed))
        if timed
        else {}
    )
    results = []
    for step, actions in STEPS:
        spans: dict[int, int] = {}
        for action, began, day, n in timed:
            if action in actions:
                days = max(index[day] - index[began], 0)
                spans[days] = spans.get(days, 0) + n
        ordered = sorted(spans.items())
        results.append(
            Turnaround(
                step,
                sum(spans.values()),
                median(ordered),
                percentile(ordered, 0.9),
            )
        )
    return results


def collect(user, start, end) -> dict:
    steps = steps_taken(user, start, end)
    return {
        "charts": [by_status(user), by_field(user), *by_level_and_unit(user)],
        "months": by_month(steps),
        "turnaround": turnaround(steps),
    }
