"""What each user may see of applications: every view starts from here (outside it is a 404)."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from experts.models import (
    IN_POOL,
    ApplicationStatus,
    ApplicationTransition,
    Discipline,
    ExpertApplication,
)


def applications_for(user) -> QuerySet[ExpertApplication]:
    """The applications `user` may see, each with its account and the account's unit: lists
    filter it; detail and action views take their one application from it (else a 404)."""
    applications = ExpertApplication.objects.select_related("user", "user__unit")
    if is_bureau_reviewer(user):
        return applications
    if is_approved_unit_account(user):
        return applications.filter(unit_id=user.unit_id)
    if is_applicant(user):
        return applications.filter(user=user)
    return applications.none()


def pool_for(user) -> QuerySet[ExpertApplication]:
    """专家库: the admitted experts `user` may see (审核通过, and 已冻结 marked as such). The
    pool's list and its export start here; the draws start from drawable_for."""
    return applications_for(user).filter(status__in=IN_POOL)


def drawable_for(user) -> QuerySet[ExpertApplication]:
    """The experts a draw may choose from: 审核通过 only (never 已冻结, 退出待确认, 已出库)."""
    return applications_for(user).filter(status=ApplicationStatus.APPROVED)


def review_queue(user) -> QuerySet[ExpertApplication]:
    """专家审核's rows: the user's applications but the unsubmitted drafts, which are the
    applicants' business; those a unit returned (已退回（待修改）) were submitted once."""
    return applications_for(user).exclude(status=ApplicationStatus.DRAFT, returned_at__isnull=True)


def history_of(application) -> QuerySet[ApplicationTransition]:
    """Every reason and comment given to the applicant, newest first, in one query with what
    each row's actor_label needs (a unit's name for everyone; a reviewer's name for staff)."""
    # A submission's snapshot is read only to compare two (experts.snapshots), not per row.
    return application.history.with_actors().defer("snapshot").order_by("-created_at", "-pk")


def discipline_names(application) -> list[str]:
    """application.disciplines in the classification's order, as names."""
    return list(application.disciplines.order_by("code").values_list("name", flat=True))


def own_application(user) -> ExpertApplication | None:
    """The applicant's own application, or None, with `user` the one given (the request's,
    whose unit is loaded already): the account is not read again."""
    try:
        application = ExpertApplication.objects.get(user=user)
    except ExpertApplication.DoesNotExist:
        return None
    application.user = user
    return application


# What a list prints of each application's account and unit: columns of the page's own query
# (annotate), not two more model instances per row (docs/performance.md).
ACCOUNT_COLUMNS = {
    "real_name": F("user__real_name"),
    "username": F("user__username"),
    "unit_name": F("user__unit__name"),
}


def with_columns(applications: QuerySet, *columns: str) -> QuerySet[ExpertApplication]:
    """`applications` as a list's rows: applications with only `columns` loaded, each a field
    of the application or a name in ACCOUNT_COLUMNS. A list reads no other field of a row (a
    deferred field would cost a query per row: tests/test_list_queries.py)."""
    own = [column for column in columns if column not in ACCOUNT_COLUMNS]
    joined = {column: ACCOUNT_COLUMNS[column] for column in columns if column in ACCOUNT_COLUMNS}
    return applications.select_related(None).only(*own).annotate(**joined)


DISCIPLINES_KEY = "experts:disciplines"
DISCIPLINES_SECONDS = 60


def discipline_choices() -> list[tuple[int, str]]:
    """专业领域 as (pk, name), for 专家库's filter: a dozen rows an operator rarely edits, read
    on every request of the page (docs/performance.md), so kept in the cache.
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
