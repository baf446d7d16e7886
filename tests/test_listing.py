"""Lists are querysets: scope (applications_for, units_for) → filters (experts.filters,
accounts.filters) → counts per tab → a page of model instances (portal.views.list_page)."""

import pytest
from django.db.models import Count
from django.test import RequestFactory
from django.urls import reverse

from accounts.choices import UnitStatus
from accounts.filters import UnitFilter
from accounts.models import Unit
from accounts.selectors import units_for
from experts.filters import PeopleFilter, PoolFilter, QueueFilter
from experts.models import ApplicationStatus, ExpertApplication
from experts.selectors import applications_for
from portal import views
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


@pytest.fixture
def lists(unit, other_unit):
    """Applications in two units and three statuses, two of them 副高级."""
    for status in [S.PENDING_BUREAU, S.APPROVED] * 3:
        factories.make_applicant(unit, status)
    factories.make_applicant(other_unit, S.PENDING_UNIT)
    factories.make_applicant(other_unit, S.APPROVED, name="外单位专家")
    ExpertApplication.objects.filter(pk__in=ExpertApplication.objects.order_by("pk")[:2]).update(
        title_level="associate"
    )
    return {"unit": unit, "other_unit": other_unit}


def tabs(response) -> dict:
    return {value: n for value, _, n in response.context["tabs"]}


def test_rows_are_model_instances_in_the_lists_order(client, reviewer, lists):
    client.force_login(reviewer)
    response = client.get(reverse("experts:pool"))
    rows = list(response.context["rows"])
    assert all(isinstance(row, ExpertApplication) for row in rows)
    expected = ExpertApplication.objects.filter(status=S.APPROVED).order_by("-decided_at", "-pk")
    assert [row.pk for row in rows] == list(expected.values_list("pk", flat=True))
    first = expected.select_related("user__unit").first()
    assert rows[0].real_name == first.user.real_name
    assert rows[0].unit_name == first.user.unit.name
    assert rows[0].get_title_level_display() == first.get_title_level_display()


def test_tabs_count_every_status_from_the_kept_counts_or_the_filtered_rows(client, reviewer, lists):
    client.force_login(reviewer)
    response = client.get(reverse("experts:bureau_queue"))
    assert response.context["status"] == S.PENDING_BUREAU
    assert tabs(response) == {
        "all": 8,
        S.DRAFT: 0,  # 已退回（待修改）: none returned here
        S.PENDING_UNIT: 1,
        S.PENDING_BUREAU: 3,
        S.APPROVED: 4,
        S.REJECTED: 0,
        S.FROZEN: 0,
        S.EXIT_PENDING: 0,
        S.EXITED: 0,
    }
    # A filter besides the status: counted from its rows, every tab narrowed alike.
    response = client.get(reverse("experts:bureau_queue"), {"title_level": "associate"})
    assert sum(tabs(response)[value] for value in tabs(response) if value != "all") == 2
    pool = client.get(reverse("experts:pool"), {"title_level": "associate"})
    assert pool.context["page"].paginator.count == tabs(pool)[S.APPROVED]


def test_the_unit_queues_tabs_count_every_unit_by_status(client, reviewer):
    for status in [UnitStatus.PENDING, UnitStatus.PENDING, UnitStatus.APPROVED]:
        factories.make_unit(status)
    factories.make_unit(UnitStatus.REJECTED)
    client.force_login(reviewer)
    response = client.get(reverse("accounts:bureau_unit_queue"))
    expected = dict(Unit.objects.order_by().values_list("status").annotate(n=Count("*")))
    assert tabs(response)["pending"] == expected["pending"] == 2
    assert tabs(response)["rejected"] == 1 and tabs(response)["all"] == sum(expected.values())


def test_a_unit_queue_search_lists_the_matching_units_in_order(client, reviewer):
    first = factories.make_unit(UnitStatus.PENDING, name="光谷检索研究院")
    second = factories.make_unit(UnitStatus.PENDING, name="光谷检索大学")
    factories.make_unit(UnitStatus.PENDING, name="江夏农业公司")
    client.force_login(reviewer)
    page = client.get(reverse("accounts:bureau_unit_queue"), {"q": "光谷检索"})
    rows = page.context["rows"]
    assert [row.pk for row in rows] == [first.pk, second.pk]  # oldest submission first
    assert rows[0].get_nature_display() == first.get_nature_display()
    html = page.content.decode()
    assert "光谷检索研究院" in html and "江夏农业公司" not in html
    # Several words: each in the name, the credit code or the contact, in any order.
    page = client.get(reverse("accounts:bureau_unit_queue"), {"q": " 大学  光谷 "})
    assert [row.pk for row in page.context["rows"]] == [second.pk]
    page = client.get(reverse("accounts:bureau_unit_queue"), {"q": "光谷 农业"})
    assert list(page.context["rows"]) == []


def test_a_unit_searches_its_people_by_several_words(client, unit):
    factories.make_applicant(unit, S.PENDING_UNIT, name="赵光明")
    factories.make_applicant(unit, S.PENDING_UNIT, name="赵小红")
    ExpertApplication.objects.filter(user__real_name="赵小红").update(title="研究员")
    client.force_login(factories.unit_account(unit))
    page = client.get(reverse("experts:unit_people"), {"q": "研究员 赵", "status": "all"})
    assert [row.real_name for row in page.context["rows"]] == ["赵小红"]
    assert "多个词用空格分开" in page.content.decode()


