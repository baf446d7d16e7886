"""The filters of 单位注册审核 over units_for(user): portal.filters tells how."""

from accounts.choices import UnitStatus
from portal.filters import (
    ListFilterSet,
    contains_filter,
    overdue_filter,
    sort_filter,
    status_filter,
)


class UnitFilter(ListFilterSet):
    """q: 单位名称, 统一社会信用代码 or 联系人; status: the tab."""

    STATUSES = UnitStatus.choices
    STATUS_NAMES = dict(UnitStatus.choices)
    # 待审核: the registration is due within 2 working days (portal.deadlines).
    WAITING = (UnitStatus.PENDING,)
    status = status_filter(STATUSES)
    q = contains_filter("name", "credit_code", "contact_name")
    overdue = overdue_filter()
    sort = sort_filter()
