"""What each user may see of applications: every view starts from here (outside it is a 404)."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from experts.models import Discipline, ExpertApplication


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


DISCIPLINES_KEY = "experts:disciplines"
DISCIPLINES_SECONDS = 60


def discipline_choices() -> list[tuple[int, str]]:
    """专业领域 as (pk, name), for 专家库's filter: a dozen rows an operator rarely edits, read
    on every request of the page (0.2 ms of its 4.5 through the ORM), so kept in the cache.
    An edit clears it once committed; a node with a cache of its own (the default, locmem)
    sees another node's edit within DISCIPLINES_SECONDS."""
    choices = cache.get(DISCIPLINES_KEY)
    if choices is None:
        choices = list(Discipline.objects.values_list("pk", "name"))
        cache.set(DISCIPLINES_KEY, choices, DISCIPLINES_SECONDS)
    return choices


@receiver([post_save, post_delete], sender=Discipline)
def _forget_disciplines(**kwargs):
    transaction.on_commit(lambda: cache.delete(DISCIPLINES_KEY))
