"""专业领域 and 职称级别 on 专家审核 and 用户账号管理 (walk report R2): the queues offer the
filters their FilterSets take, as 专家库 does, so that a batch of more than 500 can be narrowed;
a filtered URL is a bookmark, and a value no filter takes is named as ignored."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from experts.models import ApplicationStatus, Discipline, ExpertApplication
from portal.templating import minutes
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus
QUEUE = reverse("experts:bureau_queue")
PEOPLE = reverse("experts:unit_people")


def discipline(code: str) -> Discipline:
    return Discipline.objects.get(code=code)


def waiting(unit, name, *, level, codes, status=S.PENDING_BUREAU):
    user = factories.make_applicant(unit, status, name=name)
    ExpertApplication.objects.filter(user=user).update(title_level=level)
    user.application.disciplines.set(Discipline.objects.filter(code__in=codes))
    return user.application


@pytest.fixture
def queue(client, reviewer, unit, other_unit):
    """Waiting for the bureau: three in 电子信息 (one of them in its sub-field 软件), one in
    先进制造; two 正高级. And one of another unit waiting for its own."""
    waiting(unit, "甲软件", level="senior", codes=["0101"])
    waiting(unit, "乙电子", level="associate", codes=["01"])
    waiting(other_unit, "丙通信", level="senior", codes=["0104"])
    waiting(unit, "丁制造", level="intermediate", codes=["08"])
    waiting(other_unit, "戊外单位", level="senior", codes=["01"], status=S.PENDING_UNIT)
    client.force_login(reviewer)
    return QUEUE


@pytest.fixture
def people(client, unit, other_unit):
    """The unit's own people waiting for it, and another unit's, who must never show."""
    waiting(unit, "甲软件", level="senior", codes=["0101"], status=S.PENDING_UNIT)
    waiting(unit, "乙电子", level="associate", codes=["01"], status=S.PENDING_UNIT)
    waiting(unit, "丁制造", level="senior", codes=["08"], status=S.PENDING_UNIT)
    waiting(other_unit, "戊外单位", level="senior", codes=["0101"], status=S.PENDING_UNIT)
    client.force_login(factories.unit_account(unit))
    return PEOPLE


def names(response) -> set[str]:
    assert response.status_code == 200
    return {row.real_name for row in response.context["rows"]}


def select(page: str, name: str) -> str:
    (found,) = re.findall(rf'<select id="{name}" name="{name}".*?</select>', page, re.S)
    return found


@pytest.mark.parametrize("url_name", ["queue", "people"])
def test_the_list_offers_both_filters_as_the_pool_does(client, request, url_name):
    url = request.getfixturevalue(url_name)
    page = client.get(url, {"status": "all"}).content.decode()

    fields = select(page, "discipline")
    assert '<option value="">全部专业领域</option>' in fields
    assert f'<option value="{discipline("01").pk}">电子信息（含子领域）</option>' in fields
    assert f'<option value="{discipline("0101").pk}">软件</option>' in fields
    assert '<optgroup label="电子信息">' in fields
    assert '<label for="discipline" class="visually-hidden">专业领域</label>' in page
    levels = select(page, "title_level")
    assert '<option value="">全部职称级别</option>' in levels
    assert '<option value="senior">正高级</option>' in levels
    assert '<label for="title_level" class="visually-hidden">职称级别</label>' in page


@pytest.mark.parametrize(
    ("url_name", "params", "expected"),
    [
        # A field takes its sub-fields; a sub-field only itself.
        ("queue", {"discipline": "01"}, {"甲软件", "乙电子", "丙通信"}),
        ("queue", {"discipline": "0101"}, {"甲软件"}),
        ("queue", {"title_level": "senior"}, {"甲软件", "丙通信"}),
        ("queue", {"discipline": "01", "title_level": "associate"}, {"乙电子"}),
        ("people", {"discipline": "01"}, {"甲软件", "乙电子"}),
        ("people", {"title_level": "senior"}, {"甲软件", "丁制造"}),
        ("people", {"discipline": "0101", "title_level": "senior"}, {"甲软件"}),
    ],
)
def test_a_filtered_url_narrows_the_list_and_its_tabs(client, request, url_name, params, expected):
    url = request.getfixturevalue(url_name)
    if "discipline" in params:
        params = {**params, "discipline": discipline(params["discipline"]).pk}
    tab = S.PENDING_BUREAU if url_name == "queue" else S.PENDING_UNIT

    response = client.get(url, {"status": tab, **params})

    assert names(response) == expected
    counted = {value: n for value, _, n in response.context["tabs"]}
    assert counted[tab] == len(expected)
    page = response.content.decode()
    # Shown as chosen, and kept by the tab links and the batch's form.
    if "title_level" in params:
        level = params["title_level"]
        assert f'<option value="{level}" selected>' in select(page, "title_level")
        assert f"title_level={level}" in page.split('aria-label="按状态筛选"')[1].split("</ul>")[0]
        assert f'<input type="hidden" name="title_level" value="{level}">' in page
    if "discipline" in params:
        chosen = params["discipline"]
        assert f'<option value="{chosen}" selected>' in select(page, "discipline")
        assert f'<input type="hidden" name="discipline" value="{chosen}">' in page


@pytest.mark.parametrize(
    ("url_name", "params", "named"),
    [
        ("queue", {"discipline": "电子信息"}, "专业领域：电子信息"),
        ("queue", {"discipline": "99999999"}, "专业领域：99999999"),
        ("queue", {"title_level": "<b>x</b>"}, "职称级别：&lt;b&gt;x&lt;/b&gt;"),
        ("queue", {"status": "everything"}, "专家状态：everything"),
        ("people", {"discipline": "1 OR 1=1"}, "专业领域：1 OR 1=1"),
        ("people", {"title_level": "academician"}, "职称级别：academician"),
    ],
)
def test_a_forged_value_is_ignored_and_named(client, request, url_name, params, named):
    url = request.getfixturevalue(url_name)
    plain = client.get(url, {"status": "all"})

    forged = client.get(url, {"status": "all", **params})

    assert names(forged) == names(plain) != set()
    assert f"筛选条件“{named}”无效，已忽略。" in forged.content.decode()
    assert "<b>x</b>" not in forged.content.decode()
    assert "无效，已忽略" not in plain.content.decode()


def test_a_forged_value_beside_a_good_one_leaves_the_good_one_working(client, queue):
    response = client.get(queue, {"title_level": "senior", "discipline": "abc"})
    assert names(response) == {"甲软件", "丙通信"}
    assert "筛选条件“专业领域：abc”无效，已忽略。" in response.content.decode()


@pytest.mark.parametrize("url_name", ["accounts:bureau_unit_queue", "changes:bureau_list"])
def test_the_other_lists_with_tabs_name_a_forged_status_too(client, reviewer, url_name):
    client.force_login(reviewer)
    page = client.get(reverse(url_name), {"status": "gone"})
    assert page.status_code == 200
    assert "筛选条件“状态：gone”无效，已忽略。" in page.content.decode()


def test_an_empty_list_names_the_filters_in_words(client, queue):
    response = client.get(
        queue, {"discipline": discipline("08").pk, "title_level": "senior", "q": "丁"}
    )
    assert names(response) == set()
    assert (
        "没有符合当前条件（搜索“丁”、专业领域：先进制造与自动化、职称级别：正高级）的申请。"
        in response.content.decode()
    )


def test_all_matching_a_filtered_queue_takes_only_its_rows(client, queue):
    """The batch's "all matching" carries the filters: a batch past 500 is narrowed this way."""
    response = client.get(
        reverse("experts:bureau_bulk"),
        {"action": "approve", "select": "all", "discipline": discipline("01").pk},
        follow=True,
    )
    page = response.content.decode()
    assert 'data-testid="bulk-count">3<' in page
    assert "丁制造" not in page and "戊外单位" not in page
    people = client.get(
        reverse("experts:bureau_bulk"),
        {"action": "approve", "select": "all", "title_level": "senior"},
        follow=True,
    )
    assert 'data-testid="bulk-count">2<' in people.content.decode()


