"""Who was in each export 含敏感信息 (ExportedApplication): one row per person whose 证件号码,
银行账号 and 手机 went out whole, for 专家库's export (written by the worker, batch by batch) and
for a draw record's (written with the response); none for a masked export. The record outlives
the file and the 导出任务, the person reads it in 我的个人信息 (page and JSON), and an operator
reads it on the job's admin page and finds a person's exports by their 专家编号."""

import json
from datetime import timedelta

import pgtrigger
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from draws import services as draws
from draws.rules import Criteria
from experts import exports
from experts.models import (
    ApplicationStatus,
    Discipline,
    ExpertApplication,
    ExportedApplication,
    ExportJob,
)
from tests import factories
from tests.experts.test_export import EXPORT_URL, export, make_pool
from tests.storages import full_disk

pytestmark = pytest.mark.django_db

REASON = "组织评审，核对劳务费账户"
PAGE_LINE = "导出含敏感信息的专家名单"


@pytest.fixture
def logged_in(client, reviewer):
    client.force_login(reviewer)
    return client


def applications_of(people) -> set[int]:
    return set(ExpertApplication.objects.filter(user__in=people).values_list("pk", flat=True))


def exported_ids(event=None) -> list[int]:
    rows = ExportedApplication.objects.all()
    if event is not None:
        rows = rows.filter(event=event)
    return sorted(rows.values_list("application_id", flat=True))


def job_event(job) -> AuditEvent:
    return AuditEvent.objects.get(object_type="experts.exportjob", object_id=str(job.pk))


def own_audit(client, person) -> list[dict]:
    client.force_login(person)
    response = client.get(reverse("experts:own_data_download"))
    assert response.status_code == 200
    return json.loads(response.content)["安全审计"]


def test_the_reason_is_read_from_the_audit_row_whatever_the_filter_says():
    pool = exports.audit_detail(
        ExportJob(
            rows_total=2, scope="full", reason="核对；账户", filter_text="搜索：；筛选条件：x"
        )
    )
    assert exports.audited_reason(pool) == "核对；账户"
    assert exports.audited_reason("抽取记录：3；条数：2；含敏感信息：是；理由：核对") == "核对"
    assert exports.audited_reason("条数：2；含敏感信息：否；筛选条件：全部") == ""


# -- 专家库's export, by the worker -----------------------------------------------------------


def test_a_sensitive_pool_export_records_each_person_in_its_file_once(logged_in, unit):
    people = make_pool(unit, 3, title_level="senior")
    make_pool(unit, 2, title_level="associate")  # in the pool, not in this filter
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)  # not in the pool

    job = export(logged_in, "title_level=senior", scope="full", reason=REASON)

    assert job.status == ExportJob.Status.DONE
    event = job_event(job)
    assert event.action == AuditEvent.Action.EXPORT_SENSITIVE
    assert exported_ids(event) == sorted(applications_of(people))
    assert exported_ids() == exported_ids(event)  # nobody else


def test_a_masked_pool_export_records_nobody(logged_in, unit):
    make_pool(unit, 3)
    job = export(logged_in)
    assert job.status == ExportJob.Status.DONE and job.rows_done == 3
    assert ExportedApplication.objects.count() == 0


def test_the_record_outlives_the_file_and_the_purged_job(logged_in, unit, client):
    (person,) = make_pool(unit, 1)
    job = export(logged_in, scope="full", reason=REASON)
    later = timezone.now() + timedelta(hours=25)
    assert exports.sweep(later)["expired"] == 1
    assert exports.purge_jobs(later) == 1
    assert not ExportJob.objects.filter(pk=job.pk).exists()

    assert exported_ids() == sorted(applications_of([person]))
    (line,) = [row for row in own_audit(client, person) if row["操作"] == PAGE_LINE]
    assert line["说明"].endswith(f"理由：{REASON}")


def test_a_job_whose_file_could_not_be_stored_keeps_no_record(logged_in, unit, settings, tmp_path):
    make_pool(unit, 3)
    logged_in.post(EXPORT_URL, {"scope": "full", "reason": REASON})
    full_disk(settings, tmp_path)

    assert exports.run_pending() == {"exports": 1, "failed": 1}

    assert ExportJob.objects.get().status == ExportJob.Status.FAILED
    assert ExportedApplication.objects.count() == 0  # no file left the portal


def test_the_rows_are_written_one_insert_per_batch(logged_in, unit, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)
    people = make_pool(unit, 10)
    logged_in.post(EXPORT_URL, {"scope": "full", "reason": REASON})

    with CaptureQueriesContext(connection) as queries:
        exports.run_pending()

    table = ExportedApplication._meta.db_table
    inserts = [q["sql"] for q in queries if q["sql"].startswith(f'INSERT INTO "{table}"')]
    assert len(inserts) == 3  # 4 + 4 + 2
    assert exported_ids() == sorted(applications_of(people))


