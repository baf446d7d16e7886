"""重新提交 on 专家审核 and 用户账号管理 (a reviewer's walk): a row waiting on a 提交 that is not
its first is marked, from the list's own query, so that a reviewer knows before opening it
that the detail page shows 与上次提交相比."""

import re

import pytest
from django.urls import reverse

from experts import counts, services
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
QUEUE = reverse("experts:bureau_queue")
PEOPLE = reverse("experts:unit_people")
MARK = ">重新提交</span>"


def fresh(pk) -> ExpertApplication:
    return ExpertApplication.objects.get(pk=pk)


def submitted(unit, name) -> ExpertApplication:
    """A first 提交, by the service (the factory's statuses come without a history)."""
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name=name)
    return services.submit_application(fresh(applicant.application.pk), applicant)


def returned_and_submitted_again(unit, name) -> ExpertApplication:
    application = submitted(unit, name)
    services.return_application(
        fresh(application.pk), factories.unit_account(unit), reason="缺简历。"
    )
    return services.submit_application(fresh(application.pk), application.user)


def rejected_and_submitted_again(unit, reviewer, name) -> ExpertApplication:
    application = submitted(unit, name)
    services.recommend_application(fresh(application.pk), factories.unit_account(unit))
    services.reject_application(fresh(application.pk), reviewer, reason="职称证书不清晰。")
    services.revise_application(fresh(application.pk), application.user)
    return services.submit_application(fresh(application.pk), application.user)


def row_of(html: str, name: str) -> str:
    return html.split(name, 1)[1].split("</tr>")[0]


def test_the_units_waiting_tab_marks_a_form_submitted_again(client, unit):
    returned_and_submitted_again(unit, "再交者")
    submitted(unit, "初交者")
    client.force_login(factories.unit_account(unit))

    html = client.get(PEOPLE, {"status": ApplicationStatus.PENDING_UNIT}).content.decode()

    assert MARK in row_of(html, "再交者")
    assert MARK not in row_of(html, "初交者")


def test_the_bureaus_queue_marks_a_resubmission_after_a_return_or_a_refusal(client, unit, reviewer):
    returned = returned_and_submitted_again(unit, "退回再交")
    services.recommend_application(fresh(returned.pk), factories.unit_account(unit))
    refused = rejected_and_submitted_again(unit, reviewer, "不通过再交")
    first = submitted(unit, "第一次交")
    services.recommend_application(fresh(first.pk), factories.unit_account(unit))
    client.force_login(reviewer)

    waiting = client.get(QUEUE).content.decode()
    everyone = client.get(QUEUE, {"status": "all"}).content.decode()

    assert MARK in row_of(waiting, "退回再交")
    assert MARK not in row_of(waiting, "第一次交")
    # Waiting on its unit again, after the bureau's 审核不通过.
    assert ExpertApplication.objects.get(pk=refused.pk).status == ApplicationStatus.PENDING_UNIT
    assert MARK in row_of(everyone, "不通过再交")
    assert len(re.findall(MARK, everyone)) == 2


def test_a_frozen_experts_unfreezing_is_no_resubmission(client, unit, reviewer):
    application = returned_and_submitted_again(unit, "解冻者")
    ExpertApplication.objects.filter(pk=application.pk).update(
        status=ApplicationStatus.PENDING_BUREAU, unfreezing=True
    )
    counts.recount()  # the kept tab counts, as a 申请解冻 would have shifted them
    client.force_login(reviewer)

    html = client.get(QUEUE).content.decode()

    assert "申请解冻" in row_of(html, "解冻者")
    assert MARK not in row_of(html, "解冻者")


def test_the_mark_costs_no_query_per_row(client, unit, reviewer):
    client.force_login(reviewer)
    returned_and_submitted_again(unit, "甲")
    few = queries_for(client, QUEUE, {"status": "all"})
    for n in range(5):
        returned_and_submitted_again(unit, f"乙{n}")
        submitted(unit, f"丙{n}")
    many = queries_for(client, QUEUE, {"status": "all"})
    assert few == many
    assert client.get(QUEUE, {"status": "all"}).content.decode().count(MARK) == 6
