"""The filters of the lists of applications (专家审核, 专家库, 用户账号管理), for every list,
export and extraction that starts from applications_for(user): portal.filters tells how."""

import datetime
from typing import NamedTuple

import django_filters
from django.db.models import Case, F, Q, QuerySet, When
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone

from accounts.choices import DISTRICT_CHOICES, UnitNature
from accounts.models import Unit
from experts import search
from experts.choices import TitleLevel
from experts.models import (
    IN_POOL,
    IN_REVIEW,
    RETURNED,
    RETURNED_LABEL,
    UNIT_WAITING,
    UNSUBMITTED,
    WITH_APPLICANT,
    WITH_APPLICANT_LABEL,
    ApplicationStatus,
)
from experts.selectors import discipline_choices, in_discipline
from portal.dates import months_before
from portal.filters import (
    ALL,
    ListFilterSet,
    contains_filter,
    overdue_filter,
    sort_filter,
    status_filter,
)

# 资格提示: 有提示 / 无提示 (experts.eligibility), a bookmarkable ?eligibility=flagged|clear.
ELIGIBILITY_CHOICES = [("flagged", "有提示"), ("clear", "无提示")]


def eligibility_filter() -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        choices=ELIGIBILITY_CHOICES, method=filter_eligibility, label="资格提示"
    )


def filter_eligibility(queryset, name, value):
    return queryset.filter(has_eligibility_flags=value == "flagged")


def discipline_filter() -> django_filters.ChoiceFilter:
    """专业领域 (?discipline=<pk>): a field takes its sub-fields' experts too
    (experts.selectors.in_discipline)."""
    return django_filters.ChoiceFilter(
        choices=discipline_choices, method=filter_discipline, label="专业领域"
    )


def filter_discipline(queryset, name, value):
    return in_discipline(queryset, value)


def title_level_filter() -> django_filters.ChoiceFilter:
    """职称级别 (?title_level=senior)."""
    return django_filters.ChoiceFilter(
        choices=TitleLevel.choices, field_name="title_level", label="职称级别"
    )


class ApplicationFilter(ListFilterSet):
    """q: the search box (姓名, 工作单位, 职称, 现从事专业, 专业领域: experts.search);
    discipline: 专业领域; title_level: 职称级别; status: the tab."""

    STATUSES = ApplicationStatus.choices
    STATUS_LABEL = "专家状态"
    STATUS_NAMES = dict(ApplicationStatus.choices)
    # A common term may be searched along the list's order index (experts.search.matching):
    # only 专家库's index carries the search text, and it holds no other filter's column.
    WALK_COMMON_TERMS = False

    status = status_filter(STATUSES)
    q = django_filters.CharFilter(method="filter_q", label="搜索")
    discipline = discipline_filter()
    title_level = title_level_filter()

    def filter_q(self, queryset, name, value):
        data = self.form.cleaned_data
        walk = (
            self.WALK_COMMON_TERMS
            and not (data.get("discipline") or data.get("title_level"))
            and search.is_common(value, queryset.db)
        )
        self.count_in_order = walk
        # A term most rows hold (a city's name, in its units' names): the gram index narrows
        # nothing, and checking each row's grams costs far more than looking for the word.
        plain = walk or search.is_common(value, queryset.db, share=search.MOSTLY_SHARE)
        return search.matching(queryset, value, common=plain)


class QueueFilter(ApplicationFilter):
    """专家审核: every status; of the drafts (the applicants' business) only those submitted
    once and back with the applicant (bureau_queue's scope): returned by a unit, or revised
    after 审核不通过. So that tab reads 待申请人修改."""

    STATUSES = [
        (value, WITH_APPLICANT_LABEL if value == ApplicationStatus.DRAFT else label)
        for value, label in ApplicationStatus.choices
    ]
    WAITING = tuple(IN_REVIEW)  # the statuses with a due date (portal.deadlines)
    status = status_filter(STATUSES)
    eligibility = eligibility_filter()
    overdue = overdue_filter()
    sort = sort_filter()

    def filter_status(self, queryset, name, value):
        queryset = super().filter_status(queryset, name, value)
        if value == ApplicationStatus.DRAFT:
            # Said outright, though the scope implies it: the few rows are then read from
            # their own (partial) indexes, not picked out of every unsubmitted draft.
            return queryset.filter(WITH_APPLICANT)
        return queryset

    # 待申请人修改: the newest first by the time its column reads, the 退回 (returned_at) or,
    # for a draft revised after 审核不通过, that decision (decided_at) (found by a walk: in the
    # queue's order, 单位推荐时间, which a returned draft may have from an earlier round or not
    # at all, the column read 11-02, 11-19, 11-08 …). Its rows come from the partial indexes of
    # returned and revised drafts (experts_returned, experts_revising), a few thousand at most
    # at full scale, then sorted.
    RETURNED_ORDER = (Coalesce("returned_at", "decided_at").desc(), "-pk")

    def ordering(self, default):
        if self.status_chosen() == ApplicationStatus.DRAFT:
            return self.RETURNED_ORDER
        return super().ordering(default)


