"""What every list's FilterSet shares: a status tab, and filters that narrow every tab.

A FilterSet maps (queryset, a request's parameters) to a queryset, and only ever narrows the
queryset it is given: over applications_for(user) or units_for(user) it never reaches a row
outside the user's scope. A value a filter cannot take (an unknown status, 专业领域 or 职称级别)
is left out, as if not given: the list shows what the other filters keep.
"""

import django_filters
from django.db.models import Q, QuerySet
from django_filters.constants import EMPTY_VALUES

ALL = "all"  # the tab of every status


def status_filter(statuses) -> django_filters.ChoiceFilter:
    """A list's tabs: ALL, or one of `statuses` ((value, label) pairs)."""
    return django_filters.ChoiceFilter(
        choices=[(ALL, "全部"), *statuses], method="filter_status", empty_label=None
    )


def contains_any(queryset: QuerySet, term: str, fields) -> QuerySet:
    """Rows with `term` in any of `fields` (a scan, for lists of one unit or of the units)."""
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": term})
    return queryset.filter(condition)


def contains_filter(*fields: str) -> django_filters.CharFilter:
    """A search box over a short list: rows with the term in any of `fields`."""
    return django_filters.CharFilter(
        method=lambda queryset, name, value: contains_any(queryset, value, fields), label="搜索"
    )


class ListFilterSet(django_filters.FilterSet):
    """A list's filters: `status` picks a tab (subclasses declare it with `status_filter`,
    and name the same choices in STATUSES); the others narrow every tab."""

    STATUSES: list[tuple[str, str]] = []
    # Set by a search that walks the list's order index (experts.filters): its matches are then
    # counted in that order too, so that the count walks the same index.
    count_in_order = False

    def filter_status(self, queryset, name, value):
        return queryset if value == ALL else queryset.filter(status=value)

    def narrowed(self) -> QuerySet:
        """The queryset through every filter but the status: what the tabs count."""
        self.is_valid()  # a value that fails its field is left out of cleaned_data
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name != "status":
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

    def narrowing(self) -> bool:
        """Whether a filter besides the status is set (kept counts count no filter's rows)."""
        self.is_valid()
        return any(
            value not in EMPTY_VALUES
            for name, value in self.form.cleaned_data.items()
            if name != "status"
        )
