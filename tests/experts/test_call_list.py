"""导出Excel 含联系方式 (a call list): the middle choice between a masked export and one
含敏感信息, for 专家库's export and a draw record's. The file holds every 手机 whole and the
证件号码 and 银行账号 masked; it needs a reason, is audited as 导出含联系方式的专家名单 (who,
filter, count, reason), records who was in it, and the person's 我的个人信息 says their mobile
left, not their ID number. A unit never exports."""

import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.validators import display_mobile
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
from portal.templating import masked_bank_account, masked_id_number
from tests import factories
from tests.experts.test_export import (
    BANK,
    EXPORT_URL,
    HEADER,
    data_rows,
    export,
    make_pool,
    sheet_rows,
)

pytestmark = pytest.mark.django_db

REASON = "组织项目评审，电话通知抽中专家"
CONTACT = "contact"  # as the form posts it


@pytest.fixture
def logged_in(client, reviewer):
    client.force_login(reviewer)
    return client


def own_audit(client, person) -> list[dict]:
    client.force_login(person)
    response = client.get(reverse("experts:own_data_download"))
    assert response.status_code == 200
    return json.loads(response.content)["安全审计"]


def test_a_call_list_has_whole_mobiles_and_masked_numbers_and_is_audited(logged_in, reviewer, unit):
    people = make_pool(unit, 2, title_level="senior")
    make_pool(unit, 1, title_level="associate")  # not in the filter
    job = export(logged_in, "title_level=senior", scope=CONTACT, reason=REASON)
    assert job.scope == CONTACT

    rows = sheet_rows(logged_in, job)  # opens with openpyxl
    title = {row[0]: row[1] for row in rows[:5]}
    assert title["是否含敏感信息"] == f"{exports.CONTACT_NOTE}（理由：{REASON}）"
    by_name = {row[0]: dict(zip(HEADER, row, strict=True)) for row in data_rows(rows)}
    assert set(by_name) == {person.real_name for person in people}
    for person in people:
        application = ExpertApplication.objects.get(user=person)
        named = by_name[person.real_name]
        assert named["手机"] == display_mobile(application.mobile)
        assert named["证件号码"] == masked_id_number(person.id_number) != person.id_number
        assert named["银行账号"] == masked_bank_account(BANK) != BANK
        assert named["出生日期"] == f"{application.birth_date.year}年"

    (event,) = AuditEvent.objects.filter(object_type="experts.exportjob", object_id=str(job.pk))
    assert event.action == AuditEvent.Action.EXPORT_CONTACT
    assert event.get_action_display() == "导出含联系方式的专家名单"
    assert (event.actor, event.username) == (reviewer, reviewer.username)
    assert event.detail == (
        f"条数：2；含敏感信息：仅联系方式（手机号码）；理由：{REASON}；"
        "筛选条件：专家状态：审核通过；职称级别：正高级"
    )
    # Who was in it, as for an export 含敏感信息, named by this event.
    exported = ExportedApplication.objects.filter(event=event)
    assert sorted(exported.values_list("application__user", flat=True)) == sorted(
        person.pk for person in people
    )
    assert exports.download_name(job).startswith("专家名单（含联系方式）-")


def test_a_call_list_without_a_reason_is_refused_and_nothing_is_saved(logged_in, unit):
    make_pool(unit, 2)
    response = logged_in.post(EXPORT_URL, {"scope": CONTACT, "reason": "  "})
    assert response.status_code == 400
    assert response.context["form"].errors == {"reason": ["选择“含联系方式”时，请填写理由。"]}
    assert ExportJob.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="export").count() == 0


def test_an_unknown_choice_is_refused(logged_in, unit):
    make_pool(unit, 1)
    response = logged_in.post(EXPORT_URL, {"scope": "everything", "reason": REASON})
    assert response.status_code == 400
    assert ExportJob.objects.count() == 0


def test_the_confirmation_page_offers_the_three_choices_the_least_chosen(logged_in, unit):
    make_pool(unit, 1)
    form = logged_in.get(EXPORT_URL).context["form"]
    assert [label for _, label in form.fields["scope"].choices] == [
        "不含敏感信息",
        "含联系方式（手机号码，不含证件号码和银行账号）",
        "含敏感信息（证件号码、银行账号、手机号码）",
    ]
    assert form["scope"].value() == "masked"


