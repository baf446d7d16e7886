"""下载我的个人信息: the page and the JSON hold everything about the person, and nobody else's."""

import importlib
import json
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import lock_account
from audit.models import AuditEvent
from draws import services as draws
from draws.rules import Criteria
from experts.models import ApplicationStatus, Discipline, ReasonCode
from experts.services import (
    approve_application,
    recommend_application,
    reject_application,
    revise_application,
    submit_application,
)
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(unit, reviewer):
    """An applicant submitted, rejected with a code, resubmitted, recommended and approved,
    then drawn once."""
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="周明")
    application = applicant.application
    submit_application(application, applicant)
    recommend_application(application, factories.unit_account(unit))
    reject_application(
        application, reviewer, "请补充证明材料。", codes=ReasonCode.objects.filter(code="evidence")
    )
    revise_application(application, applicant)
    application.refresh_from_db()
    application.bank_account = "6222020200112233445"
    application.save()
    submit_application(application, applicant)
    recommend_application(application, factories.unit_account(unit))
    approve_application(application, reviewer)
    application.disciplines.set(Discipline.objects.filter(code="01"))
    draws.make_draw(
        reviewer,
        project_name="保密的项目名称",
        review_at=timezone.now(),
        review_place="市科技局会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(Discipline.objects.get(code="01"), 1, 0)],
    )
    return applicant


def download(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("experts:own_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    # Named in Chinese, like the other downloads (RFC 5987's UTF-8 form for the name).
    day = timezone.localdate().strftime("%Y%m%d")
    name = quote(f"我的个人信息-{day}.json")
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{name}"
    return json.loads(response.content)


def test_the_download_holds_everything_about_the_person(client, person):
    data = download(client, person)
    assert data["账号"]["姓名"] == "周明"
    assert data["账号"]["证件号码"] == person.id_number  # in full: it is the person's own
    assert data["专家状态"] == "审核通过"
    form = {row["项目"]: row["内容"] for row in data["专家信息"]}
    assert form["银行账号"] == "6222020200112233445"
    assert form["专业领域"] == "电子信息"
    # Two submissions (the first, and after 审核不通过), numbers decrypted in each.
    assert len(data["提交版本"]) == 2
    second = {row["项目"]: row["内容"] for row in data["提交版本"][1]["内容"]}
    assert second["银行账号"] == "6222020200112233445"
    rejected = next(row for row in data["审核记录"] if row["操作"] == "审核不通过")
    assert (
        rejected["理由代码"] == ["证明材料不清晰"] and rejected["意见或理由"] == "请补充证明材料。"
    )
    assert rejected["操作人"] == "科技局审核员"  # the role, never a reviewer's name
    assert any("审核通过" in message["内容"] for message in data["短信"])
    assert data["评审抽取"] == [
        {
            "评审时间": data["评审抽取"][0]["评审时间"],
            "评审地点": "市科技局会议室",
            "状态": "待确认",
        }
    ]
    assert "保密的项目名称" not in json.dumps(data, ensure_ascii=False)
    assert any(event["操作"] == "状态变更" for event in data["安全审计"])


def test_nothing_of_anyone_else(client, person, unit):
    other = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="钱多多")
    SMSMessage.objects.create(to=other.mobile, body="【测试】钱多多您好")
    # A number is typed, never proven: someone who typed this person's number, or whose number
    # this person typed, does not show them each other's SMS.
    SMSMessage.objects.create(
        to=person.mobile, body="【测试】钱多多您好，您被抽取为评审专家", about=other.application
    )
    person.application.mobile = other.mobile
    person.application.save(update_fields=["mobile"])
    text = json.dumps(download(client, person), ensure_ascii=False)
    assert "钱多多" not in text and other.id_number not in text


def test_a_lockouts_sms_is_the_persons_own(client, person):
    lock_account(person.username, timezone.now())
    (notice,) = [
        message["内容"]
        for message in download(client, person)["短信"]
        if "因多次登录失败已被锁定" in message["内容"]
    ]
    assert f"您的账号{person.username}" in notice


def test_the_lockout_notices_sent_before_are_given_their_accounts(person):
    """accounts 0009: the notices sent without an `about` are given the account their text
    names; one naming nobody stays as it was."""
    lock_account(person.username, timezone.now())
    SMSMessage.objects.update(content_type=None, object_id=None)
    SMSMessage.objects.create(to="13800000000", body="您的账号nobody因多次登录失败已被锁定至10:00")
    migration = importlib.import_module("accounts.migrations.0009_lockout_sms_about_account")
    migration.name_the_accounts(django_apps, None)
    named = SMSMessage.objects.filter(object_id__isnull=False)
    assert [message.about for message in named] == [person]


def test_the_download_is_audited_and_the_page_reads_the_same(client, person):
    download(client, person)
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSONAL_DATA)
    assert (event.actor, event.detail) == (person, "下载我的个人信息（JSON）")
    page = client.get(reverse("experts:own_data")).content.decode()
    for part in ("账号", "专家信息（审核通过）", "历次提交的版本", "审核记录", "短信", "评审抽取"):
        assert part in page
    assert "6222020200112233445" in page and "市科技局会议室" in page
    home = client.get(reverse("experts:home")).content.decode()
    assert reverse("experts:own_data") in home


