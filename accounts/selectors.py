"""What each user may see of units: every view starts from here (outside it is a 404)."""

from django.db.models import QuerySet

from accounts.models import Unit
from accounts.permissions import is_bureau_reviewer, is_unit_account

# What 单位注册审核 prints of each unit (accounts.views.bureau_unit_queue): building whole
# units, with every column, cost the page more than its queries did (docs/performance.md).
QUEUE_COLUMNS = (
    "status",
    "name",
    "credit_code",
    "nature",
    "contact_name",
    "submitted_at",
    "due_on",
)


def units_for(user) -> QuerySet[Unit]:
    if is_bureau_reviewer(user):
        return Unit.objects.all()
    if is_unit_account(user):
        return Unit.objects.filter(pk=user.unit_id)
    return Unit.objects.none()