class AgeBand(NamedTuple):
    value: str
    label: str
    low: int | None  # at least this old (None: no lower bound)
    high: int | None  # younger than this (None: no upper bound)


# 年龄段: full years on the day the list is shown (experts.filters.born_by).
AGE_BANDS = [
    AgeBand("lt35", "35岁以下", None, 35),
    AgeBand("35-44", "35—44岁", 35, 45),
    AgeBand("45-54", "45—54岁", 45, 55),
    AgeBand("55-64", "55—64岁", 55, 65),
    AgeBand("65+", "65岁及以上", 65, None),
]


def born_by(today: datetime.date, years: int) -> datetime.date:
    """The last birth date of a person `years` old or older on `today`, as portal.dates counts
    ages (born on 29 February: a year older on 1 March in a common year)."""
    return months_before(today, 12 * years)


def age_condition(band: AgeBand, today: datetime.date) -> Q:
    """Q for the applications whose 出生日期 puts them in `band` on `today`."""
    condition = Q(birth_date__isnull=False)
    if band.low is not None:
        condition &= Q(birth_date__lte=born_by(today, band.low))
    if band.high is not None:
        condition &= Q(birth_date__gt=born_by(today, band.high))
    return condition


AGE_CHOICES = [(band.value, band.label) for band in AGE_BANDS]


def ages_condition(values, today: datetime.date) -> Q:
    """Q for the applications in any of the 年龄段 `values` (AgeBand.value) on `today`: each
    band's age_condition, or-ed. No value: no condition."""
    condition = Q()
    for band in AGE_BANDS:
        if band.value in values:
            condition |= age_condition(band, today)
    return condition


# 单位性质 and 所在区 are the unit's (ExpertApplication.unit): 专家库 filters by one value,
# a draw (draws.rules) by one or more, through the same condition.
def nature_condition(natures) -> Q:
    """Q for the applications whose unit's 单位性质 is one of `natures` (UnitNature values)."""
    return Q(unit__nature__in=list(natures))


def district_condition(districts) -> Q:
    """Q for the applications whose unit's 所在区 is one of `districts`."""
    return Q(unit__district__in=list(districts))


