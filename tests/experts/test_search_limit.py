"""A search counts its results up to SEARCH_COUNT_LIMIT (1,000 in production, 3 here); past it
the page says "3+", lists the first 3 in the list's own order, and says why."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from experts.models import ApplicationStatus
from portal import views
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


@pytest.fixture
def limit(monkeypatch):
    monkeypatch.setattr(views, "SEARCH_COUNT_LIMIT", 3)
    return 3


@pytest.fixture
def many(client, reviewer, limit):
    """Five approved 李 and two pending 李 in one unit; one 王 for contrast."""
    unit = factories.make_unit(name="武汉光谷研究院")
    people = {
        "approved": [
            factories.make_applicant(unit, S.APPROVED, name=f"李{n}") for n in "一二三四五"
        ],
        "pending": [
            factories.make_applicant(unit, S.PENDING_BUREAU, name=f"李{n}") for n in "六七"
        ],
    }
    factories.make_applicant(unit, S.APPROVED, name="王明")
    client.force_login(reviewer)
    return people


def names(response) -> list[str]:
    return [row.real_name for row in response.context["rows"]]


def test_the_pool_lists_the_newest_experts_past_the_limit_and_says_so(client, many, limit):
    unlimited = client.get(reverse("experts:pool"))
    newest_first = [name for name in names(unlimited) if name.startswith("李")]
    response = client.get(reverse("experts:pool"), {"q": "李"})
    assert response.context["more"] is True
    assert names(response) == newest_first[:limit]
    assert response.context["page"].paginator.count == limit
    html = response.content.decode()
    assert "3+ 人" in html
    assert "与“李”匹配的专家超过3人，以下只列出最近入库的3人" in html


def test_within_the_limit_counts_stay_exact(client, many):
    response = client.get(reverse("experts:bureau_queue"), {"q": "李", "status": "pending_bureau"})
    # Seven 李 in all are more than 3: the tabs are a sample, and say only "3+".
    assert response.context["more"] is False  # but the list's own status has 2
    tabs = {value: count for value, _, count in response.context["tabs"]}
    assert tabs == {
        "all": None,
        S.DRAFT: None,  # 已退回（待修改）
        S.PENDING_UNIT: None,
        S.PENDING_BUREAU: None,
        S.APPROVED: None,
        S.REJECTED: None,
        S.FROZEN: None,
        S.EXIT_PENDING: None,
        S.EXITED: None,
    }
    assert sorted(names(response)) == ["李七", "李六"]
    assert response.context["page"].paginator.count == 2
    html = response.content.decode()
    assert "3+</span>" in html and "超过3条" not in html
    response = client.get(reverse("experts:bureau_queue"), {"q": "王"})
    tabs = {value: count for value, _, count in response.context["tabs"]}
    assert tabs["all"] == 1 and tabs[S.APPROVED] == 1 and tabs[S.PENDING_BUREAU] == 0


def test_a_status_with_more_matches_than_the_limit_is_listed_in_its_order(client, many, limit):
    response = client.get(reverse("experts:bureau_queue"), {"q": "李", "status": "approved"})
    assert response.context["more"] is True
    assert len(names(response)) == limit
    html = response.content.decode()
    assert "与“李”匹配的结果超过3条，以下只列出前3条" in html
    assert "共 3+ 条" not in html  # one page: no pagination shown
    every = client.get(reverse("experts:bureau_queue"), {"status": "approved"})
    in_order = [name for name in names(every) if name.startswith("李")]
    assert names(response) == in_order[:limit]


def test_the_limit_keeps_pages_past_it_out_of_reach(client, many, limit, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get(reverse("experts:pool"), {"q": "李"})
    second = client.get(reverse("experts:pool"), {"q": "李", "page": 2})
    beyond = client.get(reverse("experts:pool"), {"q": "李", "page": 9})
    assert first.context["page"].paginator.num_pages == 2
    assert len(names(first)) == 2 and len(names(second)) == 1
    assert names(beyond) == names(second)  # Django's get_page: the last page
    assert "共 3+ 条" in first.content.decode()


def test_a_search_past_the_limit_takes_a_fixed_number_of_queries(client, many, reviewer):
    url = reverse("experts:bureau_queue")
    # Warm: the search's statistics and the 专业领域 of the filter are read once and kept.
    client.get(url, {"q": "李", "status": "approved"})
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"q": "李", "status": "approved"})
    unit = factories.make_unit()
    for n in range(6):
        factories.make_applicant(unit, S.APPROVED, name=f"李{n}")
    with CaptureQueriesContext(connection) as more:
        client.get(url, {"q": "李", "status": "approved"})
    assert len(more) == len(few)


def test_a_list_longer_than_the_limit_without_a_search_counts_exactly(client, many, limit):
    for url_name, count in [("experts:pool", 6), ("experts:bureau_queue", 8)]:
        response = client.get(reverse(url_name), {"status": "all"})
        assert response.context["more"] is False
        assert response.context["page"].paginator.count == count
        html = response.content.decode()
        assert "匹配的" not in html and "+ 人" not in html and "+ 条" not in html


def test_a_sampled_search_shows_no_overdue_count_beside_its_hidden_tab_counts(client, many):
    """Past the limit the tabs read "…": their 已超期 parts, counted over every match, would be
    exact numbers beside counts the page does not know. Within it, both show."""
    import datetime

    from django.utils import timezone

    from experts.models import ExpertApplication

    past = timezone.localdate() - datetime.timedelta(days=3)
    ExpertApplication.objects.filter(status=S.PENDING_BUREAU).update(due_on=past)
    url = reverse("experts:bureau_queue")

    sampled = client.get(url, {"q": "李", "status": "all"})

    assert sampled.context["overdue"] == {}
    tabs = sampled.content.decode().split('aria-label="按状态筛选"')[1].split("</ul>")[0]
    assert "已超期" not in tabs and "其中" not in tabs
    exact = client.get(url, {"q": "李六", "status": "all"})
    assert exact.context["overdue"] == {S.PENDING_BUREAU: 1}
    tabs = exact.content.decode().split('aria-label="按状态筛选"')[1].split("</ul>")[0]
    assert '<span class="badge text-bg-danger">已超期 1</span>' in tabs