def test_a_unit_filters_only_its_own_people(client, people):
    response = client.get(people, {"status": "all", "discipline": discipline("0101").pk})
    assert names(response) == {"甲软件"}
    counted = {value: n for value, _, n in response.context["tabs"]}
    assert counted["all"] == 1
    bulk = client.get(
        reverse("experts:unit_bulk"),
        {"action": "recommend", "select": "all", "title_level": "senior"},
        follow=True,
    )
    page = bulk.content.decode()
    assert 'data-testid="bulk-count">2<' in page and "戊外单位" not in page


@pytest.mark.parametrize("status", ["pending_unit", "all"])
def test_a_row_still_with_its_unit_shows_when_it_was_submitted(client, queue, status):
    """Found by a walk: 待单位推荐's time column read 单位推荐时间 and "—" on every row."""
    row = ExpertApplication.objects.get(user__real_name="戊外单位")
    page = client.get(QUEUE, {"status": status})
    html = page.content.decode()
    cell = html.split("戊外单位")[1].split("</tr>")[0]
    assert re.sub(r"\s+", " ", minutes(row.submitted_at)) in cell
    assert "截止日期" in html  # the tab still shows when the unit is due
    header = re.search(r'<th scope="col"[^>]*>提交时间</th>', html)
    assert bool(header) == (status == "pending_unit")


