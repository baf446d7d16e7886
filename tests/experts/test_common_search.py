"""A term many approved experts have is searched along 专家库's order (experts.search.is_common),
and it finds exactly what the gram index finds. Nothing found is kept: every page searches."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
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
        cache.clear()  # experts.search keeps them in the cache

    cache.clear()  # nothing another test's statistics left
    yield analyse
    cache.clear()


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
    """The pool's order, worked out in Python: the newest decisions first, with every word."""
    rows = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    rows = sorted(rows.select_related("user"), key=lambda a: (a.decided_at, a.pk), reverse=True)
    return [a.user.real_name for a in rows if all(w in a.search_text for w in term.split())]


WAYS = {"walk": "STRPOS(", "grams": "expert_search_grams("}


def ways_of(queries: list[str]) -> list[str]:
    return [way for way, mark in WAYS.items() if any(mark in sql for sql in queries)]


def searched(client, counted="grams", **params):
    """The response, and how its list searched: "walk" along the order (word by word), "grams"
    through the gram index. The facets (grouped queries) count every match `counted`: through
    the index, unless the term is in most rows (experts.search.MOSTLY_SHARE)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("experts:pool"), params)
    assert response.status_code == 200
    sql = [query["sql"] for query in captured.captured_queries]
    used = ways_of([s for s in sql if "GROUP BY" not in s])
    assert len(used) == 1
    # None when the counts were kept from an earlier page (experts.facets).
    assert ways_of([s for s in sql if "GROUP BY" in s]) in ([], [counted])
    return response, used[0]


def test_statistics_tell_a_common_term_from_a_rare_one(pool, statistics):
    assert not search.is_common("集成", "default")  # no statistics yet: not known
    statistics()
    assert search.is_common("集成", "default")  # in 16 of 20
    assert search.is_common("集成电路", "default")  # each pair in 8 at least
    assert not search.is_common("张伟", "default")  # in one
    assert not search.is_common("李娜", "default")  # in none
    # Several words: the product of their shares (16 / 20 × 8 / 20 = 32 %, 8 / 20 × 1 / 20 = 2 %).
    assert search.is_common("集成 电路", "default")
    assert not search.is_common("集成电路 张伟", "default")


@pytest.mark.parametrize("term", ["集成 电路", "电路 集成", "光电 集成"])
def test_words_of_a_common_search_find_what_the_gram_index_finds(client, pool, statistics, term):
    before, way = searched(client, q=term)
    assert way == "grams"
    statistics()
    after, way = searched(client, q=term)
    assert way == "walk"
    names = [row.real_name for row in after.context["rows"]]
    assert names == [row.real_name for row in before.context["rows"]] == expected(term)
    assert len(names) == 8


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
    assert after["tabs"] == before["tabs"]
    assert before["tabs"] == [
        ("all", "全部", 8),
        ("approved", "审核通过", 8),
        ("frozen", "已冻结", 0),
    ]


def test_a_term_of_common_pairs_that_few_rows_have_is_still_counted_exactly(
    client, pool, statistics
):
    """光电 and 电路 are each in eight of 20, 光电路 in none: the statistics cannot tell, so the
    walk reads the whole order, and finds exactly nothing."""
    statistics()
    assert search.is_common("光电路", "default")
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
    response, way = searched(client, counted="walk", q="集成")
    first = response.context
    assert way == "walk" and first["more"] and first["page"].paginator.count == 10
    # A sample: no count shown.
    assert first["tabs"] == [
        ("all", "全部", None),
        ("approved", "审核通过", None),
        ("frozen", "已冻结", None),
    ]
    pages = []
    for number in (1, 2, 3):
        response, way = searched(client, counted="walk", q="集成", page=number)
        assert way == "walk"
        pages.append(response.context["rows"])
    assert [row.real_name for rows in pages for row in rows] == expected("集成")[:10]
    assert [len(rows) for rows in pages] == [4, 4, 2]


@pytest.mark.parametrize("params", [{"title_level": "senior"}, {"discipline": "1"}])
def test_with_a_filter_the_gram_index_searches(client, pool, statistics, params):
    """The order index holds no filter's column: walking it would read the table."""
    statistics()
    for _ in range(2):
        response, way = searched(client, q="集成电路", **params)
        # Every expert of the factories is 正高级 and in 专业领域 01.
        assert way == "grams" and len(response.context["rows"]) == 8


