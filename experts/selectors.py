"""What each user may see of applications: every view starts from here (outside it is a 404)."""

from django.core.cache import cache
from django.db import connections, router, transaction
from django.db.models import F, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from experts.models import ApplicationTransition, Discipline, ExpertApplication
from portal import rows


def applications_for(user) -> QuerySet[ExpertApplication]:
    # may_see() below is the same rules for one row: change both.
    applications = ExpertApplication.objects.select_related("user", "user__unit")
    if is_bureau_reviewer(user):
        return applications
    if is_approved_unit_account(user):
        return applications.filter(unit_id=user.unit_id)
    if is_applicant(user):
        return applications.filter(user=user)
    return applications.none()


def may_see(user, application) -> bool:
    """Whether applications_for(user) holds `application`: its rules for one row (change
    both; tests/experts/test_plain_queries.py checks that they agree for every role)."""
    if is_bureau_reviewer(user):
        return True
    if is_approved_unit_account(user):
        return application.unit_id == user.unit_id
    if is_applicant(user):
        return application.user_id == user.pk
    return False


def visible_application(user, pk: int) -> ExpertApplication | None:
    """applications_for(user).get(pk=pk), or None, with its account and the account's unit:
    one plain query (portal.rows). A detail page built that query through the ORM on every
    request, a fifth of its time (1.0 ms of the bureau's 专家详情, profiled under the
    benchmark)."""
    if not 0 < pk < 2**63:  # no such row, and SQLite refuses larger numbers
        return None
    application = rows.one(
        ExpertApplication,
        "id",
        pk,
        router.db_for_read(ExpertApplication),
        related=("user", "user__unit"),
    )
    return application if application is not None and may_see(user, application) else None


def history_of(application, *, with_actors: bool = False) -> list[ApplicationTransition]:
    """Every reason and comment given to the applicant, newest first; `with_actors` for the
    bureau, who see which reviewer decided (applicants and units see roles only). A plain
    query (portal.rows): the ORM's took 0.9 ms of a detail page, this one 0.3."""
    return rows.where(
        ApplicationTransition,
        "application_id",
        application.pk,
        router.db_for_read(ApplicationTransition),
        related=("actor",) if with_actors else (),
        order_by=("-created_at", f"-{ApplicationTransition._meta.pk.column}"),
    )


def discipline_names(application) -> list[str]:
    """application.disciplines in the classification's order, as names: a plain query, read
    by every detail page (0.4 ms through the related manager, 0.1 this way)."""
    field = ExpertApplication._meta.get_field("disciplines")
    using = router.db_for_read(Discipline)
    quote = connections[using].ops.quote_name
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT d.name FROM {quote(Discipline._meta.db_table)} d "
            f"JOIN {quote(field.m2m_db_table())} x "
            f"ON x.{quote(field.m2m_reverse_name())} = d.{quote(Discipline._meta.pk.column)} "
            f"WHERE x.{quote(field.m2m_column_name())} = %s ORDER BY d.code",
            [application.pk],
        )
        return [name for (name,) in cursor.fetchall()]


def own_application(user) -> ExpertApplication | None:
    """The applicant's own application, `user` set to theirs, or None: applications_for(user)
    for an applicant, in one plain query (portal.rows). Through the ORM, building the SELECT of
    the long form's 40 columns took a third of the applicant home's time."""
    application = rows.one(
        ExpertApplication, "user_id", user.pk, router.db_for_read(ExpertApplication)
    )
    if application is None:
        return None
    ExpertApplication.user.field.set_cached_value(application, user)
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
