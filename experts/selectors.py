"""What each user may see of applications: every view starts from here (outside it is a 404)."""

from django.db.models import F, QuerySet

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


# What the list pages show, and all the rows load: building 25 applications with every
# column of theirs, their accounts' and units' took 3.3 ms of a list page's 12; with only these
# columns, 1.1 ms; with the account's and unit's names as columns of the application instead
# of two more model instances per row, 0.5 ms (profiled under the benchmark). A template that
# shows another field, or reads `application.user`, costs a query per row, which
# tests/test_list_queries.py catches.
LISTED = (
    "user",
    "status",
    "title",
    "title_level",
    "current_specialty",
    "mobile",
    "updated_at",
    "recommended_at",
    "decided_at",
)


def listed(applications: QuerySet[ExpertApplication]) -> QuerySet[ExpertApplication]:
    """The rows of a list page: LISTED, plus `real_name`, `username` and `unit_name`."""
    return (
        applications.select_related(None)
        .only(*LISTED)
        .annotate(
            real_name=F("user__real_name"),
            username=F("user__username"),
            unit_name=F("user__unit__name"),
        )
    )
