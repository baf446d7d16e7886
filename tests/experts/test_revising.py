"""An application the bureau did not pass (审核不通过) and its applicant reopened (修改专家信息,
back to 信息未填写) stays in 专家审核, marked 修改中（曾审核不通过）: a reviewer answering the
applicant's call must find it (found by a walk: it left every tab and the search). A draft never
submitted stays out."""

import importlib
import re
import types

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from experts import counts, eligibility, services
from experts.models import ApplicationStatus, ExpertApplication, StatusCount
from tests import factories
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
S = ApplicationStatus
MARK = "修改中（曾审核不通过）"


def text(response) -> str:
    """The page as a person reads it: tags stripped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def tabs(client, **params) -> dict[str, int | None]:
    page = client.get(reverse("experts:bureau_queue"), params)
    assert page.status_code == 200
    return {value: n for value, _, n in page.context["tabs"]}


def names(client, **params) -> list[str]:
    page = client.get(reverse("experts:bureau_queue"), params)
    return [row.real_name for row in page.context["rows"]]


def kept_status_counts() -> dict[str, tuple[int, int, int]]:
    rows = StatusCount.objects.values_list("status", "n", "returned", "revising")
    return {status: (n, returned, revising) for status, n, returned, revising in rows if n}


@pytest.fixture
def walk(unit, reviewer):
    """The walk's steps, by HTTP: submitted, recommended, 审核不通过, 修改专家信息."""
    applicant = factories.make_applicant(unit, S.DRAFT, name="孔桂怡")
    person, unit_client, bureau = Client(), Client(), Client()
    person.force_login(applicant)
    unit_client.force_login(factories.unit_account(unit))
    bureau.force_login(reviewer)
    pk = applicant.application.pk
    submitted = person.post(
        reverse("experts:form"), factories.application_post_data(applicant, "submit")
    )
    assert submitted.status_code == 302
    unit_client.post(reverse("experts:unit_recommend", args=[pk]), {"comment": ""})
    bureau.post(reverse("experts:bureau_reject", args=[pk]), {"reason": "缺少佐证材料。"})
    assert ExpertApplication.objects.get(pk=pk).status == S.REJECTED
    before = tabs(bureau, status="all")
    person.post(reverse("experts:revise"))
    assert ExpertApplication.objects.get(pk=pk).status == S.DRAFT
    return {
        "person": person,
        "unit": unit_client,
        "bureau": bureau,
        "pk": pk,
        "before": before,
    }


def test_a_revised_rejection_stays_in_every_tab_it_was_counted_in(walk, unit):
    factories.make_applicant(unit, S.DRAFT, name="钱未交")  # never submitted
    bureau = walk["bureau"]

    after = tabs(bureau, status="all")
    # 全部 keeps her: she moved from 审核不通过 to 待申请人修改 (the drafts back with applicants).
    assert after["all"] == walk["before"]["all"] == 1
    assert (after[S.REJECTED], after[S.DRAFT]) == (0, 1)
    assert names(bureau, status="all") == ["孔桂怡"]
    assert names(bureau, status=S.DRAFT) == ["孔桂怡"]
    page = text(bureau.get(reverse("experts:bureau_queue"), {"status": "all"}))
    assert f"信息未填写 {MARK}" in page
    # The tab's time column says when the bureau did not pass her (no 退回 to show).
    page = text(bureau.get(reverse("experts:bureau_queue"), {"status": S.DRAFT}))
    assert "审核不通过时间" in page and "待申请人修改" in page


def test_search_finds_a_revised_rejection_and_never_a_draft_never_submitted(walk, unit):
    factories.make_applicant(unit, S.DRAFT, name="孔未交")  # never submitted
    bureau = walk["bureau"]
    assert names(bureau, status="all", q="孔桂怡") == ["孔桂怡"]
    assert names(bureau, status="all", q="孔") == ["孔桂怡"]
    assert tabs(bureau, status="all", q="孔")["all"] == 1
    assert names(bureau, status=S.DRAFT) == ["孔桂怡"]


def test_the_kept_counts_equal_a_recount_through_revise_resubmit_and_withdrawal(walk, unit):
    factories.make_applicant(unit, S.DRAFT)  # never submitted
    kept = kept_status_counts()
    assert kept[S.DRAFT] == (2, 0, 1)
    counts.recount()
    assert kept_status_counts() == kept
    assert counts.review_queue()[S.DRAFT] == 1

    # 提交 again: no longer revising, with its unit again.
    person = walk["person"]
    application = ExpertApplication.objects.get(pk=walk["pk"])
    assert application.revising_at is not None
    person.post(
        reverse("experts:form"), factories.application_post_data(application.user, "submit")
    )
    application.refresh_from_db()
    assert (application.status, application.revising_at) == (S.PENDING_UNIT, None)
    kept = kept_status_counts()
    assert kept[S.DRAFT] == (1, 0, 0)
    counts.recount()
    assert kept_status_counts() == kept
    live = ExpertApplication.objects.values_list("status").annotate(n=Count("*")).order_by()
    assert dict(live) == {status: n for status, (n, _, _) in kept.items()}


