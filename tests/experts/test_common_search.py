"""A term many approved experts have is searched along 专家库's order (experts.search.how_common):
one query gives the count and the page, and it finds exactly what the gram index finds."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_changed
from experts import search, services
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def statistics():
    """PostgreSQL's statistics of the rows a test made (ANALYZE sees its own transaction's
    rows; the rollback drops them again), read afresh by experts.search."""

    def analyse():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE experts_expertapplication")
        search._statistics.clear()

    search._statistics.clear()  # nothing another test's statistics left
    yield analyse
    search._statistics.clear()


@pytest.fixture
def pool(client, reviewer, unit):
    """20 approved experts decided a day apart: eight in 光电集成, eight in 集成电路, and four
    in 机械设计, one of them 张伟 (one in 20, 5 %, is under COMMON_SHARE)."""
    start = timezone.now() - datetime.timedelta(days=30)
    specialties = ["光电集成"] * 8 + ["集成电路"] * 8 + ["机械设计"] * 4
    for n, specialty in enumerate(specialties):
        name = "张伟" if n == 19 else None
        user = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
        ExpertApplication.objects.filter(user=user).update(
            current_specialty=specialty, decided_at=start + datetime.timedelta(days=n)
        )
    search.refresh(ExpertApplication.objects.all())
    client.force_login(reviewer)


def expected(term: str) -> list[str]:
    """The pool's order, worked out in Python: the newest decisions first."""
    rows = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    rows = sorted(rows.select_related("user"), key=lambda a: (a.decided_at, a.pk), reverse=True)
    return [a.user.real_name for a in rows if term in a.search_text]


def searched(client, **params):
    """The response, and how it searched: "walk" along the order, "grams" through the gram
    index, or "kept" (read the keys kept for this pool: experts.search.first_matches)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("experts:pool"), params)
    assert response.status_code == 200
    sql = [query["sql"] for query in captured.captured_queries]
    ways = {"walk": "STRPOS(", "grams": "expert_search_grams("}
    used = [way for way, mark in ways.items() if any(mark in s for s in sql)]
    assert len(used) <= 1
    return response, used[0] if used else "kept"


def test_statistics_tell_a_common_term_from_a_rare_one(pool, statistics):
    assert search.how_common("集成", "default") is None  # no statistics yet: not known
    statistics()
    assert search.how_common("集成", "default") == search.COMMON  # in 16 of 20
    assert search.how_common("集成电路", "default") == search.COMMON  # each pair in 8 at least
    assert search.how_common("张伟", "default") == search.RARE  # in one
    assert search.how_common("李娜", "default") == search.RARE  # in none


def test_a_common_term_finds_what_the_gram_index_finds(client, pool, statistics):
    before, way = searched(client, q="集成电路")
    assert way == "grams"
    statistics()
    after, way = searched(client, q="集成电路")
    assert way == "walk"
    before, after = before.context, after.context
    names = [row.real_name for row in after["rows"]]
    assert names == [row.real_name for row in before["rows"]] == expected("集成电路")
    assert len(names) == 8 and after["page"].paginator.count == 8 and not after["more"]
    assert after["tabs"] == before["tabs"] == [("all", "全部", 8), ("approved", "审核通过", 8)]


def test_a_term_of_common_pairs_that_few_rows_have_is_still_counted_exactly(
    client, pool, statistics
):
    """光电 and 电路 are each in eight of 20, 光电路 in none: the statistics cannot tell, so the
    walk reads the whole order, and finds exactly nothing."""
    statistics()
    assert search.how_common("光电路", "default") == search.COMMON
    response, way = searched(client, q="光电路")
    assert way == "walk" and list(response.context["rows"]) == []
    assert response.context["tabs"][0] == ("all", "全部", 0)
    assert "没有符合筛选条件的专家" in response.content.decode()


def test_past_the_count_limit_the_first_matches_are_listed_in_order(
    client, pool, statistics, monkeypatch
):
    monkeypatch.setattr("portal.views.SEARCH_COUNT_LIMIT", 10)
    monkeypatch.setattr("portal.views.PAGE_SIZE", 4)
    statistics()
    response, way = searched(client, q="集成")
    first = response.context
    assert way == "walk" and first["more"] and first["page"].paginator.count == 10
    assert first["tabs"] == [("all", "全部", None), ("approved", "审核通过", None)]  # a sample
    pages = []
    for number in (1, 2, 3):
        response, way = searched(client, q="集成", page=number)
        assert way == "kept"  # the first search's keys, for the next pages
        pages.append(response.context["rows"])
    assert [row.real_name for rows in pages for row in rows] == expected("集成")[:10]
    assert [len(rows) for rows in pages] == [4, 4, 2]


@pytest.mark.parametrize("params", [{"title_level": "senior"}, {"discipline": "1"}])
def test_with_a_filter_the_gram_index_searches(client, pool, statistics, params):
    """The order index holds no filter's column: walking it would read the table."""
    statistics()
    for _ in range(2):  # and never kept: the pool's version does not cover a filter's rows
        response, way = searched(client, q="集成电路", **params)
        # Every expert of the factories is 正高级 and in 专业领域 01.
        assert way == "grams" and len(response.context["rows"]) == 8