def test_the_returned_tab_lists_the_newest_return_first(client, reviewer, unit):
    """Found by a walk: 已退回（待修改） listed in the queue's order (单位推荐时间), its 退回时间
    column reading 11-02, 11-19, 11-08."""
    returned = [factories.returned_with_comments(unit).application for _ in range(3)]
    moments = [timezone.now() - datetime.timedelta(days=days) for days in (9, 2, 5)]
    for application, moment, recommended in zip(returned, moments, (2, 1, 3), strict=True):
        ExpertApplication.objects.filter(pk=application.pk).update(
            returned_at=moment, recommended_at=timezone.now() - datetime.timedelta(days=recommended)
        )
    client.force_login(reviewer)

    page = client.get(QUEUE, {"status": S.DRAFT})

    newest_first = [returned[1].pk, returned[2].pk, returned[0].pk]
    assert [row.pk for row in page.context["rows"]] == newest_first


def test_the_units_returned_drafts_list_the_newest_return_first(client, unit):
    """用户账号管理's 只看已退回（待修改） shows 退回时间 and lists by it, as 专家审核's tab; its
    usual order, 更新时间, moves with every draft the applicant saves."""
    returned = [factories.returned_with_comments(unit).application for _ in range(3)]
    moments = [timezone.now() - datetime.timedelta(days=days) for days in (9, 2, 5)]
    for application, moment, updated in zip(returned, moments, (2, 1, 3), strict=True):
        ExpertApplication.objects.filter(pk=application.pk).update(
            returned_at=moment, updated_at=timezone.now() - datetime.timedelta(days=updated)
        )
    client.force_login(factories.unit_account(unit))

    page = client.get(PEOPLE, {"returned": "true"})

    assert [row.pk for row in page.context["rows"]] == [
        returned[1].pk,
        returned[2].pk,
        returned[0].pk,
    ]
    html = page.content.decode()
    assert re.search(r"<th[^>]*>退回时间</th>", html)
    assert minutes(moments[1]) in html
    everyone = client.get(PEOPLE).content.decode()
    assert re.search(r"<th[^>]*>更新时间</th>", everyone)
