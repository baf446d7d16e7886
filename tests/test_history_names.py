"""Who a history row names (issue 19 point 8): a unit account by its unit's name, never its
login name; to the bureau also which reviewer or applicant acted; to applicants and units the
role only, never a reviewer's name."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as unit_services
from accounts.models import UnitStatus
from experts import services
from experts.models import ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


def history_cells(response) -> list[str]:
    """The 操作人 column of the page's 审核记录, newest row first."""
    html = response.content.decode()
    section = re.search(r'<section aria-labelledby="history-title".*?</section>', html, re.S)
    assert section, "the page has no 审核记录"
    rows = re.findall(r"<tr>(.*?)</tr>", section.group(0), re.S)[1:]  # after the header
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2].strip() for row in rows]


@pytest.fixture
def named_unit(db):
    return factories.make_unit(UnitStatus.APPROVED, name="武汉示范大学")


@pytest.fixture
def named_reviewer(db):
    reviewer = factories.make_reviewer("zhao_reviewer")
    reviewer.real_name = "赵审核"
    reviewer.save(update_fields=["real_name"])
    return reviewer


@pytest.fixture
def decided(named_unit, named_reviewer):
    """An application 提交ed by 张三, recommended by the unit, approved by 赵审核."""
    applicant = factories.make_applicant(named_unit, name="张三")
    application = applicant.application
    services.submit_application(application, applicant)
    services.recommend_application(application, factories.unit_account(named_unit), "同意推荐")
    services.approve_application(application, named_reviewer, "同意")
    return application


def test_the_bureau_sees_the_units_name_and_which_person_acted(client, decided, named_reviewer):
    client.force_login(named_reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[decided.pk]))
    assert history_cells(page) == [
        "科技局审核员（赵审核）",
        "单位账号（武汉示范大学）",
        "申请人（张三）",
    ]
    login_name = factories.unit_account(decided.user.unit).username
    assert login_name not in page.content.decode()


def test_a_reviewer_without_a_real_name_is_named_by_username_to_the_bureau(
    client, named_unit, reviewer
):
    applicant = factories.make_applicant(named_unit, ApplicationStatus.PENDING_BUREAU)
    services.reject_application(applicant.application, reviewer, "材料不全")
    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[applicant.application.pk]))
    assert history_cells(page) == [f"科技局审核员（{reviewer.username}）"]


def test_the_applicant_sees_roles_and_the_units_name_only(client, decided, named_reviewer):
    client.force_login(decided.user)
    page = client.get(reverse("experts:home"))
    assert history_cells(page) == ["科技局审核员", "单位账号（武汉示范大学）", "申请人"]
    text = page.content.decode()
    assert "赵审核" not in text and named_reviewer.username not in text
    assert factories.unit_account(decided.user.unit).username not in text


def test_the_unit_sees_roles_and_its_own_name_only(client, named_unit, named_reviewer):
    applicant = factories.make_applicant(named_unit, ApplicationStatus.PENDING_BUREAU)
    services.reject_application(applicant.application, named_reviewer, "材料不全")
    services.revise_application(applicant.application, applicant)
    services.submit_application(applicant.application, applicant)
    account = factories.unit_account(named_unit)
    services.return_application(applicant.application, account, "请补充业绩。")
    client.force_login(account)
    page = client.get(reverse("experts:unit_detail", args=[applicant.application.pk]))
    assert history_cells(page) == [
        "单位账号（武汉示范大学）",
        "申请人",
        "申请人",
        "科技局审核员",
    ]
    assert "赵审核" not in page.content.decode()


def test_the_bureaus_unit_page_names_the_unit_not_its_login_name(client, named_reviewer):
    unit = factories.make_unit(UnitStatus.PENDING, name="武汉示范大学")
    account = factories.unit_account(unit)
    unit_services.reject_unit(unit, named_reviewer, "扫描件不清晰")
    unit.refresh_from_db()
    unit_services.resubmit_unit(unit, account, [])
    client.force_login(named_reviewer)
    page = client.get(reverse("accounts:bureau_unit_detail", args=[unit.pk]))
    # Oldest first, as the unit's registration reads.
    assert history_cells(page) == ["科技局审核员（赵审核）", "单位账号（武汉示范大学）"]
    assert f"（{account.username}）" not in page.content.decode()


def test_the_bureaus_unit_page_reads_the_same_queries_however_long_its_history(
    client, named_reviewer
):
    unit = factories.make_unit(UnitStatus.PENDING)
    account = factories.unit_account(unit)
    client.force_login(named_reviewer)
    url = reverse("accounts:bureau_unit_detail", args=[unit.pk])

    def cycle():
        unit_services.reject_unit(unit, named_reviewer, "请补充。")
        unit_services.resubmit_unit(unit, account, [])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    cycle()
    client.get(url)  # per-process caches (content types) filled, as on a running server
    few = queries()
    for _ in range(3):
        cycle()
    assert len(history_cells(client.get(url))) == 8
    assert queries() == few
