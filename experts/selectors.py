"""What each user may see of applications: every view starts from here (outside it is a 404)."""

from typing import NamedTuple

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from experts.models import (
    IN_POOL,
    IN_REVIEW,
    UNSUBMITTED,
    ApplicationAttachment,
    ApplicationStatus,
    ApplicationTransition,
    Discipline,
    ExpertApplication,
    FacetDiscipline,
)
from portal.caching import cache


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


def attachments_for(user) -> QuerySet[ApplicationAttachment]:
    """The 证明材料 of the applications `user` may see (applications_for), each with its
    application: the download view takes its one file from here (else a 404), and still
    checks that the form's content is the user's to read (experts.permissions)."""
    return ApplicationAttachment.objects.select_related("application").filter(
        application__in=applications_for(user).values("pk")
    )


def pool_for(user) -> QuerySet[ExpertApplication]:
    """The approved experts `user` may see: the draws start here, and 已冻结, 退出待确认 and
    已出库 experts are not in it (never drawn). 专家库's list and its export start from
    applications_for through PoolFilter, whose 专家状态 offers 已冻结 too."""
    return applications_for(user).filter(status=ApplicationStatus.APPROVED)


def admitted_for(user) -> QuerySet[ExpertApplication]:
    """The admitted experts `user` may see, frozen or not (统计分析's distributions)."""
    return applications_for(user).filter(status__in=IN_POOL)


def review_queue(user) -> QuerySet[ExpertApplication]:
    """专家审核's rows: the user's applications but the unsubmitted drafts, which are the
    applicants' business; those a unit returned (已退回（待修改）) or revised after 审核不通过
    (修改中（曾审核不通过）) were submitted once, and a reviewer must still find them."""
    return applications_for(user).exclude(UNSUBMITTED)


def history_of(application) -> QuerySet[ApplicationTransition]:
    """Every reason and comment given to the applicant, newest first, in one query with what
    each row's actor_label needs (a unit's name for everyone; a reviewer's name for staff)."""
    # A submission's snapshot is read only to compare two (experts.snapshots), not per row.
    return application.history.with_actors().defer("snapshot").order_by("-created_at", "-pk")


def discipline_names(application) -> list[str]:
    """application.disciplines in the classification's order, as names; a sub-field with its
    field, as 软件（电子信息）."""
    return names_of_disciplines(application.disciplines.all())


def names_of_disciplines(disciplines: QuerySet[Discipline]) -> list[str]:
    """The 专业领域 of `disciplines`, in one query, as discipline_names words them."""
    rows = disciplines.order_by("code").values_list("name", "parent__name")
    return [f"{name}（{field}）" if field else name for name, field in rows]


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


def with_resubmitted(applications: QuerySet) -> QuerySet[ExpertApplication]:
    """Each row annotated `resubmitted`: waiting for its unit or the bureau on a 提交 that is
    not its first (an earlier one was 退回 or 审核不通过, or it applied again), as the detail
    page then shows 与上次提交相比 (experts.snapshots.last_two_submissions); never for a
    申请解冻, on which no submission waits. One EXISTS in the list's own query, along the
    history's application index: no query per row (tests/test_list_queries.py)."""
    earlier = ApplicationTransition.objects.filter(
        application=OuterRef("pk"), action="submit"
    ).order_by()[1:2]  # a second 提交: its latest is not its first
    return applications.annotate(
        resubmitted=ExpressionWrapper(
            Q(status__in=IN_REVIEW, unfreezing=False) & Exists(earlier),
            output_field=BooleanField(),
        )
    )


DISCIPLINES_KEY = "experts:disciplines"
DISCIPLINES_SECONDS = 60


class Field(NamedTuple):
    """A field of 专业领域 (领域) with its sub-fields (子领域), each (pk, name)."""

    pk: int
    name: str
    children: list[tuple[int, str]]


def discipline_tree() -> list[Field]:
    """专业领域 in two levels, in the order of their codes: for 专家库's filter and the expert
    form. Seventy rows an operator rarely edits, read on every request of the pool
    (docs/performance.md), so kept in the cache. An edit clears it once committed; a node
    with a cache of its own (the default, locmem) sees another node's edit within
    DISCIPLINES_SECONDS."""
    tree = cache.get(DISCIPLINES_KEY)
    if tree is None:
        rows = list(Discipline.objects.order_by("code").values_list("pk", "name", "parent_id"))
        children: dict[int, list[tuple[int, str]]] = {}
        for pk, name, parent_id in rows:
            if parent_id is not None:
                children.setdefault(parent_id, []).append((pk, name))
        tree = [
            Field(pk, name, children.get(pk, []))
            for pk, name, parent_id in rows
            if parent_id is None
        ]
        cache.set(DISCIPLINES_KEY, tree, DISCIPLINES_SECONDS)
    return tree


def discipline_choices() -> list[tuple[int, str]]:
    """专业领域 as (pk, name), fields and sub-fields, each field followed by its sub-fields."""
    return [
        (item_pk, name)
        for field in discipline_tree()
        for item_pk, name in [(field.pk, field.name), *field.children]
    ]


def in_discipline(queryset: QuerySet, discipline_pk) -> QuerySet:
    """The applications of `queryset` in 专业领域 `discipline_pk`: for a field (领域), those
    that picked the field itself or any of its sub-fields (子领域); for a sub-field, those
    that picked it. 专家库's filter, its 专业领域 counts and the draw (专家抽取) all select by
    this one rule.

    Read from the kept rows (experts.FacetDiscipline: each pick and the field of each
    sub-field picked, once each), so a field is one lookup, as a sub-field is: no query for
    its sub-fields first, and the list always agrees with the facet's count. Each application
    is taken once (EXISTS, not a join)."""
    return queryset.filter(
        Exists(
            FacetDiscipline.objects.filter(
                application_id=OuterRef("pk"), discipline_id=discipline_pk
            )
        )
    )


@receiver([post_save, post_delete], sender=Discipline)
def _forget_disciplines(**kwargs):
    transaction.on_commit(lambda: cache.delete(DISCIPLINES_KEY))