def test_a_sensitive_export_costs_the_same_queries_for_few_and_many_rows(logged_in, unit):
    """Within one batch (CHUNK_SIZE) the count does not grow with the rows: none per row."""

    def queries_for(n: int) -> int:
        ExportJob.objects.all().delete()
        make_pool(unit, n)
        logged_in.post(EXPORT_URL, {"scope": "full", "reason": REASON})
        with CaptureQueriesContext(connection) as queries:
            exports.run_pending()
        job = ExportJob.objects.latest("pk")
        assert job.status == ExportJob.Status.DONE
        assert ExportedApplication.objects.filter(event=job_event(job)).count() == job.rows_done
        return len(queries)

    assert queries_for(3) == queries_for(30)


# -- A draw record's export, in the response --------------------------------------------------


@pytest.fixture
def drawn(unit, reviewer):
    """A draw of two members and one 备选 among four experts of 电子信息."""
    field = Discipline.objects.get(code="01")
    for person in make_pool(unit, 4):
        person.application.disciplines.set([field])
    draw = draws.make_draw(
        reviewer,
        project_name="项目",
        review_at=timezone.now() + timedelta(days=7),
        review_place="市科技局会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(field, 2, 1)],
    )
    return draw


def draw_ids(draw) -> list[int]:
    from draws.models import Pick

    return sorted(Pick.objects.filter(draw=draw).values_list("application_id", flat=True))


def test_a_sensitive_draw_export_records_each_expert_in_it(logged_in, drawn):
    url = reverse("draws:export", args=[drawn.pk])
    response = logged_in.post(url, {"scope": "full", "reason": "核对劳务费账户"})
    assert response.status_code == 200
    b"".join(response)

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT_SENSITIVE)
    assert (event.object_type, event.object_id) == ("draws.draw", str(drawn.pk))
    assert exported_ids(event) == draw_ids(drawn)
    assert len(exported_ids()) == 3


def test_a_masked_draw_export_records_nobody(logged_in, drawn):
    response = logged_in.post(reverse("draws:export", args=[drawn.pk]), {})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1
    assert ExportedApplication.objects.count() == 0


def test_a_person_reads_a_draw_export_on_their_page_and_in_the_json(
    client, logged_in, reviewer, drawn
):
    logged_in.post(reverse("draws:export", args=[drawn.pk]), {"scope": "full", "reason": "核对"})
    chosen = ExpertApplication.objects.get(pk=draw_ids(drawn)[0]).user

    (line,) = [row for row in own_audit(client, chosen) if row["操作"].startswith("抽取记录导出")]
    assert line["操作"] == "抽取记录导出（含敏感信息）"
    assert line["操作人角色"] == "科技局审核员"
    assert line["说明"] == "导出的名单含您完整的证件号码、银行账号和手机号码；理由：核对"
    assert reviewer.username not in json.dumps(line, ensure_ascii=False)


# -- The person's own data ----------------------------------------------------------------------


def test_the_person_sees_the_export_on_their_page_and_in_the_json_and_another_does_not(
    client, logged_in, reviewer, unit
):
    exported, masked_only = make_pool(unit, 1, title_level="senior") + make_pool(
        unit, 1, title_level="associate"
    )
    export(logged_in, "title_level=senior", scope="full", reason=REASON)
    export(logged_in)  # both in it, masked
    stranger = factories.make_applicant(unit, ApplicationStatus.DRAFT)

    (line,) = [row for row in own_audit(client, exported) if row["操作"] == PAGE_LINE]
    assert line["操作人角色"] == "科技局审核员"  # the role, never the reviewer's name
    assert line["IP地址"] == ""
    assert line["说明"] == f"导出的名单含您完整的证件号码、银行账号和手机号码；理由：{REASON}"
    assert reviewer.username not in json.dumps(line, ensure_ascii=False)
    page = client.get(reverse("experts:own_data")).content.decode()
    assert page.count(PAGE_LINE) == 1 and REASON in page

    for other in (masked_only, stranger):
        assert [row for row in own_audit(client, other) if row["操作"] == PAGE_LINE] == []
        page = client.get(reverse("experts:own_data")).content.decode()
        assert PAGE_LINE not in page and REASON not in page


# -- Admin ----------------------------------------------------------------------------------


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser(
        "operator", "op@example.com", factories.PASSWORD
    )
    client.force_login(user)
    return user


