"""What every list's FilterSet shares: a status tab, and filters that narrow every tab.

A FilterSet maps (queryset, a request's parameters) to a queryset, and only ever narrows the
queryset it is given: over applications_for(user) or units_for(user) it never reaches a row
outside the user's scope. A value a filter cannot take (an unknown status, 专业领域 or 职称级别)
is left out, as if not given: the list shows what the other filters keep.

The queues (专家审核, 用户账号管理, 单位注册审核) also take `overdue` (已超期 only: due_on before
today) and `sort` (按截止日期), from `overdue_filter` and `sort_filter`: a waiting row carries the
day its step is due (portal.deadlines), every other row none.
"""

import django_filters
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES

from portal.words import normalise

ALL = "all"  # the tab of every status

# ?sort=due: by 截止日期, the soonest (the most overdue) first; the rows of no deadline (the
# statuses that wait for no one) after every dated row, on every database.
BY_DUE_DATE = "due"
DUE_DATE_ORDER = (F("due_on").asc(nulls_last=True), "pk")
# Parameters that choose what a list shows of its rows, not which rows: the tabs' counts stay
# the kept ones (ListFilterSet.narrowing).
NOT_NARROWING = frozenset({"status", "sort"})


def status_filter(statuses) -> django_filters.ChoiceFilter:
    """A list's tabs: ALL, or one of `statuses` ((value, label) pairs)."""
    return django_filters.ChoiceFilter(
        choices=[(ALL, "全部"), *statuses], method="filter_status", empty_label=None
    )


def contains_any(queryset: QuerySet, term: str, fields, only_where=None) -> QuerySet:
    """Rows with each word of `term` in one of `fields`; a scan, for lists of one unit or of
    the units. The columns keep what people typed (full-width brackets in a unit's name), so
    each word is looked for as typed and as the pool's search box reads it (portal.words:
    full-width letters to ASCII). `only_where` maps a field to the condition a row must meet
    for a word in that field to count (a field the viewer may not read on every row)."""
    only_where = only_where or {}
    for word in dict.fromkeys(term.split()):
        condition = Q()
        for form in dict.fromkeys([word, normalise(word)]):
            for field in fields:
                condition |= Q(**{f"{field}__icontains": form}) & only_where.get(field, Q())
        queryset = queryset.filter(condition)
    return queryset


def contains_filter(*fields: str, only_where=None) -> django_filters.CharFilter:
    """A search box over a short list: rows with the term in any of `fields` (see
    contains_any for `only_where`)."""
    return django_filters.CharFilter(
        method=lambda queryset, name, value: contains_any(queryset, value, fields, only_where),
        label="搜索",
    )


def overdue_filter() -> django_filters.BooleanFilter:
    """只看已超期 (?overdue=true): rows whose due date is past. Any other value is ignored."""
    return django_filters.BooleanFilter(method="filter_overdue", label="已超期")


def sort_filter() -> django_filters.ChoiceFilter:
    """排序: 默认顺序 (the list's own, no parameter) or 按截止日期 (?sort=due). It narrows
    nothing: list_page orders by ListFilterSet.ordering."""
    return django_filters.ChoiceFilter(
        choices=[(BY_DUE_DATE, "按截止日期")],
        empty_label="默认顺序",
        method=lambda queryset, name, value: queryset,
        label="排序",
    )


def overdue_rows(queryset: QuerySet, waiting, today=None) -> QuerySet:
    """The rows of `queryset` in a `waiting` status whose due date is before `today` (default:
    today, local time), as portal.deadlines.is_overdue says of one. Naming the statuses lets the
    (status, due_on) indexes answer."""
    return queryset.filter(status__in=list(waiting), due_on__lt=today or timezone.localdate())


