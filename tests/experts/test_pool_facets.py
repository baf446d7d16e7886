"""专家库's filters and facet counts (issue 22 part 1): each filter narrows, a field takes its
sub-fields, each option counts under the other filters (0 shown), a forged value is named as
ignored, and the page's queries do not grow with rows or options."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit
from experts.facets import pool_facets
from experts.filters import PoolFilter
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from experts.selectors import applications_for, in_discipline
from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("experts:pool")


def discipline(code: str) -> Discipline:
    return Discipline.objects.get(code=code)


def aged(years: int) -> datetime.date:
    """A birth date `years` full years before today (1 January: the age all year long)."""
    return datetime.date(timezone.localdate().year - years, 1, 1)


def expert(unit, name, *, level, age, codes, status=ApplicationStatus.APPROVED):
    user = factories.make_applicant(unit, status, name=name)
    ExpertApplication.objects.filter(user=user).update(title_level=level, birth_date=aged(age))
    user.application.disciplines.set(Discipline.objects.filter(code__in=codes))
    return user.application


@pytest.fixture
def pool(db):
    """Four approved experts in two units, and one waiting (never in the pool)."""
    hongshan = factories.make_unit(name="洪山大学")
    jianghan = factories.make_unit(name="江汉科技公司")
    Unit.objects.filter(pk=jianghan.pk).update(nature="enterprise", district="江汉区")
    return {
        "units": (hongshan, jianghan),
        "a": expert(hongshan, "甲软件", level="senior", age=46, codes=["0101"]),
        "b": expert(hongshan, "乙电子", level="associate", age=31, codes=["01"]),
        "c": expert(jianghan, "丙通信", level="senior", age=66, codes=["0101", "0104"]),
        "d": expert(jianghan, "丁制造", level="intermediate", age=56, codes=["08"]),
        "waiting": expert(
            hongshan,
            "戊待审",
            level="senior",
            age=40,
            codes=["01"],
            status=ApplicationStatus.PENDING_BUREAU,
        ),
    }


def names(response) -> set[str]:
    assert response.status_code == 200
    return {row.real_name for row in response.context["rows"]}


def counts_of(response, facet: str) -> dict[str, int]:
    facets = response.context["facets"]
    if facet == "discipline":
        return {
            option.label: option.n
            for field, children in facets["discipline"]
            for option in [field, *children]
        }
    return {option.label: option.n for option in facets[facet]}


def test_a_field_takes_its_sub_fields_and_a_sub_field_only_itself(client, reviewer, pool):
    client.force_login(reviewer)
    electronics, software = discipline("01"), discipline("0101")
    assert names(client.get(URL, {"discipline": electronics.pk})) == {"甲软件", "乙电子", "丙通信"}
    assert names(client.get(URL, {"discipline": software.pk})) == {"甲软件", "丙通信"}
    assert names(client.get(URL, {"discipline": discipline("0104").pk})) == {"丙通信"}
    assert names(client.get(URL, {"discipline": discipline("0102").pk})) == set()


def test_in_discipline_takes_each_expert_once(pool):
    """丙 picked two sub-fields of 电子信息: once in the field, as the draw needs."""
    approved = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    found = in_discipline(approved, discipline("01").pk)
    assert found.count() == 3
    assert sorted(found.values_list("user__real_name", flat=True)) == ["丙通信", "乙电子", "甲软件"]
    everyone = in_discipline(ExpertApplication.objects.all(), discipline("01").pk)
    assert everyone.count() == 4  # the waiting one too: the rule narrows, the scope decides


def test_in_discipline_is_one_lookup_of_the_kept_rows(pool, django_assert_num_queries):
    """No query for a field's sub-fields first: the rows 专业领域's counts read hold a field
    for each of its sub-fields picked, so the list and its facet count agree by construction."""
    approved = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
    electronics = discipline("01").pk
    with django_assert_num_queries(0):
        found = in_discipline(approved, electronics)
    with django_assert_num_queries(1) as captured:
        assert found.count() == 3
    assert "experts_facetdiscipline" in captured.captured_queries[0]["sql"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"title_level": "senior"}, {"甲软件", "丙通信"}),
        ({"nature": "enterprise"}, {"丙通信", "丁制造"}),
        ({"district": "洪山区"}, {"甲软件", "乙电子"}),
        ({"age": "lt35"}, {"乙电子"}),
        ({"age": "45-54"}, {"甲软件"}),
        ({"age": "55-64"}, {"丁制造"}),
        ({"age": "65+"}, {"丙通信"}),
        ({"age": "35-44"}, set()),
        ({"q": "甲软件"}, {"甲软件"}),
        ({"title_level": "senior", "district": "江汉区"}, {"丙通信"}),
    ],
)
def test_each_filter_narrows_the_pool(client, reviewer, pool, params, expected):
    client.force_login(reviewer)
    assert names(client.get(URL, params)) == expected


def test_the_unit_filter_takes_one_unit(client, reviewer, pool):
    client.force_login(reviewer)
    hongshan, jianghan = pool["units"]
    assert names(client.get(URL, {"unit": jianghan.pk})) == {"丙通信", "丁制造"}
    assert names(client.get(URL, {"unit": hongshan.pk})) == {"甲软件", "乙电子"}


def test_each_option_counts_under_the_other_filters_and_zero_is_shown(client, reviewer, pool):
    client.force_login(reviewer)
    page = client.get(URL, {"discipline": discipline("01").pk})

    assert counts_of(page, "title_level") == {"正高级": 2, "副高级": 1, "中级": 0, "其他": 0}
    # 电子信息 counts 丙 once, though 丙 picked two of its sub-fields.
    disciplines = counts_of(page, "discipline")
    assert disciplines["电子信息"] == 3
    assert (disciplines["软件"], disciplines["通信技术"], disciplines["微电子技术"]) == (2, 1, 0)
    assert disciplines["先进制造与自动化"] == 1  # the discipline's own filter left out
    assert counts_of(page, "unit") == {"洪山大学": 2, "江汉科技公司": 1}
    natures = counts_of(page, "nature")
    assert (natures["高等院校"], natures["企业"], natures["科研院所"]) == (2, 1, 0)
    districts = counts_of(page, "district")
    assert (districts["洪山区"], districts["江汉区"], districts["江岸区"]) == (2, 1, 0)
    assert counts_of(page, "age") == {
        "35岁以下": 1,
        "35—44岁": 0,
        "45—54岁": 1,
        "55—64岁": 0,
        "65岁及以上": 1,
    }
    html = page.content.decode()
    assert "正高级（2）" in html and "中级（0）" in html
    assert page.context["page"].paginator.count == 3

    # Two filters: each facet keeps the other one.
    both = client.get(URL, {"discipline": discipline("01").pk, "title_level": "senior"})
    assert names(both) == {"甲软件", "丙通信"}
    assert both.context["page"].paginator.count == 2
    assert counts_of(both, "title_level")["副高级"] == 1  # its own filter left out
    disciplines = counts_of(both, "discipline")
    assert (disciplines["电子信息"], disciplines["先进制造与自动化"]) == (2, 0)
    assert counts_of(both, "unit") == {"洪山大学": 1, "江汉科技公司": 1}


def test_unit_nature_and_district_facets_each_leave_out_their_own_filter(client, reviewer, pool):
    client.force_login(reviewer)
    hongshan, _ = pool["units"]
    page = client.get(URL, {"unit": hongshan.pk, "nature": "enterprise"})
    assert names(page) == set()  # 洪山大学 is a university
    assert counts_of(page, "unit") == {"江汉科技公司": 2, "洪山大学": 0}  # the chosen one: 0
    natures = counts_of(page, "nature")
    assert (natures["高等院校"], natures["企业"]) == (2, 0)  # within 洪山大学
    assert counts_of(page, "district")["洪山区"] == 0  # 洪山大学 and 企业: no one


def test_a_chosen_filter_stays_chosen_in_the_form_and_the_url_is_the_filter(client, reviewer, pool):
    client.force_login(reviewer)
    software = discipline("0101")
    page = client.get(f"{URL}?discipline={software.pk}&age=65%2B&district=江汉区").content
    html = page.decode()
    assert f'<option value="{software.pk}" selected>软件（1）</option>' in html
    assert '<option value="65+" selected>65岁及以上（1）</option>' in html
    assert '<option value="江汉区" selected>江汉区（1）</option>' in html
    assert "清除筛选" in html


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"unit": "abc"}, "单位：abc"),
        ({"unit": "99999999"}, "单位：99999999"),
        ({"discipline": "电子信息"}, "专业领域：电子信息"),
        ({"discipline": "99999999"}, "专业领域：99999999"),
        ({"nature": "bank"}, "单位性质：bank"),
        ({"district": "浦东新区"}, "所在区：浦东新区"),
        ({"age": "120"}, "年龄段：120"),
        ({"title_level": "<b>x</b>"}, "职称级别：&lt;b&gt;x&lt;/b&gt;"),
        ({"status": "draft"}, "专家状态：信息未填写"),  # a status the pool does not list
        ({"status": "exited"}, "专家状态：已出库"),
        ({"status": "gone"}, "专家状态：gone"),
    ],
)
def test_a_forged_filter_value_is_ignored_and_named(client, reviewer, pool, params, named):
    client.force_login(reviewer)
    page = client.get(URL, params)
    assert page.status_code == 200
    assert names(page) == {"甲软件", "乙电子", "丙通信", "丁制造"}
    assert f"筛选条件“{named}”无效，已忽略。" in page.content.decode()


def test_a_forged_value_beside_good_ones_leaves_the_good_ones_working(client, reviewer, pool):
    client.force_login(reviewer)
    page = client.get(URL, {"unit": "1 OR 1=1", "title_level": "senior"})
    assert names(page) == {"甲软件", "丙通信"}
    assert "筛选条件“单位：1 OR 1=1”无效，已忽略。" in page.content.decode()


def test_unit_accounts_and_applicants_get_no_pool(client, pool):
    hongshan, _ = pool["units"]
    for user in (factories.unit_account(hongshan), pool["a"].user):
        client.force_login(user)
        page = client.get(URL, {"discipline": discipline("01").pk})
        assert page.status_code == 403
        assert "丙通信" not in page.content.decode()


def test_the_counts_follow_an_approval_at_once(client, reviewer, pool):
    client.force_login(reviewer)
    params = {"discipline": discipline("01").pk}
    assert counts_of(client.get(URL, params), "title_level")["正高级"] == 2
    hongshan, _ = pool["units"]
    expert(hongshan, "己新入库", level="senior", age=40, codes=["0102"])  # counts.shift
    page = client.get(URL, params)
    assert counts_of(page, "title_level")["正高级"] == 3
    assert counts_of(page, "age")["35—44岁"] == 1


def test_facets_are_kept_per_set_of_filters(reviewer, pool):
    """The same filters a second time: read from the cache, not counted again."""
    data = {"discipline": str(discipline("01").pk), "status": "approved"}
    scope = applications_for(reviewer).filter(status=ApplicationStatus.APPROVED)
    first = pool_facets(PoolFilter(data, queryset=scope))
    with CaptureQueriesContext(connection) as captured:
        again = pool_facets(PoolFilter(data, queryset=scope))
    assert again == first
    assert not [q for q in captured if "GROUP BY" in q["sql"]]


def cold_queries(client, params) -> int:
    cache.clear()
    client.get(URL, params)  # the session's and the classification's first reads
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "params", [{}, {"discipline": "01", "title_level": "senior", "age": "45-54"}]
)
def test_the_pages_queries_do_not_grow_with_rows_or_options(client, reviewer, pool, params):
    client.force_login(reviewer)
    if "discipline" in params:
        params = {**params, "discipline": discipline(params["discipline"]).pk}
    few = cold_queries(client, params)
    for n in range(6):  # more experts, units, sub-fields, levels and ages
        unit = factories.make_unit()
        Unit.objects.filter(pk=unit.pk).update(nature="institute", district="武昌区")
        codes = ["0102", "0103", "0201", "0905"][n % 4 :] or ["01"]
        expert(unit, f"新专家{n}", level=["senior", "other"][n % 2], age=30 + 6 * n, codes=codes)
    many = cold_queries(client, params)
    assert few == many
    # Kept: the same page again counts nothing (the list's page and the pool's state only).
    with CaptureQueriesContext(connection) as captured:
        client.get(URL, params)
    assert len(captured) < many
    assert not [q for q in captured if "GROUP BY" in q["sql"]]


# 专家状态 (issue 23: frozen experts "shown as such in the pool"): 审核通过 by default, 已冻结 on
# request, each with its count under the other filters; no other status, whatever the URL says.


@pytest.fixture
def frozen(pool):
    hongshan, _ = pool["units"]
    return expert(
        hongshan, "庚冻结", level="senior", age=50, codes=["0101"], status=ApplicationStatus.FROZEN
    )


def test_the_pool_lists_the_approved_and_counts_the_frozen(client, reviewer, pool, frozen):
    client.force_login(reviewer)
    page = client.get(URL)
    assert names(page) == {"甲软件", "乙电子", "丙通信", "丁制造"}
    assert counts_of(page, "status") == {"审核通过": 4, "已冻结": 1}
    html = page.content.decode()
    assert '<option value="frozen">已冻结（1）</option>' in html
    assert 'data-testid="frozen-note"' not in html


@pytest.mark.parametrize(
    ("params", "heading"),
    [
        ({}, "审核通过 4 人"),
        ({"status": "frozen"}, "已冻结 1 人"),
        ({"status": "all"}, "审核通过、已冻结 5 人"),
    ],
)
def test_the_headings_count_names_the_statuses_it_counts(
    client, reviewer, pool, frozen, params, heading
):
    """Found by a reviewer's walk: 专家库 said 213 人 (审核通过) where 统计分析 counted 217
    (已冻结 too): the heading names what it counts."""
    client.force_login(reviewer)
    html = client.get(URL, params).content.decode()
    assert f'<span class="badge text-bg-light" data-testid="pool-count">{heading}</span>' in html


def test_the_frozen_are_listed_as_such_with_their_own_facet_counts(client, reviewer, pool, frozen):
    client.force_login(reviewer)
    page = client.get(URL, {"status": "frozen"})
    assert names(page) == {"庚冻结"}
    assert page.context["page"].paginator.count == 1
    assert counts_of(page, "title_level")["正高级"] == 1
    assert counts_of(page, "unit") == {"洪山大学": 1}
    html = page.content.decode()
    assert '<option value="frozen" selected>已冻结（1）</option>' in html
    assert '庚冻结 <span class="badge text-bg-dark">已冻结</span>' in html
    assert 'data-testid="frozen-note"' in html and "不参加专家抽取" in html


def test_the_status_facet_counts_under_the_other_filters(client, reviewer, pool, frozen):
    client.force_login(reviewer)
    senior = client.get(URL, {"title_level": "senior"})
    assert names(senior) == {"甲软件", "丙通信"}
    assert counts_of(senior, "status") == {"审核通过": 2, "已冻结": 1}
    young = client.get(URL, {"age": "lt35", "status": "frozen"})
    assert names(young) == set()
    assert counts_of(young, "status") == {"审核通过": 1, "已冻结": 0}
    assert "没有符合筛选条件的专家" in young.content.decode()


@pytest.mark.parametrize("status", ["all", "pending_bureau", "draft", "exited"])
def test_no_status_outside_the_pool_is_ever_listed(client, reviewer, pool, frozen, status):
    client.force_login(reviewer)
    page = client.get(URL, {"status": status, "q": "待审"})
    assert "戊待审" not in names(page)
    listed = names(client.get(URL, {"status": status}))
    assert "戊待审" not in listed
    if status == "all":  # every admitted expert, frozen or not, and the form says so
        assert listed == {"甲软件", "乙电子", "丙通信", "丁制造", "庚冻结"}
        html = client.get(URL, {"status": status}).content.decode()
        assert '<option value="all" selected>全部（5）</option>' in html
    else:  # ignored, and named: the pool proper
        assert listed == {"甲软件", "乙电子", "丙通信", "丁制造"}


def test_freezing_shows_in_the_counts_at_once(client, reviewer, pool, frozen):
    client.force_login(reviewer)
    assert counts_of(client.get(URL), "status") == {"审核通过": 4, "已冻结": 1}
    hongshan, _ = pool["units"]
    expert(hongshan, "辛冻结", level="other", age=40, codes=["08"], status=ApplicationStatus.FROZEN)
    assert counts_of(client.get(URL), "status") == {"审核通过": 4, "已冻结": 2}


def test_an_unbound_pool_filter_keeps_to_the_pool_proper(reviewer, pool, frozen):
    """No parameters at all, even through django-filter's `.qs`: 审核通过 only."""
    rows = PoolFilter(queryset=applications_for(reviewer)).qs
    assert {row.user.real_name for row in rows} == {"甲软件", "乙电子", "丙通信", "丁制造"}