def test_withdrawing_consent_while_revising_takes_it_out_of_the_queue(walk):
    """撤回同意: nothing left for the bureau to review, as before its 提交 (PIPL art. 15)."""
    response = walk["person"].post(reverse("experts:withdraw_consent"), {"confirmed": "yes"})
    assert response.status_code == 302
    application = ExpertApplication.objects.get(pk=walk["pk"])
    assert (application.status, application.revising_at, application.consent_at) == (
        S.DRAFT,
        None,
        None,
    )
    assert tabs(walk["bureau"], status="all")["all"] == 0
    assert kept_status_counts()[S.DRAFT] == (1, 0, 0)
    counts.recount()
    assert kept_status_counts()[S.DRAFT] == (1, 0, 0)


def test_the_unit_sees_the_revised_rejection_marked(walk):
    page = walk["unit"].get(reverse("experts:unit_people"))
    assert [row.real_name for row in page.context["rows"]] == ["孔桂怡"]
    assert f"信息未填写 {MARK}" in text(page)


def test_the_detail_page_marks_it_too(walk):
    page = walk["bureau"].get(reverse("experts:bureau_detail", args=[walk["pk"]]))
    assert MARK in text(page)


def test_recount_repairs_the_revising_count(walk):
    StatusCount.objects.update(revising=7)
    call_command("recount_applications")
    assert kept_status_counts()[S.DRAFT] == (1, 0, 1)


def test_the_migration_marks_the_drafts_already_revised(unit, reviewer):
    """Drafts revised before revising_at existed: the last step is 修改专家信息; one submitted
    again, one returned by its unit and one whose consent was withdrawn since are not."""
    migration = importlib.import_module("experts.migrations.0039_revising")
    account = factories.unit_account(unit)
    people = {
        name: factories.make_applicant(unit, S.PENDING_BUREAU, name=name)
        for name in ("孔桂怡", "再提交", "撤回")
    }
    for person in people.values():
        services.reject_application(person.application, reviewer, "缺少佐证材料。")
        services.revise_application(ExpertApplication.objects.get(user=person), person)
    services.submit_application(
        ExpertApplication.objects.get(user=people["再提交"]), people["再提交"]
    )
    services.withdraw_application(
        ExpertApplication.objects.get(user=people["撤回"]), people["撤回"]
    )
    returned = factories.make_applicant(unit, S.PENDING_UNIT, name="退回")
    services.return_application(returned.application, account, "请补充。")
    factories.make_applicant(unit, S.DRAFT, name="未提交")
    # As before the migration added the field.
    ExpertApplication.objects.update(revising_at=None)
    StatusCount.objects.update(revising=0)

    migration.fill(apps, types.SimpleNamespace(connection=connection))

    marked = dict(
        ExpertApplication.objects.filter(revising_at__isnull=False).values_list(
            "user__real_name", "revising_at"
        )
    )
    revised = ExpertApplication.objects.get(user=people["孔桂怡"])
    assert marked == {"孔桂怡": revised.history.get(action="revise").created_at}
    assert kept_status_counts()[S.DRAFT] == (4, 1, 1)
    counts.recount()
    assert kept_status_counts()[S.DRAFT] == (4, 1, 1)


def test_a_rule_change_recomputes_a_revised_drafts_flags(walk):
    """专家审核 lists it with its 资格提示, as it lists the returned drafts: kept current."""
    rows = ExpertApplication.objects.filter(pk=walk["pk"])
    rows.update(title_level="intermediate")
    eligibility.recompute()
    assert "职称级别低于副高级" in rows.get().eligibility_flags


def test_the_queue_asks_the_same_queries_with_one_revised_draft_or_three(walk, unit, reviewer):
    url = reverse("experts:bureau_queue")
    one = {
        status: queries_for(walk["bureau"], url, {"status": status}) for status in ("all", S.DRAFT)
    }
    for n in range(2):
        person = factories.make_applicant(unit, S.PENDING_BUREAU, name=f"修改{n}")
        services.reject_application(person.application, reviewer, "缺少佐证材料。")
        services.revise_application(ExpertApplication.objects.get(user=person), person)
    # The newest 审核不通过 first, as the tab's time column reads.
    assert names(walk["bureau"], status=S.DRAFT) == ["修改1", "修改0", "孔桂怡"]
    three = {
        status: queries_for(walk["bureau"], url, {"status": status}) for status in ("all", S.DRAFT)
    }
    assert three == one


def test_the_tab_lists_returned_and_revised_drafts_newest_first_by_the_time_it_shows(
    walk, unit, reviewer
):
    """待申请人修改 reads 退回时间 for a returned draft and the 审核不通过 time for a revised
    one: the rows run by that time, the two kinds interleaved."""
    returned = factories.make_applicant(unit, S.PENDING_UNIT, name="退回的")
    services.return_application(returned.application, factories.unit_account(unit), "请补充。")
    later = factories.make_applicant(unit, S.PENDING_BUREAU, name="后不通过")
    services.reject_application(later.application, reviewer, "缺少佐证材料。")
    services.revise_application(ExpertApplication.objects.get(user=later), later)

    assert names(walk["bureau"], status=S.DRAFT) == ["后不通过", "退回的", "孔桂怡"]
