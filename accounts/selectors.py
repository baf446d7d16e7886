"""What each user may see of units: every view starts from here (outside it is a 404)."""

from django.db.models import QuerySet

from accounts.models import Unit
from accounts.permissions import is_bureau_reviewer, is_unit_account
from portal.listing import Row, rows_of


def units_for(user) -> QuerySet[Unit]:
    if is_bureau_reviewer(user):
        return Unit.objects.all()
    if is_unit_account(user):
        return Unit.objects.filter(pk=user.unit_id)
    return Unit.objects.none()


class ListedUnit(Row):
    """One unit in 单位注册审核's list."""

    model = Unit


# What 单位注册审核 prints of each unit: building whole units (twenty columns, four timestamps
# among them) took a fifth of the page (profiled under the benchmark).
QUEUE_ROWS = rows_of(
    ListedUnit, "status", "name", "credit_code", "nature", "contact_name", "submitted_at"
)
