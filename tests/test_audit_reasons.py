"""The audit trail says why: a 退回 or 不通过 row carries the reason codes' labels, the text and
the fields commented on (never a whole personal number), cut with a marker when too long; and a
batch writes one 失败 row for each item it skipped, with the item and the reason."""

import io
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Unit, User
from accounts.permissions import BUREAU_GROUP
from audit.log import record
from audit.models import AuditEvent
from changes.models import ChangeStatus
from experts.models import ApplicationStatus, ExpertApplication, ReasonCode
from portal.bulk import OUT_OF_SCOPE
from tests import factories
from tests.changes.helpers import admitted, key_request

pytestmark = pytest.mark.django_db
S = ApplicationStatus
DETAIL_LENGTH = 2000
CUT_MARKER = "…（说明过长，以下已截断）"


def code(name: str) -> ReasonCode:
    return ReasonCode.objects.get(code=name)


def shipped_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.audit"]


def decision_row(obj) -> AuditEvent:
    """The one successful 状态变更 row about `obj`."""
    return AuditEvent.objects.get(
        action=AuditEvent.Action.TRANSITION,
        result=AuditEvent.Result.SUCCESS,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
    )


@pytest.fixture
def unit_client(unit):
    client = Client()
    client.force_login(factories.unit_account(unit))
    return client


@pytest.fixture
def bureau(reviewer):
    client = Client()
    client.force_login(reviewer)
    return client


