"""EXPLAIN ANALYZE of the list pages' queries on the benchmark's data, as docs/performance.md
quotes them: `DJANGO_SETTINGS_MODULE=bench.settings python -m bench.explain` (the environment
bench/run.py sets; run it after `bash bench/run` has seeded the database)."""

import django

django.setup()

from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Unit, UnitStatus, User  # noqa: E402
from experts import counts, search  # noqa: E402
from experts.facets import facet_queries  # noqa: E402
from experts.filters import PoolFilter  # noqa: E402
from experts.models import (  # noqa: E402
    IN_REVIEW,
    ApplicationStatus,
    Discipline,
    StatusCount,
    UnitStatusCount,
)
from experts.selectors import (  # noqa: E402
    applications_for,
    in_discipline,
    review_queue,
    with_columns,
)
from experts.views import PEOPLE_COLUMNS, POOL_COLUMNS, QUEUE_COLUMNS  # noqa: E402
from portal.filters import overdue_rows  # noqa: E402
from portal.views import SEARCH_COUNT_LIMIT  # noqa: E402


def explain(title: str, queryset) -> None:
    plan = queryset.explain(analyze=True, costs=False)
    print(f"### {title}\n\n```\n{plan}\n```\n")


def main() -> None:
    reviewer = User.objects.get(username="bench_reviewer")
    big_unit = Unit.objects.filter(status=UnitStatus.APPROVED).order_by("pk").first()
    unit_account = User.objects.filter(unit=big_unit, kind="unit").first()
    bureau = applications_for(reviewer)
    people = applications_for(unit_account)
    S = ApplicationStatus

    explain(
        "专家审核: the first page",
        with_columns(bureau.filter(status=S.PENDING_BUREAU), *QUEUE_COLUMNS).order_by(
            "recommended_at", "pk"
        )[:25],
    )
    explain(
        "专家库: the first page",
        with_columns(bureau.filter(status=S.APPROVED), *POOL_COLUMNS).order_by(
            "-decided_at", "-pk"
        )[:25],
    )
    explain("Kept counts (专家审核 and 专家库 tabs)", StatusCount.objects.all())
    explain(
        "用户账号管理: kept counts of one unit's 5,000 people",
        UnitStatusCount.objects.filter(unit=big_unit),
    )
    explain(
        "用户账号管理: the first page",
        with_columns(people, *PEOPLE_COLUMNS).order_by("-updated_at", "-pk")[:25],
    )
    # The page's own, unfiltered: the kept days (experts.DueCount) summed.
    explain("专家审核: 已超期 per waiting tab", counts.overdue_by_status(IN_REVIEW))
    for title, scope, waiting in (
        # A search or a filter counts the rows it keeps; unfiltered, the worst case.
        ("专家审核: 已超期 per waiting tab, counted", review_queue(reviewer), IN_REVIEW),
        ("用户账号管理: 已超期 per waiting tab, one unit", people, IN_REVIEW),
        ("单位注册审核: 已超期", Unit.objects.all(), [UnitStatus.PENDING]),
    ):
        explain(
            title,
            overdue_rows(scope, waiting).order_by().values_list("status").annotate(n=Count("*")),
        )
    explain(
        "单位注册审核: the first page",
        Unit.objects.filter(status=UnitStatus.PENDING).order_by("submitted_at", "pk")[:25],
    )
    approved = bureau.filter(status=S.APPROVED)
    for term in ("张伟", "集成电路"):
        found = search.matching(approved, term)
        # portal.views.list_page: the statuses of the first SEARCH_COUNT_LIMIT + 1 matches.
        explain(
            f"专家库 search {term}: counts, up to {SEARCH_COUNT_LIMIT}",
            found.order_by().values_list("status", flat=True)[: SEARCH_COUNT_LIMIT + 1],
        )
        explain(
            f"专家库 search {term}: the page",
            with_columns(found, *POOL_COLUMNS).order_by("-decided_at", "-pk")[:25],
        )
    # A common term (experts.search.is_common): along the pool's order index.
    walk = search.matching(approved, "集成电路", common=True)
    explain(
        "专家库 search 集成电路, a common term: counts",
        walk.order_by().values_list("status", flat=True)[: SEARCH_COUNT_LIMIT + 1],
    )
    explain(
        "专家库 search 集成电路, a common term: the page",
        with_columns(walk, *POOL_COLUMNS).order_by("-decided_at", "-pk")[:25],
    )

    # Issue 22: 专家库's facet counts (experts.facets), unfiltered and filtered by a field
    # (电子信息, with its sub-fields) and 正高级, as the bench's 专家库 分面筛选 row.
    field = Discipline.objects.get(code="01").pk
    for title, data in (
        ("unfiltered", {}),
        ("电子信息 and 正高级", {"discipline": str(field), "title_level": "senior"}),
        ("search 电子信息, a common term", {"q": "电子信息"}),
    ):
        filterset = PoolFilter({**data, "status": S.APPROVED}, queryset=approved)
        for name, query in facet_queries(filterset, timezone.localdate()).items():
            explain(f"专家库 facet {name}, {title}", query)
    explain(
        "专家库 电子信息 and 正高级: the page",
        with_columns(
            in_discipline(approved.filter(title_level="senior"), field), *POOL_COLUMNS
        ).order_by("-decided_at", "-pk")[:25],
    )
    explain(
        "登录 in another case (BENCH_REVIEWER): the username's UPPER index",
        User.objects.case_twins(reviewer.username.upper()).select_related("unit")[:2],
    )


if __name__ == "__main__":
    main()
