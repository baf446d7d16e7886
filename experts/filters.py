"""The filters of the lists of applications (专家审核, 专家库, 用户账号管理), for every list,
export and extraction that starts from applications_for(user): portal.filters tells how."""

import django_filters

from experts import search
from experts.choices import TitleLevel
from experts.models import IN_REVIEW, RETURNED_LABEL, ApplicationStatus
from experts.selectors import discipline_choices
from portal.filters import (
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


class ApplicationFilter(ListFilterSet):
    """q: the search box (姓名, 工作单位, 职称, 现从事专业, 专业领域: experts.search);
    discipline: 专业领域; title_level: 职称级别; status: the tab."""

    STATUSES = ApplicationStatus.choices
    # A common term may be searched along the list's order index (experts.search.matching):
    # only 专家库's index carries the search text, and it holds no other filter's column.
    WALK_COMMON_TERMS = False

    status = status_filter(STATUSES)
    q = django_filters.CharFilter(method="filter_q", label="搜索")
    discipline = django_filters.ChoiceFilter(
        choices=discipline_choices, field_name="disciplines", label="专业领域"
    )
    title_level = django_filters.ChoiceFilter(choices=TitleLevel.choices, label="职称级别")

    def filter_q(self, queryset, name, value):
        data = self.form.cleaned_data
        common = (
            self.WALK_COMMON_TERMS
            and not (data.get("discipline") or data.get("title_level"))
            and search.is_common(value, queryset.db)
        )
        self.count_in_order = common
        return search.matching(queryset, value, common=common)


class QueueFilter(ApplicationFilter):
    """专家审核: every status; of the drafts (the applicants' business) only those a unit
    returned (bureau_queue's scope), so that tab reads 已退回（待修改）."""

    STATUSES = [
        (value, RETURNED_LABEL if value == ApplicationStatus.DRAFT else label)
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
            # Said outright, though the scope implies it: the few returned rows are then read
            # from their own (partial) index, not picked out of every unsubmitted draft.
            return queryset.filter(returned_at__isnull=False)
        return queryset


class PoolFilter(ApplicationFilter):
    """专家库: approved applications."""

    STATUSES = [(ApplicationStatus.APPROVED.value, ApplicationStatus.APPROVED.label)]
    WALK_COMMON_TERMS = True
    status = status_filter(STATUSES)


class PeopleFilter(ListFilterSet):
    """用户账号管理: one unit's people; q looks in 姓名, 用户名 and 职称."""

    STATUSES = ApplicationStatus.choices
    WAITING = tuple(IN_REVIEW)  # the statuses with a due date (portal.deadlines)
    status = status_filter(STATUSES)
    q = contains_filter("user__real_name", "user__username", "title")
    # 已退回（待修改）: returned by the unit and not submitted again (all of them 信息未填写).
    returned = django_filters.BooleanFilter(method="filter_returned", label=RETURNED_LABEL)
    eligibility = eligibility_filter()
    overdue = overdue_filter()
    sort = sort_filter()

    def filter_returned(self, queryset, name, value):
        return queryset.filter(returned_at__isnull=not value)
