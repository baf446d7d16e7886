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


# What list pages never show: decrypting 25 bank and ID numbers and loading the long texts
# was a fifth of a list page's time. (A template that used one would cost a query per row,
# which tests/test_list_queries.py would catch.)
NOT_LISTED = (
    "bank_account",
    "resume",
    "achievements",
    "research_direction",
    "search_text",
    "user__id_number",
)


def listed(applications: QuerySet[ExpertApplication]) -> QuerySet[ExpertApplication]:
    return applications.defer(*NOT_LISTED)