def test_the_walk_reads_the_order_index_alone(pool):
    """The index carries the search text (migration experts 0008), so a common term's walk
    never reads the table; with a handful of rows the planner would scan, so scans are priced
    out here."""
    rows = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    walk = search.matching(rows, "集成电路", common=True).order_by("-decided_at", "-pk")
    sql, params = walk.values_list("pk", flat=True)[:1001].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan Backward using experts_pool_order_search" in plan


def grams_searches(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("experts:pool"), params)
    sql = [q["sql"] for q in captured.captured_queries if "expert_search_grams(" in q["sql"]]
    return response, sql


def test_a_rare_term_is_counted_and_paged_in_one_query_too(client, pool, statistics, monkeypatch):
    """A rare term's matches are all found through the gram index and sorted: with 20 experts
    every term is rare unless common, so 集成 (in 16) is made not common here."""
    monkeypatch.setattr("experts.search.COMMON_SHARE", 0.9)
    monkeypatch.setattr("portal.views.PAGE_SIZE", 6)
    statistics()
    assert search.how_common("集成", "default") == search.RARE
    pages = []
    for number in (1, 2, 3):
        response, searches = grams_searches(client, q="集成", page=number)
        if number == 1:
            assert len(searches) == 1 and "ORDER BY" in searches[0]  # the count is the keys'
        else:
            assert searches == []  # kept from the first page (experts.search.first_matches)
        assert response.context["tabs"][0] == ("all", "全部", 16)
        pages.append([row.real_name for row in response.context["rows"]])
    assert [len(page) for page in pages] == [6, 6, 4]
    assert [name for page in pages for name in page] == expected("集成")


def test_a_term_neither_rare_nor_common_is_counted_then_paged(
    client, pool, statistics, monkeypatch
):
    """Sorting every match of a term in 3 % of 55,000 took more than counting the first
    1,001 and walking the order for a page: such a term takes two queries, as with no
    statistics at all."""
    monkeypatch.setattr("experts.search.COMMON_SHARE", 0.9)
    monkeypatch.setattr("experts.search.RARE_MATCHES", 10)
    statistics()
    assert search.how_common("集成", "default") is None
    response, searches = grams_searches(client, q="集成")
    assert len(searches) == 2 and "COUNT(*)" in searches[0]
    assert [row.real_name for row in response.context["rows"]] == expected("集成")
    assert response.context["tabs"][0] == ("all", "全部", 16)


# 专家库's searches kept for one state of the pool (experts.PoolVersion, migration 0009).


def version() -> int | None:
    return search.pool_version("default")


def test_the_pools_version_changes_with_approved_applications_only(unit, reviewer):
    draft = factories.make_applicant(unit).application
    pending = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    before = version()
    assert before is not None
    ExpertApplication.objects.filter(pk=draft.pk).update(title="工程师", search_text="工程师")
    ExpertApplication.objects.filter(pk=pending.pk).update(mobile="+8613900000000")
    assert version() == before  # drafts and applications in review are not in the pool

    services.approve_application(pending, reviewer)
    approved = version()
    assert approved != before  # one comes in
    ExpertApplication.objects.filter(pk=pending.pk).update(mobile="+8613900000001")
    edited = version()
    assert edited not in (before, approved)  # any column of an approved one
    ExpertApplication.objects.filter(pk=pending.pk).update(status=ApplicationStatus.REJECTED)
    assert version() not in (before, approved, edited)  # one goes out


def test_inserting_deleting_and_truncating_change_the_version(unit):
    application = factories.make_applicant(unit).application
    before = version()
    ExpertApplication.objects.filter(pk=application.pk).delete()
    assert version() == before  # a draft
    application = ExpertApplication.objects.create(  # as a bulk load would write it
        user=application.user, unit=unit, status=ApplicationStatus.APPROVED
    )
    inserted = version()
    assert inserted != before
    ExpertApplication.objects.filter(pk=application.pk).delete()
    deleted = version()
    assert deleted not in (before, inserted)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no checks left pending: TRUNCATE
        cursor.execute("TRUNCATE experts_expertapplication CASCADE")
    assert version() not in (before, inserted, deleted)