class ListFilterSet(django_filters.FilterSet):
    """A list's filters: `status` picks a tab (subclasses declare it with `status_filter`,
    and name the same choices in STATUSES); the others narrow every tab."""

    STATUSES: list[tuple[str, str]] = []
    STATUS_LABEL = "状态"  # what `ignored` calls the tab's parameter
    # Every status of the model by its code: `ignored` names a status this list does not offer
    # (专家库 given a bookmarked 已出库) by its label.
    STATUS_NAMES: dict[str, str] = {}
    # The statuses whose rows carry a due date (a queue's, with overdue_filter and sort_filter);
    # their tabs show how many are overdue. Empty: the list has no deadlines.
    WAITING: tuple[str, ...] = ()
    # Set by a search that walks the list's order index (experts.filters): its matches are then
    # counted in that order too, so that the count walks the same index.
    count_in_order = False

    def filter_status(self, queryset, name, value):
        return queryset if value == ALL else queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        if value:
            return overdue_rows(queryset, self.WAITING)
        # ?overdue=false: the rows that are not overdue (a due date today or later, or none,
        # or one that is not this list's to meet).
        return queryset.exclude(status__in=list(self.WAITING), due_on__lt=timezone.localdate())

    def ordering(self, default):
        """The list's order: by 截止日期 when ?sort=due is chosen on a tab that carries one
        (`dated`), else `default`."""
        if self.sort_chosen() == BY_DUE_DATE:
            return DUE_DATE_ORDER
        return default

    def dated(self) -> bool:
        """Whether the chosen tab carries a 截止日期: a WAITING status, or 全部 that holds them.
        Only there is 按截止日期 offered and taken: elsewhere no row has a date to sort by."""
        status = self.status_chosen()
        return bool(self.WAITING) and (status == ALL or status in self.WAITING)

    def overdue_only(self) -> bool:
        self.is_valid()
        return self.form.cleaned_data.get("overdue") is True

    def sort_chosen(self) -> str:
        """The sort asked for, if the tab can take it (a bookmark of 按截止日期 opened on a tab
        of no deadlines lists in the default order, as that tab offers)."""
        self.is_valid()
        return (self.form.cleaned_data.get("sort") or "") if self.dated() else ""

    def overdue_counts(self, narrowed: QuerySet) -> dict[str, int]:
        """How many rows of `narrowed` (the list through its filters) are overdue, per waiting
        status: one grouped query; none (and no query) for a list without WAITING statuses."""
        if not self.WAITING:
            return {}
        rows = overdue_rows(narrowed, self.WAITING).order_by()
        return dict(rows.values_list("status").annotate(n=Count("*")))

    def narrowed(self, leave_out=()) -> QuerySet:
        """The queryset through every filter but the status: what the tabs count. Without the
        filters named in `leave_out` too: what a facet counts (experts.facets)."""
        self.is_valid()  # a value that fails its field is left out of cleaned_data
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name != "status" and name not in leave_out:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def by_status(self, queryset: QuerySet) -> QuerySet:
        return self.filters["status"].filter(queryset, self.status_chosen())

    def status_chosen(self) -> str:
        self.is_valid()
        return self.form.cleaned_data.get("status") or ALL

    def term(self) -> str:
        self.is_valid()
        return self.form.cleaned_data.get("q") or ""

    def ignored(self) -> list[tuple[str, str]]:
        """(label, value given) of each parameter that no filter could take: an unknown status,
        专业领域 or choice, text where an id belongs. The list shows what the other filters keep,
        and names these (a bookmark gone stale, or a forged URL)."""
        self.is_valid()
        return [
            (
                self.STATUS_LABEL if name == "status" else str(self.filters[name].label),
                self.given(name),
            )
            for name in self.form.errors
            if name in self.filters
        ]

    def given(self, name: str) -> str:
        value = str(self.form.data.get(name, ""))[:30]
        return self.STATUS_NAMES.get(value, value) if name == "status" else value

    def narrowing(self) -> bool:
        """Whether a filter besides the status is set (kept counts count no filter's rows)."""
        self.is_valid()
        return any(
            value not in EMPTY_VALUES
            for name, value in self.form.cleaned_data.items()
            if name not in NOT_NARROWING
        )
