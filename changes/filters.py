"""The filters of the change-request lists (信息变更待确认, 信息变更审核): a status tab, the search
box over the experts' search text (experts.search), and 只看更换单位. portal.filters tells how."""

import django_filters

from changes.models import REVIEWED, ChangeStatus
from experts import search
from experts.models import ExpertApplication
from portal.filters import ListFilterSet, status_filter


class ChangeFilter(ListFilterSet):
    STATUSES = [(value, ChangeStatus(value).label) for value in REVIEWED]
    STATUS_NAMES = dict(ChangeStatus.choices)
    status = status_filter(STATUSES)
    q = django_filters.CharFilter(method="filter_q", label="搜索")
    moving = django_filters.BooleanFilter(method="filter_moving", label="更换单位")

    def filter_q(self, queryset, name, value):
        # 姓名, 工作单位, 职称 … through the applications' gram index, not a scan of a join.
        found = search.matching(ExpertApplication.objects.all(), value)
        return queryset.filter(application__in=found.values("pk"))

    def filter_moving(self, queryset, name, value):
        return queryset.filter(new_unit__isnull=not value)
