"""portal.listing.Rows.by_keys: a search page's rows, read by key with SQL compiled once, are
the rows its query would give."""

import pytest
from django.db import connection
from django.db.models import Value
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
