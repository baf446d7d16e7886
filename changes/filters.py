"""The filters of the change-request lists (信息变更待确认, 信息变更审核): a status tab, the search
box over the experts' search text (experts.search), 只看更换单位, and, as the other queues,
只看已超期 and 按截止日期 (the open requests' due_on, portal.deadlines). portal.filters tells
how."""

import django_filters
from django.db.models import Case, F, When

from changes.models import OPEN, REVIEWED, ChangeStatus
from experts import search
from experts.models import ExpertApplication
from portal.filters import (
    BY_DUE_DATE,
    ListFilterSet,
    overdue_filter,
    sort_filter,
    status_filter,
)

# 待科技局审核 on 信息变更审核: by 单位确认时间, the moment the bureau's 截止日期 counts from (the
# (status, confirmed_at, id) index), the longest waiting first.
BY_CONFIRMATION = ("confirmed_at", "pk")


class ChangeFilter(ListFilterSet):
    """信息变更审核 (the bureau): both open statuses carry a 截止日期."""

    STATUSES = [(value, ChangeStatus(value).label) for value in REVIEWED]
    STATUS_NAMES = dict(ChangeStatus.choices)
    WAITING = tuple(OPEN)
    status = status_filter(STATUSES)
    q = django_filters.CharFilter(method="filter_q", label="搜索")
    moving = django_filters.BooleanFilter(method="filter_moving", label="更换单位")
    overdue = overdue_filter()
    sort = sort_filter()

    def filter_q(self, queryset, name, value):
        # 姓名, 工作单位, 职称 … through the applications' gram index, not a scan of a join.
        found = search.matching(ExpertApplication.objects.all(), value)
        return queryset.filter(application__in=found.values("pk"))

    def filter_moving(self, queryset, name, value):
        return queryset.filter(new_unit__isnull=not value)

    def ordering(self, default):
        """按截止日期 when chosen; else 待科技局审核 by 单位确认时间, the tab's time column, and
        every other tab in the list's own order (提交时间)."""
        chosen = super().ordering(default)
        if chosen is default and self.status_chosen() == ChangeStatus.PENDING_BUREAU:
            return BY_CONFIRMATION
        return chosen


class UnitChangeFilter(ChangeFilter):
    """信息变更待确认 (a unit): the unit's own deadline only, as on 用户账号管理: a request
    待科技局审核 waits on the bureau, whose due date is not the unit's to meet."""

    WAITING = (ChangeStatus.PENDING_UNIT,)

    def ordering(self, default):
        """按截止日期 by the unit's own deadlines, the requests waiting on the bureau among
        those of no deadline, as the list shows them. One unit's requests: a few rows."""
        if self.sort_chosen() != BY_DUE_DATE:
            return default  # the unit's list keeps 提交时间 on every tab
        own_due = Case(When(status__in=list(self.WAITING), then=F("due_on")))
        return (own_due.asc(nulls_last=True), "pk")