def test_the_jobs_admin_page_lists_its_first_people_and_links_to_all_of_them(
    client, reviewer, unit, operator
):
    people = make_pool(unit, 3)
    reviewer_client = client.__class__()
    reviewer_client.force_login(reviewer)
    job = export(reviewer_client, scope="full", reason=REASON)
    event = job_event(job)
    # Many more rows than the page shows (the same three, again and again, as a 100,000-row
    # export would): the page shows the first ones and the count.
    ids = sorted(applications_of(people))
    ExportedApplication.objects.bulk_create(
        [ExportedApplication(event=event, application_id=ids[i % 3]) for i in range(247)]
    )

    page = client.get(reverse("admin:experts_exportjob_change", args=[job.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "共250人" in body
    assert body.count("（专家编号 ") == exports_shown()
    listed = reverse("admin:experts_exportedapplication_changelist") + f"?event={event.pk}"
    assert f'href="{listed}"' in body

    first = client.get(listed)
    assert first.status_code == 200
    assert first.context["cl"].result_count == 250
    assert len(first.context["cl"].result_list) == 100  # a page, not the whole list
    assert client.get(listed + "&p=3").context["cl"].result_list.__len__() == 50


def exports_shown() -> int:
    from experts.admin import ExportJobAdmin

    return ExportJobAdmin.people_shown


def test_an_operator_finds_the_sensitive_exports_that_held_an_application(
    client, logged_in, unit, operator
):
    target, other = make_pool(unit, 1, title_level="senior") + make_pool(
        unit, 1, title_level="associate"
    )
    first = export(logged_in, "title_level=senior", scope="full", reason=REASON)
    export(logged_in, "title_level=associate", scope="full", reason="另一次")
    second = export(logged_in, scope="full", reason="第三次")
    pk = target.application.pk

    found = client.get(reverse("admin:experts_exportedapplication_changelist"), {"q": str(pk)})

    assert found.status_code == 200
    rows = found.context["cl"].result_list
    assert sorted(row.event_id for row in rows) == sorted(
        [job_event(first).pk, job_event(second).pk]
    )
    assert {row.application_id for row in rows} == {pk}
    by_name = client.get(
        reverse("admin:experts_exportedapplication_changelist"), {"q": other.real_name}
    )
    assert {row.application_id for row in by_name.context["cl"].result_list} == {
        other.application.pk
    }


def test_admin_offers_no_change_or_delete_of_the_record(client, logged_in, unit, operator):
    make_pool(unit, 1)
    export(logged_in, scope="full", reason=REASON)
    row = ExportedApplication.objects.get()
    url = reverse("admin:experts_exportedapplication_change", args=[row.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    delete = reverse("admin:experts_exportedapplication_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ExportedApplication.objects.filter(pk=row.pk).exists()


# -- The database keeps it ---------------------------------------------------------------------


def test_the_record_is_protected_in_the_database(logged_in, unit):
    """On PostgreSQL the triggers refuse an UPDATE, a DELETE within the retention and a
    TRUNCATE; SQLite (the demo) has no triggers, and the model still declares them."""
    make_pool(unit, 1)
    export(logged_in, scope="full", reason=REASON)
    names = {t.name for model, t in pgtrigger.registered() if model is ExportedApplication}
    assert names == {"exported_no_update", "exported_keep_retention", "exported_no_truncate"}
    if connection.vendor != "postgresql":
        return
    rows = ExportedApplication.objects.all()
    for statement in (
        lambda: rows.update(at=timezone.now()),
        lambda: rows.delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {ExportedApplication._meta.db_table} CASCADE")
    assert rows.count() == 1


@pytest.mark.postgres
def test_the_record_is_kept_six_calendar_months_as_the_trail(logged_in, unit):
    """1 March to 1 September is 184 days: a row that old may be younger than six months (网络
    安全法 §21), which the retention of 180 days let go. One past the retention may go."""
    make_pool(unit, 1)
    export(logged_in, scope="full", reason=REASON)
    row = ExportedApplication.objects.get()
    young, old = (
        ExportedApplication.objects.create(
            event=row.event, application=row.application, at=timezone.now() - age
        )
        for age in (timedelta(days=184), timedelta(days=187))
    )

    with pytest.raises(DatabaseError, match="Cannot delete"), transaction.atomic():
        ExportedApplication.objects.filter(pk=young.pk).delete()
    assert ExportedApplication.objects.filter(pk=old.pk).delete()[0] == 1


@pytest.mark.postgres
def test_the_database_lets_only_a_failed_jobs_record_go_within_the_retention(logged_in, unit):
    """forget_exported's delete, and only it: the rows of a job that failed and names no file."""
    make_pool(unit, 1)
    job = export(logged_in, scope="full", reason=REASON)
    rows = ExportedApplication.objects.all()
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED)
    with pytest.raises(DatabaseError, match="Cannot delete"), transaction.atomic():
        rows.delete()  # it still names its file

    ExportJob.objects.filter(pk=job.pk).update(file_name="")

    assert rows.delete()[0] == 1