def test_a_new_applicant_downloads_their_account(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    data = download(client, applicant)
    assert data["账号"]["用户名"] == applicant.username
    assert (data["提交版本"], data["审核记录"], data["评审抽取"]) == ([], [], [])


def test_the_download_holds_each_change_request_and_its_review(client, unit):
    """信息变更 (issue 23): what was asked, before and after (numbers in full), and each step of
    its review with the role and the reason, for a returned request as for an approved one."""
    from changes import fields
    from changes import services as changes

    new_unit = factories.make_unit(name="光谷先进制造研究院")
    expert = factories.make_applicant(unit, ApplicationStatus.APPROVED, name="王建国")
    application = expert.application
    asked = {**fields.current(application), "unit": new_unit.pk, "title": "研究员"}
    saved = changes.save_changes(application, expert, asked)
    changes.return_change(saved.request, factories.unit_account(new_unit), "请提供聘用证明。")
    application.refresh_from_db()
    data = download(client, expert)
    (change,) = data["信息变更"]
    assert change["状态"] == "未通过"
    assert "工作单位：光谷先进制造研究院" in change["变更后"]
    assert "专业技术职称：研究员" in change["变更后"]
    assert f"工作单位：{unit.name}" in change["变更前"]
    submitted, step = change["处理记录"]
    assert submitted.endswith(" 申请人提交：专业技术职称、工作单位")
    assert step.endswith(" 单位账号（光谷先进制造研究院）退回：请提供聘用证明。")
    page = client.get(reverse("experts:own_data")).content.decode()
    assert "信息变更" in page and "请提供聘用证明。" in page


def test_a_reviewers_address_is_not_the_persons_data(client, person, reviewer):
    """安全审计 rows about the person give the IP address of what they did, not a reviewer's."""
    from django.test import RequestFactory

    from audit.log import record
    from audit.models import AuditEvent

    def from_address(ip):
        return RequestFactory().get("/", REMOTE_ADDR=ip)

    application = person.application
    transition = AuditEvent.Action.TRANSITION
    record(transition, request=from_address("10.9.8.7"), actor=reviewer, obj=application)
    record(transition, request=from_address("10.1.1.1"), actor=person, obj=application)
    events = download(client, person)["安全审计"]
    assert "10.9.8.7" not in json.dumps(events)
    assert "10.1.1.1" in [e["IP地址"] for e in events if e["操作人角色"] == "申请人"]
    by_reviewers = [e["IP地址"] for e in events if e["操作人角色"] == "科技局审核员"]
    assert by_reviewers and set(by_reviewers) == {""}


def test_a_ban_kept_against_the_id_number_is_the_persons_data(client, unit, reviewer):
    from experts.services import remove_application

    user = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    assert download(client, user)["禁入记录"] == []
    remove_application(user.application, reviewer, "conduct", "评审中泄露信息", "forever")

    [entry] = download(client, user)["禁入记录"]
    assert (entry["禁入截止日期"], entry["理由"]) == ("永久", "评审中有不良行为；评审中泄露信息")
    page = client.get(reverse("experts:own_data")).content.decode()
    assert "禁入记录" in page and "评审中有不良行为；评审中泄露信息" in page


def test_a_step_that_keeps_the_state_reads_unchanged(client, unit):
    from experts.services import confirm_information

    user = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    confirm_information(user.application, user)
    [row] = download(client, user)["审核记录"]
    assert row["状态变化"] == "审核通过（不变）"