def test_a_term_most_rows_hold_is_looked_for_word_by_word_in_every_list_and_count(
    client, pool, statistics
):
    """集成 is in 16 of 20 (80 %, over MOSTLY_SHARE): the gram index would narrow nothing and
    each row's grams would be computed to check it, so the facets and a filtered list look for
    the word itself too, and find the same rows."""
    statistics()
    assert search.is_common("集成", "default", share=search.MOSTLY_SHARE)
    assert not search.is_common("集成电路", "default", share=search.MOSTLY_SHARE)  # 8 in 20

    with CaptureQueriesContext(connection) as captured:
        response, way = searched(client, counted="walk", q="集成", title_level="senior")

    assert way == "walk"
    grouped = [query["sql"] for query in captured.captured_queries if "GROUP BY" in query["sql"]]
    assert len(grouped) == 2 and ways_of(grouped) == ["walk"]
    assert [row.real_name for row in response.context["rows"]] == expected("集成")
    assert response.context["tabs"][0] == ("all", "全部", 16)
    title = dict((o.value, o.n) for o in response.context["facets"]["title_level"])
    assert title["senior"] == 16
    # A rarer term keeps to the index for its counts.
    with CaptureQueriesContext(connection) as captured:
        _, way = searched(client, q="集成电路", title_level="senior")
    assert way == "grams"
    grouped = [query["sql"] for query in captured.captured_queries if "GROUP BY" in query["sql"]]
    assert len(grouped) == 2 and ways_of(grouped) == ["grams"]


def test_the_walk_reads_the_order_index_alone(pool):
    """The index carries the search text (migration experts 0008), so a common term's walk
    never reads the table; with a handful of rows the planner would scan, so scans are priced
    out here."""
    rows = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    walk = search.matching(rows, "集成电路", common=True).order_by("-decided_at", "-pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = walk.values_list("pk", flat=True)[:1001].explain()
    assert "Index Only Scan Backward using experts_pool_order_search" in plan


def test_a_rare_term_is_searched_through_the_gram_index_page_by_page(
    client, pool, statistics, monkeypatch
):
    """With 20 experts every term is common unless rare, so 集成 (in 16) is made rare here."""
    monkeypatch.setattr("experts.search.COMMON_SHARE", 0.9)
    monkeypatch.setattr("experts.search.MOSTLY_SHARE", 0.95)
    monkeypatch.setattr("portal.views.PAGE_SIZE", 6)
    statistics()
    assert not search.is_common("集成", "default")
    pages = []
    for number in (1, 2, 3):
        response, way = searched(client, q="集成", page=number)
        assert way == "grams"
        assert response.context["tabs"][0] == ("all", "全部", 16)
        pages.append([row.real_name for row in response.context["rows"]])
    assert [len(page) for page in pages] == [6, 6, 4]
    assert [name for page in pages for name in page] == expected("集成")


def test_a_newly_approved_expert_is_found_by_the_very_next_search(
    client, pool, statistics, reviewer, unit
):
    statistics()
    for term in ["集成电路", "张伟"]:  # common, and rare
        first, _ = searched(client, q=term)
        assert [row.real_name for row in first.context["rows"]] == expected(term)
    newcomer = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="张伟")
    ExpertApplication.objects.filter(user=newcomer).update(current_specialty="集成电路")
    search.refresh(ExpertApplication.objects.filter(user=newcomer))
    services.approve_application(newcomer.application, reviewer)
    for term in ["集成电路", "张伟"]:
        after, _ = searched(client, q=term)
        names = [row.real_name for row in after.context["rows"]]
        assert names == expected(term) and names[0] == "张伟"
        assert after.context["tabs"][0] == ("all", "全部", len(names))


def test_a_renamed_expert_is_found_by_the_new_name_at_once(client, pool, statistics):
    statistics()
    assert [row.real_name for row in searched(client, q="张伟")[0].context["rows"]] == ["张伟"]
    user = ExpertApplication.objects.get(user__real_name="张伟").user
    user.real_name = "张卫"
    user.save()
    user_changed(user, ["real_name"])  # as the admin does (accounts.admin)
    assert list(searched(client, q="张伟")[0].context["rows"]) == []
    assert [row.real_name for row in searched(client, q="张卫")[0].context["rows"]] == ["张卫"]


def test_no_trigger_keeps_a_version_of_the_pool(db):
    """Migration experts 0010 dropped 专家库's version and the triggers that kept it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'experts_expertapplication'::regclass"
            " AND tgname LIKE 'experts_pool_%%'"
        )
        assert cursor.fetchall() == []
        cursor.execute("SELECT to_regclass('experts_poolversion')")
        assert cursor.fetchone() == (None,)


def test_a_common_terms_count_walks_the_order_too(client, pool, statistics):
    """Counted in the pool's order, the first 1,001 matches come from the order index alone
    (test_the_walk_reads_the_order_index_alone), not from the table in any order."""
    statistics()
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("experts:pool"), {"q": "集成电路"})
    # The facets' grouped counts (experts.facets) search too, each over every match.
    walks = [
        q["sql"]
        for q in captured.captured_queries
        if "STRPOS(" in q["sql"] and "GROUP BY" not in q["sql"]
    ]
    assert len(walks) == 2  # the count, and the page
    assert all('ORDER BY "experts_expertapplication"."decided_at" DESC' in s for s in walks)