class PoolFilter(ApplicationFilter):
    """专家库: the admitted experts of the scope it is given (applications_for(user)): it keeps
    to IN_POOL whatever that scope holds. By 专家状态 (审核通过, the default, or 已冻结), 专业领域
    (a field or a sub-field), 职称级别, 单位, 单位性质, 所在区, 年龄段 and the search box: each a
    bookmarkable GET parameter. A value no filter can take is left out and named (`ignored`);
    experts.facets counts each filter's options."""

    STATUSES = [
        (ApplicationStatus.APPROVED.value, ApplicationStatus.APPROVED.label),
        (ApplicationStatus.FROZEN.value, ApplicationStatus.FROZEN.label),
    ]
    WALK_COMMON_TERMS = True
    # The newest admissions first: the page's order, and the export's (experts.exports.pool_rows).
    DEFAULT_ORDER = ("-decided_at", "-pk")
    status = status_filter(STATUSES)

    def __init__(self, data=None, *args, **kwargs):
        # Always bound, so that `.qs` too runs filter_queryset (django-filter skips it for an
        # unbound FilterSet): no parameters are the pool proper, 审核通过.
        super().__init__(QueryDict() if data is None else data, *args, **kwargs)

    # Any unit, by its id; a pool row's unit is the applicant's (ExpertApplication.unit).
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.all(), label="单位")
    nature = django_filters.ChoiceFilter(
        choices=UnitNature.choices, method="filter_nature", label="单位性质"
    )
    district = django_filters.ChoiceFilter(
        choices=DISTRICT_CHOICES, method="filter_district", label="所在区"
    )
    age = django_filters.ChoiceFilter(choices=AGE_CHOICES, method="filter_age", label="年龄段")

    # Each through the condition a draw's rules use too (draws.rules.eligible).
    def filter_nature(self, queryset, name, value):
        return queryset.filter(nature_condition([value]))

    def filter_district(self, queryset, name, value):
        return queryset.filter(district_condition([value]))

    def filter_age(self, queryset, name, value):
        return queryset.filter(ages_condition([value], timezone.localdate()))

    def filter_status(self, queryset, name, value):
        # 全部: every admitted expert, 审核通过 and 已冻结 (IN_POOL), never another status.
        if value == ALL:
            return queryset.filter(status__in=IN_POOL)
        return queryset.filter(status=value)

    def narrowed(self, leave_out=()) -> QuerySet:
        """Through the status too, unless left out (then through IN_POOL): 专家状态 is one more
        facet of the pool, not a tab. So every query of the page names one status, and reads
        along the pool's (status, …) indexes as it did when the pool was the approved alone."""
        queryset = super().narrowed(leave_out)
        if "status" in leave_out:
            return queryset.filter(status__in=IN_POOL)
        return self.by_status(queryset)

    def filter_queryset(self, queryset):
        """`.qs` too keeps to the pool: the status chosen, or 审核通过 if none could be taken."""
        return self.by_status(super().filter_queryset(queryset))

    def status_chosen(self) -> str:
        """The status asked for; none, or one no filter can take, is 审核通过 (the pool proper),
        not every status as on the queues."""
        self.is_valid()
        return self.form.cleaned_data.get("status") or ApplicationStatus.APPROVED


class PeopleFilter(ListFilterSet):
    """用户账号管理: one unit's people; q looks in 姓名, 用户名 and 职称; 专业领域 and 职称级别
    as on 专家审核."""

    STATUSES = ApplicationStatus.choices
    STATUS_LABEL = "专家状态"
    STATUS_NAMES = dict(ApplicationStatus.choices)
    # The unit's own deadline only: a row 待科技局审核 waits on the bureau, whose due date is
    # not the unit's to meet, and would read as the unit's 已超期.
    WAITING = UNIT_WAITING
    # A draft no review holds is its applicant's own (experts.permissions.can_view_content):
    # the unit finds it by the person's name and account, never by what the form says.
    CONTENT_FILTERS = ("discipline", "title_level", "eligibility")
    status = status_filter(STATUSES)
    q = contains_filter(
        "user__real_name", "user__username", "title", only_where={"title": ~UNSUBMITTED}
    )
    # 已退回（待修改）: returned by the unit and not submitted again (all of them 信息未填写).
    discipline = discipline_filter()
    title_level = title_level_filter()
    returned = django_filters.BooleanFilter(method="filter_returned", label=RETURNED_LABEL)
    eligibility = eligibility_filter()
    overdue = overdue_filter()
    sort = sort_filter()

    def filter_returned(self, queryset, name, value):
        return queryset.filter(RETURNED) if value else queryset.exclude(RETURNED)

    def narrowed(self, leave_out=()) -> QuerySet:
        """Filtered by what forms say (专业领域, 职称级别, 资格提示): only forms a review
        holds."""
        queryset = super().narrowed(leave_out)
        chosen = self.form.cleaned_data
        if any(chosen.get(name) and name not in leave_out for name in self.CONTENT_FILTERS):
            queryset = queryset.exclude(UNSUBMITTED)
        return queryset

    def returned_only(self) -> bool:
        self.is_valid()
        return self.form.cleaned_data.get("returned") is True

    def ordering(self, default):
        """按截止日期 by the unit's own deadlines (WAITING), the rows waiting on the bureau
        among those of no deadline, as the list shows them. One unit's people: a scan.
        只看已退回（待修改）: the newest 退回 first, as 专家审核's tab of them (QueueFilter), its
        time column then 退回时间; one unit's returned drafts, from their partial index."""
        if super().ordering(default) is default:
            if self.returned_only():
                return QueueFilter.RETURNED_ORDER
            return default
        own_due = Case(When(status__in=list(self.WAITING), then=F("due_on")))
        return (own_due.asc(nulls_last=True), "pk")
