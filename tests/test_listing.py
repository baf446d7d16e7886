"""portal.listing.Rows: a list page's rows, read with SQL compiled once (`ordered`, `by_keys`),
are the rows its query would give."""

import pytest
from django.db import connection
from django.db.models import F, Value
from django.test.utils import CaptureQueriesContext

from experts.models import ApplicationStatus, ExpertApplication
from experts.selectors import ListedApplication, listed
from portal.listing import Rows
from tests import factories

pytestmark = pytest.mark.django_db

ROWS = listed("status", "real_name", "unit_name", "title", "submitted_at", "decided_at")
ORDER = ["-submitted_at", "-pk"]


def expected(keys):
    queryset = ExpertApplication.objects.filter(pk__in=keys).order_by(*ORDER)
    return list(ROWS(queryset))


def test_rows_by_key_are_the_querys_rows_in_its_order(unit, other_unit):
    for status in [ApplicationStatus.PENDING_BUREAU, ApplicationStatus.APPROVED] * 2:
        factories.make_applicant(unit, status)
    factories.make_applicant(other_unit, ApplicationStatus.PENDING_UNIT)
    every = list(ExpertApplication.objects.order_by("pk").values_list("pk", flat=True))
    for keys in [every, every[:2], every[3:], every[1:2], [every[4], every[0]]]:
        with CaptureQueriesContext(connection) as queries:
            found = ROWS.by_keys(ExpertApplication, keys, ORDER, "default")
        assert len(queries) == 1
        assert found == expected(keys)
        assert all(isinstance(row, ListedApplication) for row in found)
    # Converted as the ORM converts them (SQLite stores times as text).
    assert found[0].submitted_at.tzinfo is not None
    assert {row.unit_name for row in found} == {unit.name, other_unit.name}


def test_the_same_count_of_other_keys_reuses_the_sql_with_those_keys(unit):
    first = factories.make_applicant(unit, ApplicationStatus.APPROVED).application
    second = factories.make_applicant(unit, ApplicationStatus.APPROVED).application
    rows = listed("status", "real_name")  # a fresh cache
    assert [r.pk for r in rows.by_keys(ExpertApplication, [first.pk], ORDER, "default")] == [
        first.pk
    ]
    compiled = dict(rows._compiled)
    assert [r.pk for r in rows.by_keys(ExpertApplication, [second.pk], ORDER, "default")] == [
        second.pk
    ]
    assert rows._compiled == compiled and len(compiled) == 1  # the same SQL, other keys
    assert ROWS.by_keys(ExpertApplication, [], ORDER, "default") == []


def test_rows_whose_query_takes_other_parameters_are_refused(unit):
    factories.make_applicant(unit)
    rows = Rows(ListedApplication, "status", label=Value("专家"))
    with pytest.raises(ValueError, match="parameters besides their keys"):
        rows.by_keys(ExpertApplication, [1], ORDER, "default")


def test_a_unit_queue_search_lists_the_matching_units_in_order(client, reviewer):
    """单位注册审核's search reads its units by key too (accounts.selectors.QUEUE_ROWS)."""
    from django.urls import reverse

    from accounts.choices import UnitStatus

    first = factories.make_unit(UnitStatus.PENDING, name="光谷检索研究院")
    second = factories.make_unit(UnitStatus.PENDING, name="光谷检索大学")
    factories.make_unit(UnitStatus.PENDING, name="江夏农业公司")
    client.force_login(reviewer)
    page = client.get(reverse("accounts:bureau_unit_queue"), {"q": "光谷检索"})
    rows = page.context["rows"]
    assert [row.pk for row in rows] == [first.pk, second.pk]  # oldest submission first
    assert rows[0].get_nature_display() == first.get_nature_display()
    assert "光谷检索研究院" in page.content.decode()
    assert "江夏农业公司" not in page.content.decode()


def test_the_unit_queues_tabs_count_every_unit_by_status(client, reviewer):
    """单位注册审核's kept-free counts (accounts.selectors.unit_counts) are the ORM's."""
    from django.db.models import Count
    from django.urls import reverse

    from accounts.choices import UnitStatus
    from accounts.models import Unit

    for status in [
        UnitStatus.PENDING,
        UnitStatus.PENDING,
        UnitStatus.APPROVED,
        UnitStatus.REJECTED,
    ]:
        factories.make_unit(status)
    client.force_login(reviewer)
    tabs = {
        value: n
        for value, _, n in client.get(reverse("accounts:bureau_unit_queue")).context["tabs"]
    }
    expected = dict(Unit.objects.order_by().values_list("status").annotate(n=Count("*")))
    assert tabs["pending"] == expected["pending"] == 2
    assert tabs["rejected"] == 1 and tabs["all"] == sum(expected.values())


def page_of(queryset, start, stop):
    return list(ROWS(queryset).order_by(*ORDER)[start:stop])


@pytest.fixture
def lists(unit, other_unit):
    """Applications in two units and three statuses, two of them 副高级."""
    for status in [ApplicationStatus.PENDING_BUREAU, ApplicationStatus.APPROVED] * 3:
        factories.make_applicant(unit, status)
    factories.make_applicant(other_unit, ApplicationStatus.PENDING_UNIT)
    ExpertApplication.objects.filter(pk__in=ExpertApplication.objects.order_by("pk")[:2]).update(
        title_level="associate"
    )
    return {"unit": unit, "other_unit": other_unit}