def test_a_return_writes_its_codes_text_and_commented_fields_into_the_row_and_the_line(
    unit_client, unit, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level("INFO", logger="portal.audit")
    application = factories.make_applicant(unit, S.PENDING_UNIT, name="赵磊").application
    number = factories.resident_id(4321)

    with django_capture_on_commit_callbacks(execute=True):
        response = unit_client.post(
            reverse("experts:unit_return", args=[application.pk]),
            {
                "codes": [code("incomplete").pk, code("evidence").pk],
                "reason": f"请补充2015年以后的经历，\n证件号码{number}与扫描件不符。",
                "field_1": "resume",
                "note_1": "缺少2015年以后的经历",
                "field_2": "title",
                "note_2": "请填写职称全称",
            },
        )

    assert response.status_code == 302
    row = decision_row(application)
    assert row.detail == (
        "退回：待单位推荐 → 已退回（待修改）；理由：信息不完整、证明材料不清晰；"
        "批注字段：专业技术职称、工作简历；"
        f"理由说明：请补充2015年以后的经历， 证件号码****{number[-4:]}与扫描件不符。"
    )
    # The trail names the fields; their comments stay on the applicant's history.
    assert "请填写职称全称" not in row.detail
    [line] = [line for line in shipped_lines(caplog) if line["id"] == row.pk]
    assert (line["detail"], line["result"]) == (row.detail, "success")
    assert number not in json.dumps(shipped_lines(caplog), ensure_ascii=False)


def test_the_bureau_s_rejection_says_its_reasons_in_the_row(bureau, unit):
    application = factories.make_applicant(unit, S.PENDING_BUREAU).application

    bureau.post(
        reverse("experts:bureau_reject", args=[application.pk]),
        {
            "codes": [code("title").pk],
            "reason": "聘书扫描件缺页。",
            "field_1": "achievements",
            "note_1": "请附验收证书",
        },
    )

    assert ExpertApplication.objects.get(pk=application.pk).status == S.REJECTED
    assert decision_row(application).detail == (
        "审核不通过：待科技局审核 → 审核不通过；理由：职称不符合要求；"
        "批注字段：主要业绩与成果；理由说明：聘书扫描件缺页。"
    )


def test_a_change_requests_return_and_rejection_say_their_reason(unit, reviewer):
    expert = admitted(unit, name="王建国")
    returned = key_request(expert)
    unit_client = Client()
    unit_client.force_login(factories.unit_account(unit))
    unit_client.post(
        reverse("changes:unit_return", args=[returned.pk]),
        {"reason": "职称证书尚未下发，请取得后再申请。"},
    )
    returned.refresh_from_db()
    assert returned.status == ChangeStatus.REJECTED
    assert decision_row(returned).detail.endswith("；理由：职称证书尚未下发，请取得后再申请。")

    other = admitted(unit, name="李四")
    rejected = key_request(other, status=ChangeStatus.PENDING_BUREAU)
    bureau = Client()
    bureau.force_login(reviewer)
    bureau.post(
        reverse("changes:bureau_reject", args=[rejected.pk]), {"reason": "未提供职称证明。"}
    )
    assert (
        # The state in the words of the request's badge: the bureau's 未通过 is 审核不通过.
        decision_row(rejected).detail
        == "审核不通过：待科技局审核 → 审核不通过；理由：未提供职称证明。"
    )


def test_a_units_registration_rejection_says_its_reason(bureau):
    from accounts.choices import UnitStatus

    pending = factories.make_unit(UnitStatus.PENDING, name="武汉某某公司")

    bureau.post(
        reverse("accounts:bureau_unit_reject", args=[pending.pk]),
        {"reason": "单位名称与营业执照不一致，联系人手机13812345678无法接通。"},
    )

    pending.refresh_from_db()
    assert pending.status == UnitStatus.REJECTED
    assert decision_row(pending).detail.endswith(
        "；理由：单位名称与营业执照不一致，联系人手机****5678无法接通。"
    )


def test_a_removal_says_its_reason_and_text_in_the_row(bureau, unit):
    application = factories.make_applicant(unit, S.APPROVED).application

    bureau.post(
        reverse("experts:bureau_remove", args=[application.pk]),
        {"code": "false_info", "reason": "学历信息不实", "ban_years": ""},
    )

    assert ExpertApplication.objects.get(pk=application.pk).status == S.EXITED
    assert decision_row(application).detail.endswith("；理由：提供虚假信息；说明：学历信息不实")


def test_a_reason_longer_than_the_column_is_cut_with_a_marker_and_the_decision_stands(
    unit_client, unit, caplog, django_capture_on_commit_callbacks
):
    """The form takes a text of its own length and any number of codes: together they may
    pass 说明's length, which must never refuse (and so roll back) the decision."""
    caplog.set_level("INFO", logger="portal.audit")
    codes = [
        ReasonCode.objects.create(code=f"long{n}", label=f"{n:02d}" + "很长的理由" * 9, active=True)
        for n in range(30)
    ]
    application = factories.make_applicant(unit, S.PENDING_UNIT).application
    text = "甲" * 1000

    with django_capture_on_commit_callbacks(execute=True):
        response = unit_client.post(
            reverse("experts:unit_return", args=[application.pk]),
            {"codes": [c.pk for c in codes], "reason": text},
        )

    assert response.status_code == 302
    assert ExpertApplication.objects.get(pk=application.pk).status == S.DRAFT
    assert application.history.get(action="send_back").comment == text
    row = decision_row(application)
    assert len(row.detail) == DETAIL_LENGTH
    assert row.detail.endswith("甲" + CUT_MARKER)
    assert "；理由：00很长的理由" in row.detail and "理由说明：甲甲" in row.detail
    [line] = [line for line in shipped_lines(caplog) if line["id"] == row.pk]
    assert line["detail"] == row.detail


def test_a_detail_is_kept_whole_up_to_the_column_and_cut_past_it():
    whole = record(AuditEvent.Action.TRANSITION, detail="乙" * DETAIL_LENGTH)
    cut = record(AuditEvent.Action.TRANSITION, detail="丙" * 5000)

    stored = dict(AuditEvent.objects.values_list("pk", "detail"))
    assert stored[whole.pk] == "乙" * DETAIL_LENGTH
    assert stored[cut.pk] == "丙" * (DETAIL_LENGTH - len(CUT_MARKER)) + CUT_MARKER


# --- 批量处理 -----------------------------------------------------------------------------------


def batch_token(page) -> str:
    return re.search(r'name="batch" value="([^"]+)"', page.content.decode()).group(1)


def run_batch(client, url, data, posted_ids):
    """Open the confirmation page for `data`, then confirm it with `posted_ids` (what a forged
    post would send besides what the page listed)."""
    shown = {k: v for k, v in data.items() if k in ("action", "ids")}
    page = client.get(reverse(url), shown, follow=True)
    return client.post(
        reverse(url), {**data, "ids": posted_ids, "batch": batch_token(page)}, follow=True
    )


def skipped_rows() -> list[tuple]:
    return list(
        AuditEvent.objects.filter(result=AuditEvent.Result.FAILURE)
        .order_by("id")
        .values_list("object_type", "object_id", "object_repr", "detail", "username")
    )


def test_a_batch_writes_one_failure_row_per_skipped_item_with_its_object_and_reason(
    unit, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level("INFO", logger="portal.audit")
    person = factories.make_applicant(unit, S.PENDING_BUREAU, name="审核员本人")
    person.groups.add(Group.objects.get(name=BUREAU_GROUP))
    own = person.application
    moved = factories.make_applicant(unit, S.PENDING_BUREAU, name="已处理").application
    decided = factories.make_applicant(unit, S.PENDING_BUREAU, name="待审").application
    client = Client()
    client.force_login(person)
    page = client.get(
        reverse("experts:bureau_bulk"),
        {"action": "approve", "ids": [own.pk, moved.pk, decided.pk]},
        follow=True,
    )
    # Decided by someone else while the confirmation page was open.
    ExpertApplication.objects.filter(pk=moved.pk).update(status=S.APPROVED)
    forged = 999999

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("experts:bureau_bulk"),
            {
                "action": "approve",
                "ids": [own.pk, moved.pk, decided.pk, forged],
                "comment": "",
                "batch": batch_token(page),
            },
            follow=True,
        )

    assert "已完成 1 份申请，跳过 3 份申请" in response.content.decode()
    kind = "experts.expertapplication"
    assert skipped_rows() == [
        (
            kind,
            str(own.pk),
            "审核员本人",
            "跳过（批量审核通过）：审核员不能审核自己的专家申请，请由其他审核员处理。",
            person.username,
        ),
        (
            kind,
            str(moved.pk),
            "已处理",
            "跳过（批量审核通过）：当前状态为“审核通过”，不能执行“审核通过”操作，"
            "可能已在其他窗口或由他人处理。",
            person.username,
        ),
        (
            kind,
            str(forged),
            f"编号{forged}",
            f"跳过（批量审核通过）：{OUT_OF_SCOPE}",
            person.username,
        ),
    ]
    failures = AuditEvent.objects.filter(result=AuditEvent.Result.FAILURE)
    assert set(failures.values_list("action", "role", "ip")) == {
        (AuditEvent.Action.TRANSITION, "科技局审核员", "127.0.0.1")
    }
    # The summary row stays, and the done item has its own row from its transition.
    assert AuditEvent.objects.filter(detail="批量审核通过：1份申请完成，3份申请跳过").count() == 1
    assert decision_row(decided).detail == "审核通过：待科技局审核 → 审核通过"
    # One shipped line each, as their rows say.
    lines = {line["id"]: line for line in shipped_lines(caplog)}
    for event in failures:
        assert (lines[event.pk]["object"], lines[event.pk]["detail"]) == (
            f"{kind}:{event.object_id}",
            event.detail,
        )


def test_a_units_batch_records_another_units_id_and_a_return_s_reasons(
    unit_client, unit, other_unit
):
    own = factories.make_applicant(unit, S.PENDING_UNIT, name="本单位").application
    foreign = factories.make_applicant(other_unit, S.PENDING_UNIT, name="外单位").application

    response = run_batch(
        unit_client,
        "experts:unit_bulk",
        {"action": "send_back", "ids": [own.pk], "codes": [code("incomplete").pk], "reason": ""},
        [own.pk, foreign.pk],
    )

    assert "已完成 1 份申请，跳过 1 份申请" in response.content.decode()
    assert [(row[1], row[2], row[3]) for row in skipped_rows()] == [
        (str(foreign.pk), f"编号{foreign.pk}", f"跳过（批量退回）：{OUT_OF_SCOPE}")
    ]
    # Nothing of the other unit's person is written in the unit's name.
    assert not AuditEvent.objects.filter(object_repr__contains="外单位").exists()
    assert decision_row(own).detail == "退回：待单位推荐 → 已退回（待修改）；理由：信息不完整"


def test_a_units_batch_before_its_unit_profile_records_each_refusal(reference_data, unit):
    # A unit that has not completed 信息更改 yet (accounts.services.require_unit_profile).
    Unit.objects.filter(pk=unit.pk).update(legal_representative="", office_phone="")
    waiting = [factories.make_applicant(unit, S.PENDING_UNIT).application for _ in range(2)]
    client = Client()
    client.force_login(factories.unit_account(unit))

    run_batch(
        client,
        "experts:unit_bulk",
        {"action": "recommend", "ids": [a.pk for a in waiting], "comment": ""},
        [a.pk for a in waiting],
    )

    rows = skipped_rows()
    assert [row[1] for row in rows] == [str(a.pk) for a in waiting]
    assert all(
        row[3].startswith("跳过（批量提交）：请先点击“信息更改”完善单位信息") for row in rows
    )


# --- reading it in admin ------------------------------------------------------------------------


def test_the_admin_list_shows_a_long_detail_s_start_and_its_record_the_whole(client):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    long = record(AuditEvent.Action.TRANSITION, detail="退回：" + "丁" * 1900 + "末尾")
    short = record(AuditEvent.Action.TRANSITION, detail="审核通过：待科技局审核 → 审核通过")
    client.force_login(operator)

    listed = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    opened = client.get(reverse("admin:audit_auditevent_change", args=[long.pk])).content.decode()
    exported = client.get(reverse("admin:audit_auditevent_export"))

    assert "退回：" + "丁" * 77 + "…（点击编号查看全文）" in listed and "末尾" not in listed
    assert short.detail in listed
    assert long.detail in opened
    sheet = load_workbook(filename=io.BytesIO(exported.content)).active
    details = [row[10] for row in sheet.iter_rows(values_only=True) if row and row[0] == long.pk]
    assert details == [long.detail]
