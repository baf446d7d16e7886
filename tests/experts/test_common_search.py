"""A term many approved experts have is searched along 专家库's order (experts.search.how_common):
one query gives the count and the page, and it finds exactly what the gram index finds."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from experts import search
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
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("experts:pool"), params)
    assert response.status_code == 200
    sql = [query["sql"] for query in captured.captured_queries]
    walked = any("STRPOS(" in s for s in sql)
    assert walked != any("expert_search_grams(" in s for s in sql)  # one way or the other
    return response, walked


def test_statistics_tell_a_common_term_from_a_rare_one(pool, statistics):
    assert search.how_common("集成", "default") is None  # no statistics yet: not known
    statistics()
    assert search.how_common("集成", "default") == search.COMMON  # in 16 of 20
    assert search.how_common("集成电路", "default") == search.COMMON  # each pair in 8 at least
    assert search.how_common("张伟", "default") == search.RARE  # in one
    assert search.how_common("李娜", "default") == search.RARE  # in none


def test_a_common_term_finds_what_the_gram_index_finds(client, pool, statistics):
    before, walked = searched(client, q="集成电路")
    assert not walked
    statistics()
    after, walked = searched(client, q="集成电路")
    assert walked
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
    response, walked = searched(client, q="光电路")
    assert walked and list(response.context["rows"]) == []
    assert response.context["tabs"][0] == ("all", "全部", 0)
    assert "没有符合筛选条件的专家" in response.content.decode()


def test_past_the_count_limit_the_first_matches_are_listed_in_order(
    client, pool, statistics, monkeypatch
):
    monkeypatch.setattr("portal.views.SEARCH_COUNT_LIMIT", 10)
    monkeypatch.setattr("portal.views.PAGE_SIZE", 4)
    statistics()
    response, walked = searched(client, q="集成")
    first = response.context
    assert walked and first["more"] and first["page"].paginator.count == 10
    assert first["tabs"] == [("all", "全部", None), ("approved", "审核通过", None)]  # a sample
    pages = [searched(client, q="集成", page=n)[0].context["rows"] for n in (1, 2, 3)]
    assert [row.real_name for rows in pages for row in rows] == expected("集成")[:10]
    assert [len(rows) for rows in pages] == [4, 4, 2]


@pytest.mark.parametrize("params", [{"title_level": "senior"}, {"discipline": "1"}])
def test_with_a_filter_the_gram_index_searches(client, pool, statistics, params):
    """The order index holds no filter's column: walking it would read the table."""
    statistics()
    response, walked = searched(client, q="集成电路", **params)
    # Every expert of the factories is 正高级 and in 专业领域 01.
    assert not walked and len(response.context["rows"]) == 8


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
        assert len(searches) == 1 and "ORDER BY" in searches[0]  # the count is the keys'
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
