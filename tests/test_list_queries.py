"""List pages use a fixed number of queries whatever the number of rows (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import UnitStatus
from experts.models import ApplicationStatus
from tests import factories
from tests.pages import queries_for

pytestmark = pytest.mark.django_db


def grow(unit, status, count):
    for _ in range(count):
        factories.make_applicant(unit, status)


@pytest.mark.parametrize(
    ("url_name", "status", "params"),
    [
        ("experts:bureau_queue", ApplicationStatus.PENDING_BUREAU, {}),
        ("experts:bureau_queue", ApplicationStatus.PENDING_BUREAU, {"q": "申请人"}),
        ("experts:pool", ApplicationStatus.APPROVED, {}),
        ("experts:pool", ApplicationStatus.APPROVED, {"discipline": "1", "title_level": "senior"}),
    ],
)
def test_bureau_lists_do_not_grow_with_rows(client, reviewer, unit, url_name, status, params):
    client.force_login(reviewer)
    grow(unit, status, 2)
    few = queries_for(client, reverse(url_name), params)
    grow(factories.make_unit(), status, 10)
    many = queries_for(client, reverse(url_name), params)
    assert few == many
    page = client.get(reverse(url_name), params)
    assert len(page.context["rows"]) == 12


def test_unit_people_does_not_grow_with_rows(client, unit):
    client.force_login(factories.unit_account(unit))
    grow(unit, ApplicationStatus.PENDING_UNIT, 2)
    few = queries_for(client, reverse("experts:unit_people"))
    grow(unit, ApplicationStatus.DRAFT, 10)
    many = queries_for(client, reverse("experts:unit_people"))
    assert few == many


def test_unit_queue_does_not_grow_with_rows(client, reviewer):
    client.force_login(reviewer)
    for _ in range(2):
        factories.make_unit(UnitStatus.PENDING)
    few = queries_for(client, reverse("accounts:bureau_unit_queue"))
    for _ in range(10):
        factories.make_unit(UnitStatus.PENDING)
    many = queries_for(client, reverse("accounts:bureau_unit_queue"))
    assert few == many


def test_applicant_home_does_not_grow_with_history(client, unit, reviewer):
    from experts import services

    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    # Never submitted: no history to look for (every transition starts with 提交). Nor a saved
    # draft: no required fields to count (experts.services.missing_for_submission).
    assert queries_for(client, reverse("experts:home")) == 6
    services.submit_application(applicant.application, applicant)
    few = queries_for(client, reverse("experts:home"))
    account = factories.unit_account(unit)
    for _ in range(4):
        services.return_application(applicant.application, account, "请补充。")
        services.submit_application(applicant.application, applicant)
    many = queries_for(client, reverse("experts:home"))
    assert few == many
    # The session, the applicant with their unit, whether they are in the reviewers' group and
    # have an authenticator (stock authentication reads these apart from the user), the
    # application, its history, its SMS: the account and the unit are not read again.
    assert few == 7
    # A returned draft (as a saved one) names its empty required fields as 提交 would
    # (experts.services.missing_for_submission): one more query whatever the history, whether
    # it has a 专业领域.
    services.return_application(applicant.application, account, "请补充。")
    assert queries_for(client, reverse("experts:home")) == 8


def test_lists_paginate_at_25_rows(client, reviewer, unit):
    client.force_login(reviewer)
    grow(unit, ApplicationStatus.PENDING_BUREAU, 27)
    first = client.get(reverse("experts:bureau_queue"))
    assert len(first.context["rows"]) == 25
    second = client.get(reverse("experts:bureau_queue"), {"page": 2})
    assert len(second.context["rows"]) == 2
    tabs = {value: count for value, _, count in first.context["tabs"]}
    assert tabs["pending_bureau"] == 27 and tabs["all"] == 27


# Each page as a role sees it, with and without a search.
PAGES_AT_SCALE = [
    ("experts:unit_people", "big_unit", {}),
    ("experts:unit_people", "big_unit", {"q": "expert", "status": "all"}),
    ("experts:bureau_queue", "reviewer", {}),
    ("experts:bureau_queue", "reviewer", {"status": "all", "q": "武汉"}),
    ("accounts:bureau_unit_queue", "reviewer", {"status": "all"}),
    ("accounts:bureau_unit_queue", "reviewer", {"status": "all", "q": "武汉"}),
    ("experts:pool", "reviewer", {}),
    ("experts:pool", "reviewer", {"q": "武汉"}),
    ("experts:home", "applicant", {}),
]


@pytest.mark.slow
def test_pages_use_the_same_queries_at_10_and_at_1000_rows():
    """Seeded in bulk by the benchmark's own command (seed_scale), 10 applicants, then 1,000.
    Every page is counted at both sizes against one seeding: a seeding of 1,000 takes seconds,
    and each page's own count is what is compared."""
    from django.test import Client

    from accounts.models import Unit, User
    from experts.management.commands.seed_scale import seed_scale

    seed_scale(units=3, experts=10)
    big_unit = Unit.objects.filter(status=UnitStatus.APPROVED).order_by("pk").first()
    users = {
        "big_unit": User.objects.get(unit=big_unit, kind="unit"),
        "reviewer": factories.make_reviewer(),
        "applicant": User.objects.filter(kind="applicant").order_by("pk").first(),
    }
    clients = {}
    for who, user in users.items():
        clients[who] = Client()
        clients[who].force_login(user)

    def count_each() -> dict:
        return {
            (url_name, str(params)): queries_for(clients[who], reverse(url_name), params)
            for url_name, who, params in PAGES_AT_SCALE
        }

    few = count_each()
    for url_name, who, params in PAGES_AT_SCALE:
        rows = clients[who].get(reverse(url_name), params).context.get("rows")
        assert rows is None or len(rows) > 0, url_name  # a list shows rows at both sizes

    seed_scale(units=5, experts=990)
    assert User.objects.filter(kind="applicant").count() == 1000
    assert count_each() == few


