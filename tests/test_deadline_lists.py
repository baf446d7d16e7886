"""截止日期 in the reviewers' queues (issue 21 item 2, "In the lists"): each waiting row shows its
due date and 已超期 once it has passed; a queue filters to 已超期 only (?overdue=true), sorts by
due date (?sort=due), and its waiting tabs count their overdue rows in one grouped query."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import UnitStatus
from accounts.models import Unit
from experts import counts
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus
BADGE = '<span class="badge text-bg-danger">已超期</span>'


def today() -> datetime.date:
    return timezone.localdate()


def due(model, obj, days: int) -> None:
    """Make `obj` due `days` from today (negative: overdue), as a stored due date, with the
    kept counts (experts.counts) rebuilt as after a repair."""
    model.objects.filter(pk=obj.pk).update(due_on=today() + datetime.timedelta(days=days))
    counts.recount()


def applicant(unit, status, name, days=None):
    """An applicant in `status`, due `days` from today when given; returns the application."""
    application = ExpertApplication.objects.get(
        user=factories.make_applicant(unit, status, name=name)
    )
    if days is not None:
        due(ExpertApplication, application, days)
    return application


def pending_unit(name, days=None) -> Unit:
    unit = factories.make_unit(UnitStatus.PENDING, name=name)
    if days is not None:
        due(Unit, unit, days)
    return unit


def row_of(page: str, name: str) -> str:
    """The table row (<tr>…</tr>) that names `name`."""
    (row,) = [row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if name in row]
    return row


def names(response) -> list[str]:
    return [getattr(row, "real_name", None) or row.name for row in response.context["rows"]]


def cells(row: str) -> list[str]:
    found = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [re.sub(r"\s+", " ", cell).strip() for cell in found]


# --- the three queues, each with an overdue row, a row due later and a row that waits for no one


@pytest.fixture
def bureau_queue(client, reviewer, unit, other_unit):
    applicant(unit, S.PENDING_BUREAU, "超期甲", days=-2)
    applicant(other_unit, S.PENDING_BUREAU, "未到期乙", days=3)
    applicant(unit, S.PENDING_UNIT, "单位超期丙", days=-1)
    applicant(unit, S.APPROVED, "已通过丁")
    client.force_login(reviewer)
    return reverse("experts:bureau_queue")


@pytest.fixture
def people(client, unit, other_unit):
    applicant(unit, S.PENDING_UNIT, "超期甲", days=-2)
    applicant(unit, S.PENDING_UNIT, "未到期乙", days=3)
    applicant(unit, S.PENDING_BUREAU, "局超期丙", days=-1)
    applicant(unit, S.APPROVED, "已通过丁")
    # Another unit's overdue people: never in this unit's rows or counts.
    applicant(other_unit, S.PENDING_UNIT, "外单位超期", days=-5)
    applicant(other_unit, S.PENDING_BUREAU, "外单位局超期", days=-5)
    client.force_login(factories.unit_account(unit))
    return reverse("experts:unit_people")


@pytest.fixture
def unit_queue(client, reviewer):
    pending_unit("超期甲", days=-2)
    pending_unit("未到期乙", days=3)
    factories.make_unit(UnitStatus.APPROVED, name="已通过丁")
    client.force_login(reviewer)
    return reverse("accounts:bureau_unit_queue")


QUEUES = ["bureau_queue", "people", "unit_queue"]


@pytest.fixture(params=QUEUES)
def queue(request):
    return request.param, request.getfixturevalue(request.param)


def test_overdue_rows_are_marked_and_rows_not_yet_due_are_not(client, queue):
    _, url = queue
    page = client.get(url, {"status": "all"}).content.decode()
    late, later = row_of(page, "超期甲"), row_of(page, "未到期乙")
    decided = row_of(page, "已通过丁")
    assert BADGE in late
    assert (today() - datetime.timedelta(days=2)).isoformat() in late
    assert BADGE not in later
    assert (today() + datetime.timedelta(days=3)).isoformat() in later
    assert BADGE not in decided
    # 截止日期 is the column before the status; a row that waits for no one shows "—".
    assert "—" in cells(decided)[-3]


def test_a_row_due_today_is_not_overdue(client, bureau_queue):
    ExpertApplication.objects.filter(user__real_name="超期甲").update(due_on=today())
    counts.recount()
    page = client.get(bureau_queue).content.decode()
    assert BADGE not in row_of(page, "超期甲")
    assert names(client.get(bureau_queue, {"overdue": "true"})) == []


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        ("bureau_queue", "pending_bureau", ["超期甲"]),
        ("bureau_queue", "all", ["单位超期丙", "超期甲"]),
        ("people", "pending_unit", ["超期甲"]),
        # 局超期丙 waits on the bureau: its deadline is not the unit's.
        ("people", "all", ["超期甲"]),
        ("unit_queue", "pending", ["超期甲"]),
        ("unit_queue", "all", ["超期甲"]),
    ],
)
def test_only_overdue_rows_with_the_overdue_filter(client, request, name, status, expected):
    url = request.getfixturevalue(name)
    response = client.get(url, {"status": status, "overdue": "true"})
    assert sorted(names(response)) == sorted(expected)
    page = response.content.decode()
    assert "只显示已超期的" in page
    # The search form keeps the filter: a search within 已超期 stays within it.
    assert '<input type="hidden" name="overdue" value="true">' in page


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        # Soonest due first (the most overdue), then the rows of no due date.
        ("bureau_queue", "all", ["超期甲", "单位超期丙", "未到期乙", "已通过丁"]),
        # 局超期丙 waits on the bureau: among the rows of no deadline of the unit's own.
        ("people", "all", ["超期甲", "未到期乙", "局超期丙", "已通过丁"]),
        ("unit_queue", "all", ["超期甲", "未到期乙", "已通过丁"]),
    ],
)
def test_sorted_by_due_date_with_undated_rows_last(client, request, name, status, expected):
    url = request.getfixturevalue(name)
    response = client.get(url, {"status": status, "sort": "due"})
    assert names(response) == expected
    assert '<input type="hidden" name="sort" value="due">' in response.content.decode()


def two_more_in_reverse_order(name, status, unit):
    """Two more rows of a tab without deadlines, the list's default order (its time column)
    the reverse of their ids, the order 按截止日期 gives rows without a due date."""
    if name == "unit_queue":
        rows = [factories.make_unit(UnitStatus.APPROVED, name=f"已通过{n}") for n in "一二"]
        model, column = Unit, "submitted_at"
    else:
        rows = [applicant(unit, status, f"另{n}") for n in "一二"]
        model, column = ExpertApplication, "updated_at" if name == "people" else "recommended_at"
    newer = timezone.now() - datetime.timedelta(days=1)
    older = newer - datetime.timedelta(days=10)
    # 用户账号管理 lists the newest first, the queues the oldest first.
    first, second = (newer, older) if name == "people" else (older, newer)
    model.objects.filter(pk=rows[1].pk).update(**{column: first})
    model.objects.filter(pk=rows[0].pk).update(**{column: second})


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("bureau_queue", "approved"),
        ("people", "approved"),
        # Waiting on the bureau: not the unit's deadline, so none on its list.
        ("people", "pending_bureau"),
        ("unit_queue", "approved"),
    ],
)
def test_the_due_date_sort_is_offered_and_taken_only_where_the_tab_has_a_deadline(
    client, request, unit, name, status
):
    url = request.getfixturevalue(name)
    two_more_in_reverse_order(name, status, unit)
    plain = client.get(url, {"status": status})

    bookmarked = client.get(url, {"status": status, "sort": "due"})

    assert len(names(plain)) >= 2
    assert names(bookmarked) == names(plain)
    assert bookmarked.context["sort"] == ""
    page = bookmarked.content.decode()
    assert "按截止日期" not in page and "只看已超期" not in page
    assert 'name="sort"' not in page
    # The tab of every status holds the waiting rows: offered there, and the tab link keeps it.
    assert 'href="?status=all&amp;sort=due"' in page
    every = client.get(url, {"status": "all", "sort": "due"}).content.decode()
    assert 'aria-current="true">按截止日期</a>' in every and "只看已超期" in every


def test_the_overdue_filter_chosen_on_a_tab_without_deadlines_still_says_so(client, bureau_queue):
    page = client.get(bureau_queue, {"status": "approved", "overdue": "true"}).content.decode()
    assert "只显示已超期的申请" in page
    assert 'href="?status=approved">显示全部申请</a>' in page
    assert "按截止日期" not in page


def test_ties_on_the_due_date_keep_the_id_order(client, bureau_queue, unit):
    for n in range(3):
        applicant(unit, S.PENDING_BUREAU, f"同日{n}", days=1)
    response = client.get(bureau_queue, {"sort": "due"})
    assert names(response) == ["超期甲", "同日0", "同日1", "同日2", "未到期乙"]


def test_the_default_order_stays_without_the_sort(client, bureau_queue, unit):
    # 专家审核 lists by 单位推荐时间 (the oldest first): 未到期乙 was recommended before 超期甲.
    # Both are set: the factory leaves it empty, and databases differ on where NULLs sort.
    for name, days in (("超期甲", 10), ("未到期乙", 30)):
        ExpertApplication.objects.filter(user__real_name=name).update(
            recommended_at=timezone.now() - datetime.timedelta(days=days)
        )
    assert names(client.get(bureau_queue)) == ["未到期乙", "超期甲"]
    assert names(client.get(bureau_queue, {"sort": "due"})) == ["超期甲", "未到期乙"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bureau_queue", {"pending_bureau": 1, "pending_unit": 1}),
        ("people", {"pending_unit": 1}),
        ("unit_queue", {"pending": 1}),
    ],
)
def test_the_waiting_tabs_count_their_overdue_rows(client, request, name, expected):
    url = request.getfixturevalue(name)
    response = client.get(url)
    assert response.context["overdue"] == expected
    page = response.content.decode()
    # Read aloud as "待科技局审核 1，其中 已超期 1"; shown beside each waiting tab only.
    assert page.count('<span class="visually-hidden">，其中</span>') == len(expected)
    assert page.count('<span class="badge text-bg-danger">已超期 1</span>') == len(expected)


def test_a_waiting_tab_with_nothing_overdue_says_zero(client, reviewer):
    pending_unit("按期单位", days=2)
    client.force_login(reviewer)
    response = client.get(reverse("accounts:bureau_unit_queue"))
    assert response.context["overdue"] == {}
    assert "已超期 0</span>" in response.content.decode()


def test_the_overdue_counts_follow_the_search(client, bureau_queue):
    response = client.get(bureau_queue, {"q": "未到期"})
    assert response.context["overdue"] == {}
    response = client.get(bureau_queue, {"q": "超期"})
    assert response.context["overdue"] == {"pending_bureau": 1, "pending_unit": 1}


def test_a_unit_never_sees_another_units_overdue_rows_or_counts(client, people):
    response = client.get(people, {"status": "all", "overdue": "true"})
    assert sorted(names(response)) == ["超期甲"]
    assert response.context["overdue"] == {"pending_unit": 1}
    sorted_all = names(client.get(people, {"status": "all", "sort": "due"}))
    assert "外单位超期" not in sorted_all and "外单位局超期" not in sorted_all


def test_the_bureau_counts_every_units_overdue_rows(client, people, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("experts:bureau_queue"), {"status": "all"})
    assert response.context["overdue"] == {"pending_unit": 2, "pending_bureau": 2}


@pytest.mark.parametrize(
    "params",
    [
        {"overdue": "yes"},
        {"overdue": "<script>"},
        {"sort": "due_on"},
        {"sort": "-due"},
        {"sort": "'; DROP TABLE experts_expertapplication; --"},
        {"overdue": "maybe", "sort": "random"},
    ],
)
def test_forged_values_are_ignored(client, queue, params):
    _, url = queue
    plain = client.get(url, {"status": "all"})
    forged = client.get(url, {"status": "all", **params})
    assert forged.status_code == 200
    assert names(forged) == names(plain)
    assert forged.context["overdue_only"] is False and forged.context["sort"] == ""
    page = forged.content.decode()
    assert 'name="overdue"' not in page and 'name="sort"' not in page
    assert "<script>" not in page


def test_an_empty_queue_names_every_filter_that_narrows_it(client, bureau_queue):
    response = client.get(bureau_queue, {"overdue": "true", "eligibility": "clear", "q": "无人"})
    assert names(response) == []
    assert "没有符合当前条件（搜索“无人”、已超期、无提示）的申请。" in response.content.decode()


def test_overdue_false_lists_the_rows_not_overdue(client, bureau_queue):
    response = client.get(bureau_queue, {"status": "all", "overdue": "false"})
    assert sorted(names(response)) == ["已通过丁", "未到期乙"]


def test_the_new_filters_work_with_the_search_status_and_returned(client, people, unit):
    # A returned draft is due for no one: 已退回 and 已超期 together find nothing.
    returned = applicant(unit, S.DRAFT, "已退回戊")
    ExpertApplication.objects.filter(pk=returned.pk).update(returned_at=timezone.now())
    both = client.get(people, {"status": "all", "returned": "true", "overdue": "true"})
    assert names(both) == []
    assert "没有符合当前条件（已退回（待修改）、已超期）的账号。" in both.content.decode()
    assert names(client.get(people, {"status": "all", "returned": "true"})) == ["已退回戊"]
    searched = client.get(people, {"status": "all", "q": "超期", "overdue": "true"})
    assert names(searched) == ["超期甲"]
    tab = client.get(people, {"status": "pending_unit", "overdue": "true", "sort": "due"})
    assert names(tab) == ["超期甲"]


def test_the_controls_are_links_that_keep_the_other_filters(client, bureau_queue):
    page = client.get(bureau_queue, {"q": "超期", "status": "all"}).content.decode()
    assert 'href="?q=%E8%B6%85%E6%9C%9F&amp;status=all&amp;overdue=true">只看已超期</a>' in page
    assert 'href="?q=%E8%B6%85%E6%9C%9F&amp;status=all&amp;sort=due"' in page
    on = client.get(bureau_queue, {"status": "all", "overdue": "true", "sort": "due"})
    page = on.content.decode()
    # Each tab keeps the filter and the sort; 显示全部 drops the filter and keeps the sort.
    assert 'href="?status=pending_unit&amp;overdue=true&amp;sort=due"' in page
    assert 'href="?status=all&amp;sort=due">显示全部申请</a>' in page
    assert 'aria-current="true">按截止日期</a>' in page


def test_pagination_keeps_the_filter_and_the_sort(client, reviewer, unit):
    for n in range(27):
        applicant(unit, S.PENDING_BUREAU, f"超期{n:02d}", days=-1 - n % 3)
    applicant(unit, S.PENDING_BUREAU, "按期", days=2)
    client.force_login(reviewer)
    url = reverse("experts:bureau_queue")
    first = client.get(url, {"overdue": "true", "sort": "due"})
    assert first.context["page"].paginator.count == 27
    assert 'href="?overdue=true&amp;sort=due&amp;page=2">下一页</a>' in first.content.decode()
    second = client.get(url, {"overdue": "true", "sort": "due", "page": 2})
    assert len(second.context["rows"]) == 2 and "按期" not in names(second)
    dates = [row.due_on for row in [*first.context["rows"], *second.context["rows"]]]
    assert dates == sorted(dates)


# --- queries: one grouped query more than before, whatever the rows


def overdue_count_queries(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if '"due_on" <' in q["sql"] and "GROUP BY" in q["sql"]
    ]


def page_queries(client, url, params=None) -> CaptureQueriesContext:
    client.get(url, params or {})  # warm: the session, the calendar
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return captured


# The page's queries before this change (tests/test_list_queries.py counts them relative to
# each other) and the one grouped overdue count added to each queue. 专家审核 and 用户账号管理
# also read their open 信息变更 (changes, issue 23) for the link beside the tabs; 用户账号管理
# also reads the moves away it is told of. 专家审核 reads its tabs, the returned drafts' with
# them, in one query of the kept counts (experts.counts.review_queue).
BEFORE = {"bureau_queue": 7, "people": 8, "unit_queue": 6}


def test_each_queue_adds_one_grouped_query_for_its_overdue_counts(client, queue):
    name, url = queue
    captured = page_queries(client, url)
    assert len(overdue_count_queries(captured)) == 1
    assert len(captured) == BEFORE[name] + 1


@pytest.mark.parametrize("params", [{"sort": "due"}, {"status": "all", "sort": "due"}])
def test_sorting_adds_no_query(client, queue, params):
    name, url = queue
    assert len(page_queries(client, url, params)) == BEFORE[name] + 1


@pytest.mark.parametrize("params", [{}, {"overdue": "true", "sort": "due", "status": "all"}])
def test_the_queues_do_not_grow_with_overdue_rows(client, queue, unit, params):
    name, url = queue
    few = len(page_queries(client, url, params))
    for n in range(10):
        if name == "unit_queue":
            pending_unit(f"更多超期{n}", days=-3)
        else:
            status = S.PENDING_UNIT if name == "people" else S.PENDING_BUREAU
            applicant(unit, status, f"更多超期{n}", days=-3)
    assert len(page_queries(client, url, params)) == few
    assert len(client.get(url, params).context["rows"]) >= 10


# Which index answers the overdue counts is a planner's choice that only means something at scale:
# `python -m bench.explain` prints the three plans at 100,000 applicants (docs/performance.md).


# --- the detail pages


def test_the_bureaus_detail_shows_the_deadline_of_a_waiting_application(client, bureau_queue):
    late = ExpertApplication.objects.get(user__real_name="超期甲")
    page = client.get(reverse("experts:bureau_detail", args=[late.pk])).content.decode()
    assert "截止日期：" in page and BADGE in page
    later = ExpertApplication.objects.get(user__real_name="未到期乙")
    page = client.get(reverse("experts:bureau_detail", args=[later.pk])).content.decode()
    assert "截止日期：" in page and BADGE not in page
    decided = ExpertApplication.objects.get(user__real_name="已通过丁")
    page = client.get(reverse("experts:bureau_detail", args=[decided.pk])).content.decode()
    assert "截止日期：" not in page


def test_the_units_detail_shows_the_deadline_of_a_waiting_application(client, people):
    late = ExpertApplication.objects.get(user__real_name="超期甲")
    page = client.get(reverse("experts:unit_detail", args=[late.pk])).content.decode()
    assert "截止日期：" in page and BADGE in page
    decided = ExpertApplication.objects.get(user__real_name="已通过丁")
    page = client.get(reverse("experts:unit_detail", args=[decided.pk])).content.decode()
    assert "截止日期：" not in page


def test_the_unit_registrations_detail_shows_its_deadline(client, unit_queue):
    late = Unit.objects.get(name="超期甲")
    page = client.get(reverse("accounts:bureau_unit_detail", args=[late.pk])).content.decode()
    assert "截止日期：" in page and BADGE in page
    decided = Unit.objects.get(name="已通过丁")
    page = client.get(reverse("accounts:bureau_unit_detail", args=[decided.pk])).content.decode()
    assert "截止日期：" not in page


def test_a_decided_tab_shows_its_own_time_and_no_due_date(client, bureau_queue):
    """截止日期 belongs to the waiting tabs; 审核通过 lists 入库时间 in place of the
    recommendation's time, which says nothing of an admitted expert."""
    admitted_on = timezone.make_aware(datetime.datetime(2025, 3, 8, 9, 30))
    ExpertApplication.objects.filter(user__real_name="已通过丁").update(decided_at=admitted_on)
    waiting = client.get(bureau_queue).content.decode()
    assert "<th" in waiting and "单位推荐时间</th>" in waiting and "截止日期</th>" in waiting

    decided = client.get(bureau_queue, {"status": S.APPROVED}).content.decode()

    assert "入库时间</th>" in decided
    assert "截止日期</th>" not in decided and "单位推荐时间</th>" not in decided
    row = cells(row_of(decided, "已通过丁"))
    assert "2025-03-08 09:30" in row and len(row) == 7  # 8 with 截止日期