@pytest.mark.parametrize("who", ["unit", "applicant"])
def test_a_unit_or_an_applicant_can_never_ask_for_a_call_list(client, reviewer, unit, who):
    make_pool(unit, 1)
    field = Discipline.objects.get(code="01")
    draw = draws.make_draw(
        reviewer,
        project_name="项目",
        review_at=timezone.now() + timedelta(days=7),
        review_place="市科技局会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(field, 1, 0)],
    )
    person = (
        factories.unit_account(unit)
        if who == "unit"
        else factories.make_applicant(unit, ApplicationStatus.APPROVED)
    )
    client.force_login(person)
    form = {"scope": CONTACT, "reason": REASON}
    assert client.post(EXPORT_URL, form).status_code == 403
    assert client.post(reverse("draws:export", args=[draw.pk]), form).status_code == 403
    assert ExportJob.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="export").count() == 0
    assert ExportedApplication.objects.count() == 0


@pytest.fixture
def drawn(unit, reviewer):
    """A draw of two members and one 备选 among four experts of 电子信息."""
    field = Discipline.objects.get(code="01")
    for person in make_pool(unit, 4):
        person.application.disciplines.set([field])
    return draws.make_draw(
        reviewer,
        project_name="项目",
        review_at=timezone.now() + timedelta(days=7),
        review_place="市科技局会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(field, 2, 1)],
    )


def test_a_draws_call_list_has_whole_mobiles_and_is_audited_and_recorded(
    logged_in, reviewer, drawn
):
    url = reverse("draws:export", args=[drawn.pk])
    refused = logged_in.post(url, {"scope": CONTACT})
    assert refused.status_code == 400
    assert "选择“含联系方式”时，请填写理由。" in refused.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="export").exists()

    response = logged_in.post(url, {"scope": CONTACT, "reason": REASON})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response)))
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "抽取领域")
    columns = rows[header]
    body = [dict(zip(columns, row, strict=True)) for row in rows[header + 1 :]]
    assert len(body) == 3  # two members and the 备选
    for line in body:
        application = ExpertApplication.objects.get(user__real_name=line["姓名"])
        assert line["手机"] == display_mobile(application.mobile)
        assert line["证件号码"] == masked_id_number(application.user.id_number)
        assert line["银行账号"] == masked_bank_account(BANK)

    (event,) = AuditEvent.objects.filter(action__startswith="export")
    assert event.action == AuditEvent.Action.EXPORT_CONTACT
    assert (event.object_type, event.object_id) == ("draws.draw", str(drawn.pk))
    assert event.detail == (
        f"抽取记录：{drawn.pk}；条数：3；含敏感信息：仅联系方式（手机号码）；理由：{REASON}"
    )
    assert ExportedApplication.objects.filter(event=event).count() == 3


def test_the_person_reads_that_a_call_list_held_their_mobile_not_their_id_number(
    client, logged_in, reviewer, unit, drawn
):
    (person,) = make_pool(unit, 1, title_level="associate")
    export(logged_in, "title_level=associate", scope=CONTACT, reason=REASON)

    (line,) = [row for row in own_audit(client, person) if "导出" in row["操作"]]
    assert line["操作"] == "导出含联系方式的专家名单"
    assert line["操作人角色"] == "科技局审核员"
    assert (
        line["说明"] == f"导出的名单含您完整的手机号码（证件号码、银行账号已脱敏）；理由：{REASON}"
    )
    page = client.get(reverse("experts:own_data")).content.decode()
    assert "导出含联系方式的专家名单" in page
    assert "完整的证件号码" not in page

    client.force_login(reviewer)
    client.post(reverse("draws:export", args=[drawn.pk]), {"scope": CONTACT, "reason": "通知"})
    drawn_person = ExportedApplication.objects.filter(
        event__action=AuditEvent.Action.EXPORT_CONTACT, event__object_type="draws.draw"
    ).first()
    (line,) = [
        row
        for row in own_audit(client, drawn_person.application.user)
        if row["操作"].startswith("抽取记录导出")
    ]
    assert line["操作"] == "抽取记录导出（含联系方式）"
    assert line["说明"] == "导出的名单含您完整的手机号码（证件号码、银行账号已脱敏）；理由：通知"


def test_a_full_export_holds_the_mobile_of_one_without_the_consent_and_masks_the_numbers(
    logged_in, unit
):
    """No consent covers the mobile (experts.rules.CONSENT_TEXTS): an export 含敏感信息 is
    never less than a call list, while the 证件号码 and the 银行账号 stay masked."""
    (without,) = make_pool(unit, 1)
    ExpertApplication.objects.filter(user=without).update(consent_version="", consent_at=None)
    application = ExpertApplication.objects.get(user=without)
    job = export(logged_in, scope="full", reason="核对")
    (row,) = data_rows(sheet_rows(logged_in, job))
    named = dict(zip(HEADER, row, strict=True))
    assert named["手机"] == display_mobile(application.mobile)
    assert named["证件号码"] == masked_id_number(without.id_number)
    assert named["银行账号"] == masked_bank_account(BANK)
