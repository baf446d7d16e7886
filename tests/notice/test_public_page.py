"""专家入库公示: a public page that lists the experts approved within the last
PUBLIC_NOTICE_DAYS working days with their name, unit, 专业领域 and 职称 only; off by a setting;
rate-limited per address, cached, and no way to read more than it shows."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from experts.models import ApplicationStatus, ExpertApplication
from notice import periods
from tests import factories
from tests.notice.conftest import approved, before_the_period

pytestmark = pytest.mark.django_db
URL = "/notice/"


@pytest.fixture
def unit(db):
    return factories.make_unit(name="武汉公示大学")


def page(client, url=URL, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def test_the_url_is_the_public_notice():
    assert reverse("notice:public") == URL


def test_lists_the_approved_in_the_period_with_only_the_allowed_fields(client, unit, settings):
    listed = approved(unit, "公示甲")
    approved(unit, "期满乙", decided_at=before_the_period())
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="待审丙")
    factories.make_applicant(unit, ApplicationStatus.REJECTED, name="不通过丁")

    html = page(client)

    assert re.findall(r'<td class="text-nowrap">(\S+)', html) == ["公示甲"]
    application = ExpertApplication.objects.get(pk=listed.application.pk)
    today = timezone.localdate()
    assert "武汉公示大学" in html and "教授" in html
    ends = periods.ends_on(today)
    assert f"{today:%Y-%m-%d} 至 {ends:%Y-%m-%d}" in html
    assert "如有异议，请在公示期内向市科技局实名反映" in html
    assert f'电话：<a class="text-nowrap" href="tel:{settings.HELP_LINE}">' in html
    # Nothing else personal: the listed expert's numbers, address, birth date, id.
    secrets = [
        listed.mobile,
        listed.mobile[-11:],
        application.mobile[-11:],
        listed.id_number,
        listed.email,
        application.email,
        application.birth_date.isoformat(),
        f"{application.birth_date:%Y年%m月%d日}",
        application.address,
        application.bank_account,
        listed.username,
        application.research_direction,
    ]
    assert [secret for secret in secrets if secret in html] == []
    # No link names an application (no detail, no id to count through).
    assert re.findall(r'href="[^"]*\d+/"', html) == []
    assert f"/{application.pk}/" not in html


def test_the_disciplines_are_the_experts_own_in_the_classification_order(client, unit):
    user = approved(unit, "公示甲")
    names = list(user.application.disciplines.order_by("code").values_list("name", flat=True))
    assert len(names) == 2
    assert "；".join(names) in page(client)


def test_the_first_day_of_the_period_is_in_and_the_day_before_is_out(client, unit):
    first = periods.first_decision_day(timezone.localdate())
    approved(unit, "首日甲", decided_at=periods.start_of(first))
    approved(unit, "前一日乙", decided_at=before_the_period())

    html = page(client)

    assert "首日甲" in html
    assert "前一日乙" not in html


def test_off_is_a_404_and_no_link(client, unit, settings):
    approved(unit, "公示甲")
    settings.PUBLIC_NOTICE_ENABLED = False

    response = client.get(URL)

    assert response.status_code == 404
    assert "公示甲" not in response.content.decode()
    assert URL not in page(client, reverse("accounts:login"))


def test_the_login_page_links_to_the_notice(client):
    html = page(client, reverse("accounts:login"))
    assert f'<a class="text-nowrap" href="{URL}">专家入库公示</a>' in html


def test_past_the_limit_an_address_gets_429_in_chinese(client, unit, settings):
    settings.PUBLIC_NOTICE_RATE_LIMIT = 3
    for _ in range(3):
        assert client.get(URL, REMOTE_ADDR="203.0.113.7").status_code == 200

    refused = client.get(URL, REMOTE_ADDR="203.0.113.7")

    assert refused.status_code == 429
    assert "访问过于频繁" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another address is not held back by this one.
    assert client.get(URL, REMOTE_ADDR="203.0.113.8").status_code == 200


def test_the_rows_are_cached_and_an_approval_renews_them(client, unit, reviewer, approve):
    first = approved(unit, "公示甲")
    page(client)
    # A change behind the services' back is not seen: the page comes from the cache.
    factories.make_applicant(unit, ApplicationStatus.APPROVED, name="旁路乙")
    ExpertApplication.objects.filter(pk=first.application.pk).update(title="研究员")
    html = page(client)
    assert "旁路乙" not in html and "研究员" not in html

    pending = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="新通过丙")
    approve(pending, reviewer)

    html = page(client)
    assert "新通过丙" in html and "旁路乙" in html and "研究员" in html


@pytest.mark.parametrize("n", [3, 30])
def test_a_page_takes_three_queries_then_none(client, unit, n, django_assert_num_queries):
    for i in range(n):
        approved(unit, f"公示{i:02d}")
    # The count, the page's rows with name and unit, their 专业领域.
    with django_assert_num_queries(3):
        html = page(client)
    assert html.count('<td class="text-nowrap">') == min(n, 25)
    with django_assert_num_queries(0):
        page(client)


def test_page_numbers_stay_within_the_list(client, unit):
    for i in range(27):
        approved(unit, f"公示{i:02d}")
    last = page(client, URL + "?page=2")
    assert "第 2 / 2 页，共 27 条" in last
    assert page(client, URL + "?page=999") == last
    first = page(client, URL + "?page=1")
    assert page(client, URL + "?page=abc") == first
    assert page(client, URL + "?page=-1") == last


def test_there_is_no_other_format_or_search(client, unit):
    approved(unit, "公示甲")
    response = client.get(URL + "?format=json&q=公示甲", HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("text/html")
    assert "<form" not in response.content.decode().split('<main id="main"')[1]
    assert response["X-Robots-Tag"] == "noindex, nofollow, noarchive"
    assert client.post(URL).status_code == 405