def test_a_unit_is_not_shown_the_bureaus_deadline_as_its_own(client, people, unit):
    """待科技局审核 waits on the bureau: the unit's list and detail page show no 截止日期 and no
    已超期 for it, and its tab counts none; ?overdue=false keeps it."""
    page = client.get(people, {"status": "all"}).content.decode()
    assert "已超期" not in cells(row_of(page, "局超期丙"))[-3]
    assert BADGE not in row_of(page, "局超期丙") and BADGE in row_of(page, "超期甲")
    assert "局超期丙" in names(client.get(people, {"status": "all", "overdue": "false"}))
    waiting = ExpertApplication.objects.get(user__real_name="局超期丙")
    detail = client.get(reverse("experts:unit_detail", args=[waiting.pk])).content.decode()
    assert "截止日期：" not in detail
    own = ExpertApplication.objects.get(user__real_name="超期甲")
    detail = client.get(reverse("experts:unit_detail", args=[own.pk])).content.decode()
    assert "截止日期：" in detail


def test_a_due_date_beyond_the_calendars_years_is_marked_an_estimate(client, queue):
    """Found by a dates walk: in December, due dates in the next year were counted Monday to
    Friday (its holidays not yet known), and nothing on the queues said so."""
    from portal.workdays import last_known_year

    name, url = queue
    model = Unit if name == "unit_queue" else ExpertApplication
    field = "name" if model is Unit else "user__real_name"
    known, unknown = (
        datetime.date(last_known_year(), 12, 28),
        datetime.date(last_known_year() + 1, 1, 4),
    )
    model.objects.filter(**{field: "超期甲"}).update(due_on=known)
    model.objects.filter(**{field: "未到期乙"}).update(due_on=unknown)
    counts.recount()
    page = client.get(url, {"status": "all"}).content.decode()
    assert "暂估" in row_of(page, "未到期乙")
    assert f"{unknown.year}年放假安排尚未载入" in row_of(page, "未到期乙")  # to a screen reader
    assert "暂估" not in row_of(page, "超期甲")
    # Found by a December walk: said only in a tooltip, which a phone never shows.
    assert f"暂估：{unknown.year}年的放假安排尚未载入工作日历" in page
    model.objects.filter(**{field: "未到期乙"}).update(due_on=known)
    assert 'data-testid="estimate-note"' not in client.get(url, {"status": "all"}).content.decode()


def test_a_detail_page_says_why_its_due_date_is_an_estimate(client, reviewer, unit):
    from portal.workdays import last_known_year

    application = applicant(unit, S.PENDING_BUREAU, "暂估专家")
    unknown = datetime.date(last_known_year() + 1, 1, 4)
    ExpertApplication.objects.filter(pk=application.pk).update(due_on=unknown)
    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert (
        f"{unknown.year}年的放假安排尚未载入工作日历，此日期暂按周一至周五（除法定节假日及其补假）计算"
        in page
    )
    assert "调休未计</span></span>" not in page  # the line says it; the badge does not again
