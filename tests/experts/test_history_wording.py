"""What an application's history (审核记录) says of a 退回: the state it left the application
in reads 已退回（待修改）, as the status badge does, on every page that shows the history (the
applicant's home, the unit's and the bureau's detail pages, admin, 我的个人信息), and so does
the state the next 提交 started from."""

import importlib
import json
import re

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from accounts.models import User
from experts import services
from experts.models import ApplicationStatus, ApplicationTransition
from tests import factories

pytestmark = pytest.mark.django_db

RETURNED = "已退回（待修改）"


def status_changes(response) -> list[tuple[str, str]]:
    """(操作, 状态变化) of each row of the page's 审核记录, newest first."""
    html = response.content.decode()
    section = re.search(r'<section aria-labelledby="history-title".*?</section>', html, re.S)
    assert section, "the page has no 审核记录"
    rows = re.findall(r"<tr>(.*?)</tr>", section.group(0), re.S)[1:]  # after the header
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [(row[1].strip(), row[3].strip()) for row in cells]


@pytest.fixture
def resubmitted(unit):
    """提交, 退回 by the unit, 提交 again."""
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="赵磊")
    application = applicant.application
    services.submit_application(application, applicant)
    services.return_application(application, factories.unit_account(unit), "请补充工作简历。")
    services.submit_application(application, applicant)
    return application


RESUBMITTED = [
    ("提交", f"{RETURNED} → 待单位推荐"),
    ("退回", f"待单位推荐 → {RETURNED}"),
    ("提交", "信息未填写 → 待单位推荐"),
]


def test_a_return_reads_returned_on_the_applicants_home(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    services.submit_application(applicant.application, applicant)
    services.return_application(applicant.application, factories.unit_account(unit), "请补充。")
    client.force_login(applicant)

    page = client.get(reverse("experts:home"))

    assert status_changes(page) == [
        ("退回", f"待单位推荐 → {RETURNED}"),
        ("提交", "信息未填写 → 待单位推荐"),
    ]
    # The badge above it says the same.
    assert f"{RETURNED}</span>" in page.content.decode()


def test_the_unit_and_the_bureau_read_the_return_and_the_resubmission_alike(
    client, unit, reviewer, resubmitted
):
    client.force_login(factories.unit_account(unit))
    unit_page = client.get(reverse("experts:unit_detail", args=[resubmitted.pk]))
    client.force_login(reviewer)
    bureau_page = client.get(reverse("experts:bureau_detail", args=[resubmitted.pk]))

    assert status_changes(unit_page) == RESUBMITTED
    assert status_changes(bureau_page) == RESUBMITTED


def test_the_rows_and_my_data_read_the_return_as_the_pages_do(client, resubmitted):
    rows = list(resubmitted.history.order_by("-created_at", "-pk"))
    assert [(row.get_from_status_display(), row.get_to_status_display()) for row in rows] == [
        (RETURNED, "待单位推荐"),
        ("待单位推荐", RETURNED),
        ("信息未填写", "待单位推荐"),
    ]
    assert [str(row) for row in rows] == [f"{action}：{change}" for action, change in RESUBMITTED]

    client.force_login(resubmitted.user)
    data = json.loads(client.get(reverse("experts:own_data_download")).content)
    assert [(row["操作"], row["状态变化"]) for row in data["审核记录"]] == RESUBMITTED


def test_revision_after_a_rejection_reads_as_the_draft_it_reopens(client, unit, reviewer):
    """审核不通过 then 修改专家信息: the draft is no 退回's, and its badge reads 信息未填写."""
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    services.reject_application(application, reviewer, "材料不全。")
    services.revise_application(application, applicant)
    client.force_login(applicant)

    assert status_changes(client.get(reverse("experts:home")))[:2] == [
        ("修改专家信息", "审核不通过 → 信息未填写"),
        ("审核不通过", "待科技局审核 → 审核不通过"),
    ]


def test_migration_marks_the_submissions_that_answer_a_return(resubmitted, unit):
    migration = importlib.import_module("experts.migrations.0031_transition_from_returned")
    once = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    services.submit_application(once.application, once)
    # As the rows were before migration 0031, which ran before the history was append-only.
    with factories.rewriting_history():
        ApplicationTransition.objects.update(from_returned=False)

        migration.fill(apps, type("Editor", (), {"connection": connection})())

    marked = ApplicationTransition.objects.filter(from_returned=True)
    latest = resubmitted.history.filter(action="submit").latest("created_at", "pk")
    assert list(marked.values_list("pk", flat=True)) == [latest.pk]


def test_the_superuser_admin_page_shows_the_returned_state(client, resubmitted):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)

    page = client.get(reverse("admin:experts_expertapplication_change", args=[resubmitted.pk]))

    # The 审核记录 inline: the 退回's 新状态 and the next 提交's 原状态.
    html = re.sub(r"\s+", "", page.content.decode())
    assert html.count(f'<tdclass="field-to_label"><p>{RETURNED}</p></td>') == 1
    assert html.count(f'<tdclass="field-from_label"><p>{RETURNED}</p></td>') == 1