def test_edited_picks_show_at_once_in_the_counts_and_the_list(client, reviewer, pool):
    """The list's total is the facets' count: a count kept from before an edit would cut the
    list short (the edited expert listed, another dropped), so an edit of picks is in the key."""
    client.force_login(reviewer)
    communications = {"discipline": discipline("0104").pk}
    assert names(client.get(URL, communications)) == {"丙通信"}  # counted, then kept

    pool["a"].disciplines.add(discipline("0104"))  # as an operator's edit in admin does

    response = client.get(URL, communications)
    assert names(response) == {"丙通信", "甲软件"}
    assert counts_of(response, "discipline")["通信技术"] == 2


def test_an_applied_change_request_shows_at_once(client, reviewer, pool):
    """A 信息变更 applied (a new 职称级别 here) is a transition: the kept counts are not used."""
    from changes import services
    from tests.changes.helpers import admitted, change_form

    hongshan = pool["units"][0]
    newcomer = admitted(hongshan, name="己晋升")  # 正高级, as the factory makes them
    client.force_login(reviewer)
    associate = {"title_level": "associate"}
    assert names(client.get(URL, associate)) == {"乙电子"}
    form = change_form(newcomer, title_level="associate", title="副研究员")
    assert form.is_valid(), form.errors
    change = services.save_changes(newcomer.application, newcomer, form.cleaned_data).request
    services.confirm_change(change, factories.unit_account(hongshan))
    services.approve_change(change, factories.make_reviewer())

    response = client.get(URL, associate)
    assert names(response) == {"乙电子", "己晋升"}
    assert counts_of(response, "title_level")["副高级"] == 2


def test_only_a_field_with_sub_fields_says_it_takes_them(
    client, reviewer, pool, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the classification's cache
        Discipline.objects.create(code="99", name="独立领域")
    client.force_login(reviewer)
    html = client.get(URL).content.decode()
    assert "独立领域（0）" in html and "独立领域（含子领域）" not in html
    assert "电子信息（含子领域）（3）" in html


@pytest.mark.parametrize("params", [{}, {"title_level": "senior"}])
def test_the_kept_status_counts_are_read_once_a_page(client, reviewer, pool, params):
    """The tabs and the facets' cache key share one read of experts.StatusCount."""
    client.force_login(reviewer)
    client.get(URL, params)  # the facets counted and kept
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params).status_code == 200
    read = [q for q in captured.captured_queries if "experts_statuscount" in q["sql"]]
    assert len(read) == 1