def test_the_pools_disciplines_come_from_the_cache_until_one_changes(
    client, reviewer, django_capture_on_commit_callbacks
):
    from experts.models import Discipline

    def names(page):
        return [
            name
            for field, children in page.context["facets"]["discipline"]
            for name in [field.label, *(child.label for child in children)]
        ]

    client.force_login(reviewer)
    url = reverse("experts:pool")
    first = client.get(url)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(url)
    assert not [q for q in captured if "experts_discipline" in q["sql"]]
    assert names(again) == names(first)

    with django_capture_on_commit_callbacks(execute=True):
        added = Discipline.objects.create(code="ZZ99", name="量子信息")
    assert "量子信息" in names(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        added.delete()
    assert "量子信息" not in names(client.get(url))


def test_the_pools_facets_take_two_grouped_queries(client, reviewer, unit):
    """专家库 filtered by 职称级别 counts its facets in two grouped queries (experts.facets):
    专业领域 one over the kept FacetDiscipline rows (no COUNT(DISTINCT), no join of the picks to
    the classification), and every other facet in one grouped by unit, with a filtered count
    per option of 专家状态, 职称级别 and 年龄段. Which index serves them at 100,000 is
    bench/explain.py's to show: on a table of a few rows the planner's choice says nothing."""
    grow(unit, ApplicationStatus.APPROVED, 3)
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("experts:pool"), {"title_level": "senior"})
    grouped = [q["sql"] for q in captured if "GROUP BY" in q["sql"]]
    assert len(grouped) == 2
    (by_unit,) = [
        sql for sql in grouped if sql.startswith('SELECT "experts_expertapplication"."unit_id"')
    ]
    # 2 statuses, 4 levels, 5 age bands, and every filter at once.
    assert by_unit.count("FILTER (WHERE") == 12
    (by_discipline,) = [sql for sql in grouped if "experts_facetdiscipline" in sql]
    assert "DISTINCT" not in by_discipline and "experts_discipline" not in by_discipline
    assert not [sql for sql in grouped if "experts_expertapplication_disciplines" in sql]
