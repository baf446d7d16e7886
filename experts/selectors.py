"""What each user may see of applications: every view starts from here (outside it is a 404)."""

from django.db.models import QuerySet

from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from experts.models import ExpertApplication


def applications_for(user) -> QuerySet[ExpertApplication]:
    applications = ExpertApplication.objects.select_related("user", "user__unit")
    if is_bureau_reviewer(user):
        return applications
    if is_approved_unit_account(user):
        return applications.filter(unit_id=user.unit_id)
    if is_applicant(user):
        return applications.filter(user=user)
    return applications.none()