def test_pages_hold_25_rows_and_a_page_out_of_range_is_the_last(client, reviewer, unit):
    for _ in range(27):
        factories.make_applicant(unit, S.PENDING_BUREAU)
    client.force_login(reviewer)
    url = reverse("experts:bureau_queue")
    pages = [client.get(url, {"page": n}).context for n in (1, 2, 9, "x")]
    assert [len(page["rows"]) for page in pages] == [25, 2, 2, 25]
    every = [row.pk for page in pages[:2] for row in page["rows"]]
    assert len(set(every)) == 27


def test_a_capped_search_says_more_and_counts_no_further(client, reviewer, unit, monkeypatch):
    monkeypatch.setattr(views, "SEARCH_COUNT_LIMIT", 2)
    for n in "一二三":
        factories.make_applicant(unit, S.APPROVED, name=f"李{n}")
    client.force_login(reviewer)
    response = client.get(reverse("experts:pool"), {"q": "李"})
    assert response.context["more"] is True
    assert response.context["page"].paginator.count == 2 and len(response.context["rows"]) == 2
    assert tabs(response) == {"all": None, S.APPROVED: None, S.FROZEN: None}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"status": "draft"},  # not a tab of 专家库 or 单位注册审核 (专家审核: 已退回（待修改）)
        {"discipline": "999999999999"},
        {"discipline": "abc"},
        {"title_level": "emperor"},
        {"page": "-1"},
        {"q": "李\x00" + "李" * 300},
    ],
)
def test_hostile_parameters_are_left_out(client, reviewer, lists, params):
    client.force_login(reviewer)
    for url_name in ["experts:bureau_queue", "experts:pool", "accounts:bureau_unit_queue"]:
        response = client.get(reverse(url_name), params)
        assert response.status_code == 200
        if "status" in params:
            kept = url_name == "experts:bureau_queue" and params["status"] == "draft"
            # Left out: every status, but on 专家库 the pool proper (审核通过, not 已冻结).
            left_out = S.APPROVED if url_name == "experts:pool" else "all"
            assert response.context["status"] == ("draft" if kept else left_out)


def request_for(user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    return request


@pytest.mark.parametrize("filters", [QueueFilter, PoolFilter, PeopleFilter])
def test_a_filter_never_widens_a_units_scope(lists, filters):
    """Whatever the parameters, a FilterSet over one unit's applications keeps that unit's."""
    account = factories.unit_account(lists["unit"])
    scope = applications_for(account)
    own = set(scope.values_list("pk", flat=True))
    for params in [
        {},
        {"status": "all"},
        {"status": S.PENDING_UNIT},
        {"q": "外单位"},
        {"q": "专家"},
        {"title_level": "associate"},
        {"discipline": "1"},
    ]:
        filterset = filters(params, queryset=scope)
        found = set(filterset.qs.values_list("pk", flat=True))
        narrowed = set(filterset.narrowed().values_list("pk", flat=True))
        assert found <= own and narrowed <= own, params
        assert not found & set(
            ExpertApplication.objects.filter(unit=lists["other_unit"]).values_list("pk", flat=True)
        )


def test_a_unit_filter_over_units_for_a_unit_account_keeps_its_own_unit(lists):
    account = factories.unit_account(lists["unit"])
    for params in [{}, {"status": "all"}, {"q": lists["other_unit"].name}]:
        found = set(UnitFilter(params, queryset=units_for(account)).qs)
        assert found <= {lists["unit"]}


def test_filters_compose_with_the_search(lists):
    scope = ExpertApplication.objects.all()
    params = {"status": S.APPROVED, "q": "外单位", "title_level": "senior"}
    found = list(PoolFilter(params, queryset=scope).qs)
    assert [a.user.real_name for a in found] == ["外单位专家"]
    assert not PoolFilter({**params, "status": S.PENDING_UNIT}, queryset=scope).is_valid()


def test_the_people_list_shows_its_own_unit_only(client, lists):
    client.force_login(factories.unit_account(lists["unit"]))
    response = client.get(reverse("experts:unit_people"), {"status": "all", "q": "外单位"})
    assert list(response.context["rows"]) == []
    response = client.get(reverse("experts:unit_people"))
    units = {row.pk for row in response.context["rows"]}
    assert units == set(
        ExpertApplication.objects.filter(unit=lists["unit"]).values_list("pk", flat=True)
    )


def test_a_short_lists_search_reads_words_as_the_pools_does(db):
    """Full-width letters, upper case and a full-width space read as the pool's search box
    reads them (portal.words): “ＡＩ　光谷” finds the unit with both words, in any order."""
    from portal.filters import contains_any

    wanted = factories.make_unit(name="光谷AI研究院")
    factories.make_unit(name="光谷制造公司")
    found = contains_any(Unit.objects.all(), "ＡＩ　光谷 ai", ["name"])
    assert list(found) == [wanted]
    # A name kept with full-width brackets is found as typed, brackets and all.
    hospital = factories.make_unit(name="武汉市第一医院（总院）")
    assert list(contains_any(Unit.objects.all(), "第一医院（总院）", ["name"])) == [hospital]