def test_a_rolled_back_change_never_gives_its_number_again(unit):
    application = factories.make_applicant(unit, ApplicationStatus.APPROVED).application
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        ExpertApplication.objects.filter(pk=application.pk).update(title="研究员")
        rolled_back = version()
        raise RuntimeError
    assert version() == before  # as if nothing happened
    ExpertApplication.objects.filter(pk=application.pk).update(title="教授")
    # The number itself is new (the time alone would differ even if it were not): a search
    # kept for the rolled-back state could otherwise be read for this one.
    assert version()[0] not in (before[0], rolled_back[0])


def pool_queries(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("experts:pool"), params)
    assert response.status_code == 200
    return response, [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("term", ["集成电路", "张伟"])  # common, and rare
def test_a_search_is_kept_until_the_pool_changes(client, pool, statistics, reviewer, unit, term):
    statistics()
    first, sql = pool_queries(client, q=term)
    # Nothing kept yet: the search, with the pool's version in the same query.
    assert [s for s in sql if "experts_poolversion" in s] == [s for s in sql if "ARRAY(" in s]
    assert len([s for s in sql if "ARRAY(" in s]) == 1
    again, sql = pool_queries(client, q=term)
    # Session, user, the pool's version, the page's rows: no search.
    assert len(sql) == 4 and "experts_poolversion" in sql[2]
    assert not any("STRPOS(" in s or "expert_search_grams(" in s for s in sql)
    names = [row.real_name for row in again.context["rows"]]
    assert names == [row.real_name for row in first.context["rows"]] == expected(term)

    # A newly approved expert with the term is found by the very next search, first.
    newcomer = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="张伟")
    ExpertApplication.objects.filter(user=newcomer).update(current_specialty="集成电路")
    search.refresh(ExpertApplication.objects.filter(user=newcomer))
    services.approve_application(newcomer.application, reviewer)
    after, sql = pool_queries(client, q=term)
    # The version has moved: read, then searched again with the new version.
    assert len(sql) == 5 and "experts_poolversion" in sql[2] and "ARRAY(" in sql[3]
    names = [row.real_name for row in after.context["rows"]]
    assert names == expected(term) and names[0] == "张伟" and len(names) == len(expected(term))
    assert after.context["tabs"][0] == ("all", "全部", len(names))


def test_a_renamed_expert_is_found_by_the_new_name_at_once(client, pool, statistics):
    statistics()
    assert [row.real_name for row in pool_queries(client, q="张伟")[0].context["rows"]] == ["张伟"]
    user = ExpertApplication.objects.get(user__real_name="张伟").user
    user.real_name = "张卫"
    user.save()
    user_changed(user, ["real_name"])  # as the admin does (accounts.admin)
    assert list(pool_queries(client, q="张伟")[0].context["rows"]) == []
    assert [row.real_name for row in pool_queries(client, q="张卫")[0].context["rows"]] == ["张卫"]


def test_only_the_pools_own_rows_are_kept(db):
    """The version covers approved applications, every column of them, and nothing else."""
    applications = ExpertApplication.objects.select_related("user")
    approved = applications.filter(status=ApplicationStatus.APPROVED)
    order = ["-decided_at", "-pk"]

    def kept(queryset, order_by=order):
        return search._pool_only(queryset, order_by)

    assert kept(approved)
    assert kept(approved.filter(title_level="senior").exclude(title=""))
    assert not kept(applications)
    assert not kept(applications.filter(status=ApplicationStatus.PENDING_BUREAU))
    assert not kept(applications.exclude(status=ApplicationStatus.APPROVED))
    assert not kept(approved | applications.filter(status=ApplicationStatus.DRAFT))  # OR
    assert not kept(approved.filter(disciplines=1))  # another table
    assert not kept(approved.filter(user__real_name="张伟"))
    assert not kept(approved.filter(pk__in=ExpertApplication.objects.values("pk")))  # subquery
    assert not kept(approved.extra(tables=["accounts_unit"]))  # a table joined by hand
    assert not kept(approved.reverse())  # the order, reversed
    assert not kept(approved, ["-user__real_name", "-pk"])  # ordered by another table
    assert not kept(approved, ["unit", "pk"])  # by the unit's own order
    assert not kept(approved, ["?"])


def test_the_trigger_knows_the_approved_status_by_its_stored_value(db):
    """The trigger names the status in SQL (migration experts 0009); should the value ever
    change, kept searches would outlive the pool they were found in."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('experts_pool_changed'::regproc)")
        source = cursor.fetchone()[0]
    assert source.count(f"status = '{ApplicationStatus.APPROVED.value}'") == 2
