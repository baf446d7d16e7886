"""A list's pages (includes/pagination.html, walk report R5): 首页 and 末页 and the pages around
the current one, beside 上一页 and 下一页, each keeping the list's other parameters, for lists of
thousands of pages; counted from the count the list has already."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from experts.models import ApplicationStatus
from portal import views
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus
URL = reverse("experts:bureau_queue")


@pytest.fixture
def ten_pages(client, reviewer, unit, monkeypatch):
    """20 waiting applications, 2 a page."""
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for _ in range(20):
        factories.make_applicant(unit, S.PENDING_BUREAU)
    client.force_login(reviewer)
    return client


def pages_nav(response) -> str:
    (nav,) = re.findall(r'<nav aria-label="分页">.*?</nav>', response.content.decode(), re.S)
    return nav


def links(nav: str) -> dict[str, str]:
    """Each link's words (hidden words included) → its href."""
    found = re.findall(r'<a class="page-link[^"]*" href="([^"]*)">(.*?)</a>', nav, re.S)
    return {re.sub(r"<[^>]+>", "", words): href.replace("&amp;", "&") for href, words in found}


def test_the_first_page_offers_the_next_pages_and_the_last(ten_pages):
    nav = pages_nav(ten_pages.get(URL, {"q": "申请人", "sort": "due"}))

    assert links(nav) == {
        "第2页": "?q=%E7%94%B3%E8%AF%B7%E4%BA%BA&sort=due&page=2",
        "第3页": "?q=%E7%94%B3%E8%AF%B7%E4%BA%BA&sort=due&page=3",
        "下一页": "?q=%E7%94%B3%E8%AF%B7%E4%BA%BA&sort=due&page=2",
        "末页": "?q=%E7%94%B3%E8%AF%B7%E4%BA%BA&sort=due&page=10",
    }
    # 首页 and 上一页 are there, and lead nowhere: the layout does not jump between pages.
    assert '<span class="page-link text-nowrap" aria-disabled="true">首页</span>' in nav
    assert '<span class="page-link text-nowrap" aria-disabled="true">上一页</span>' in nav
    current = '<span class="page-link"><span class="visually-hidden">第</span>1<'
    assert f'aria-current="page">{current}' in nav
    assert "第 1 / 10 页，共 20 条" in nav


def test_a_middle_page_offers_two_pages_either_side_and_both_ends(ten_pages):
    nav = pages_nav(ten_pages.get(URL, {"eligibility": "clear", "page": 6}))

    assert links(nav) == {
        "首页": "?eligibility=clear&page=1",
        "上一页": "?eligibility=clear&page=5",
        "第4页": "?eligibility=clear&page=4",
        "第5页": "?eligibility=clear&page=5",
        "第7页": "?eligibility=clear&page=7",
        "第8页": "?eligibility=clear&page=8",
        "下一页": "?eligibility=clear&page=7",
        "末页": "?eligibility=clear&page=10",
    }
    assert nav.count('aria-current="page"') == 1
    assert nav.count("…") == 2  # pages left out on both sides
    assert "第 6 / 10 页，共 20 条" in nav


def test_the_last_page_leads_back_only(ten_pages):
    nav = pages_nav(ten_pages.get(URL, {"page": 10}))
    assert set(links(nav)) == {"首页", "上一页", "第8页", "第9页"}
    assert '<span class="page-link text-nowrap" aria-disabled="true">末页</span>' in nav


def test_one_page_shows_no_pages(client, reviewer, unit):
    applicant = factories.make_applicant(unit, S.PENDING_BUREAU)
    client.force_login(reviewer)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    # The list itself, with its one row …
    assert f'<span class="text-nowrap">{applicant.real_name}</span>' in html
    # … and no pages under it.
    assert 'aria-label="分页"' not in html


def test_a_deep_page_takes_the_queries_of_the_first(ten_pages):
    ten_pages.get(URL)  # warm: the session, the cache
    counted = []
    for page in (1, 6, 10):
        with CaptureQueriesContext(connection) as captured:
            ten_pages.get(URL, {"page": page})
        counted.append(len(captured))
    assert counted[0] == counted[1] == counted[2]