def test_ordered_pages_are_the_querys_pages(lists):
    applications = ExpertApplication.objects.all()
    querysets = [
        applications,
        applications.filter(status=ApplicationStatus.APPROVED),
        applications.filter(status=ApplicationStatus.PENDING_BUREAU),
        applications.filter(unit=lists["unit"], status=ApplicationStatus.APPROVED),
        applications.filter(unit=lists["other_unit"]),
        applications.filter(title_level="associate"),
        applications.filter(disciplines__code="01", status=ApplicationStatus.APPROVED),
        applications.filter(user=lists["unit"].accounts.filter(kind="applicant").first()),
        # Not keyed by their text: compiled on each request, still the query's rows.
        applications.extra(where=["1 = 1"]),
        applications.filter(updated_at__gte=F("created_at")),
        applications.reverse(),
    ]
    for queryset in querysets:
        ordered = ROWS.ordered(queryset, ORDER)
        for start, stop in [(0, 25), (0, 2), (2, 4), (5, 30), (40, 65)]:
            with CaptureQueriesContext(connection) as queries:
                found = ordered[start:stop]
            assert len(queries) == 1
            assert found == page_of(queryset, start, stop)
            assert all(isinstance(row, ListedApplication) for row in found)
    assert ROWS.ordered(applications, ORDER)[0:25][0].submitted_at.tzinfo is not None
    for nothing in [applications.filter(pk__in=[]), applications.none()]:
        with CaptureQueriesContext(connection) as queries:
            assert ROWS.ordered(nothing, ORDER)[0:25] == []
        assert len(queries) == 0  # as Django, which asks nothing of the database either


def test_the_same_filters_reuse_their_sql_and_other_values_get_their_own(lists):
    rows = listed("status", "real_name")  # a fresh cache
    approved = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    first = rows.ordered(approved, ORDER)[0:2]
    assert len(rows._queries) == 1
    again = rows.ordered(approved.filter(), ORDER)[2:25]
    assert len(rows._queries) == 1  # the same filters, their SQL kept
    assert [r.pk for r in first + again] == [r.pk for r in page_of(approved, 0, 25)]
    pending = ExpertApplication.objects.filter(status=ApplicationStatus.PENDING_BUREAU)
    assert {r.status for r in rows.ordered(pending, ORDER)[0:25]} == {"pending_bureau"}
    assert {r.status for r in rows.ordered(approved, ["pk"])[0:25]} == {"approved"}
    assert len(rows._queries) == 3  # another value, another order


def test_kept_queries_are_bounded(lists, monkeypatch):
    rows = listed("status")
    monkeypatch.setattr(rows, "KEPT_QUERIES", 2)
    for unit_id in [lists["unit"].pk, lists["other_unit"].pk, 0]:
        rows.ordered(ExpertApplication.objects.filter(unit_id=unit_id), ORDER)[0:25]
    assert len(rows._queries) == 2
    assert [key[3] for key in rows._queries] == [
        str(ExpertApplication.objects.filter(unit_id=unit_id).query.where)
        for unit_id in [lists["other_unit"].pk, 0]
    ]  # the oldest went first


@pytest.mark.parametrize(
    "queryset",
    [
        lambda q: q.annotate(label=Value("专家")),
        lambda q: q.distinct(),
        lambda q: q.extra(select={"one": "1"}),
        lambda q: q[:5],
    ],
)
def test_ordered_takes_a_filtered_queryset_only(queryset):
    with pytest.raises(ValueError, match="filtered queryset"):
        ROWS.ordered(queryset(ExpertApplication.objects.all()), ORDER)


def test_ordered_is_read_a_page_at_a_time(lists):
    ordered = ROWS.ordered(ExpertApplication.objects.all(), ORDER)
    for index in [slice(0, 25, 2), slice(5, None), slice(-1, 3), slice(3, 1)]:
        with pytest.raises(TypeError, match="a page at a time"):
            ordered[index]


def test_the_same_table_joined_another_way_is_another_query(lists):
    """Both join accounts_unit and filter its name: once through the application's own unit,
    once through the account's, which an operator's move leaves behind until refreshed."""
    moved = ExpertApplication.objects.filter(unit=lists["unit"]).order_by("pk").first()
    ExpertApplication.objects.filter(pk=moved.pk).update(unit=lists["other_unit"])
    name = lists["other_unit"].name
    rows = listed("status")
    active = ExpertApplication.objects.filter(user__is_active=True)  # both join the accounts
    by_application = active.filter(unit__name=name)
    by_account = active.filter(user__unit__name=name)
    assert str(by_application.query.where) == str(by_account.query.where)
    for queryset in [by_application, by_account, by_application]:
        found = [r.pk for r in rows.ordered(queryset, ORDER)[0:25]]
        assert found == [r.pk for r in page_of(queryset, 0, 25)]
    assert len(rows._queries) == 2
    assert moved.pk in [r.pk for r in rows.ordered(by_application, ORDER)[0:25]]
    assert moved.pk not in [r.pk for r in rows.ordered(by_account, ORDER)[0:25]]
