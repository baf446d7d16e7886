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
from draws.models import Draw
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
            "抽取编号": str(Draw.objects.get().pk),  # as the draw's SMS gives it
            "评审时间": data["评审抽取"][0]["评审时间"],
            "评审地点": "市科技局会议室",
            "状态": "待确认",
            "抽取时记录": f"周明，{person.unit.name}，教授",
            "处理记录": [],
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
    assert change["状态"] == "已退回"  # by the unit, as its SMS said
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
    assert row["状态变化"] == "仍为审核通过"


# -- What the privacy officer's walk found missing (PIPL art. 45) ------------------------------


def page_of(client) -> str:
    return client.get(reverse("experts:own_data")).content.decode()


@pytest.fixture
def stranger(unit, reviewer):
    """Another expert, admitted and on 公示, with something in every new part: none of it may
    reach the person."""
    from accounts.models import Authenticator, LoginLog
    from certificates.models import Certificate
    from notice.models import NoticeObjection

    other = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="钱多多")
    approve_application(other.application, reviewer)
    ExpertApplication = other.application.__class__
    ExpertApplication.objects.filter(pk=other.application.pk).update(
        eligibility_flags=["外人的资格提示"], has_eligibility_flags=True
    )
    NoticeObjection.objects.create(
        application=other.application,
        objector="外人的异议人",
        channel="letter",
        content="外人的异议内容",
        created_by=reviewer,
    )
    Certificate.objects.create(
        application=other.application,
        admitted_at=timezone.now(),
        code="WAIREN234567",
        valid_until=timezone.localdate(),
        details_index="x" * 64,
    )
    Authenticator.objects.create(user=other, name="外人的验证器", confirmed=True)
    LoginLog.objects.create(
        username=other.username,
        ip_address="10.66.66.66",
        user_agent="OutsiderBrowser/1.0",
        attempt_time=timezone.now(),
    )
    return other


def assert_none_of(stranger, text: str) -> None:
    for leak in (
        "钱多多",
        "外人的资格提示",
        "外人的异议人",
        "外人的异议内容",
        "WAIR",
        "外人的验证器",
        "10.66.66.66",
        "OutsiderBrowser",
        stranger.id_number,
    ):
        assert leak not in text, leak


def test_the_eligibility_flags_reviewers_saw_are_the_persons(client, unit, stranger):
    """资格提示 (PIPL art. 24): the automated assessment reviewers read beside the name, in its
    words, with the day it was judged on."""
    from experts.models import ExpertApplication

    user = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    assert download(client, user)["资格提示"] == []
    assert "资格提示" in page_of(client) and "仅供审核参考" in page_of(client)
    ExpertApplication.objects.filter(pk=user.application.pk).update(
        eligibility_flags=["年龄超过65岁", "职称级别低于副高级"], has_eligibility_flags=True
    )
    data = download(client, user)
    day = timezone.localdate().isoformat()
    assert data["资格提示"] == [
        {"资格提示": "年龄超过65岁", "判断日期": day},
        {"资格提示": "职称级别低于副高级", "判断日期": day},
    ]
    page = page_of(client)
    assert "年龄超过65岁" in page and "职称级别低于副高级" in page
    assert_none_of(stranger, json.dumps(data, ensure_ascii=False) + page)


def test_an_objection_shows_what_was_said_but_not_who_said_it(client, unit, reviewer, stranger):
    """公示异议: when, how it came, what it said, recorded by a reviewer (by role); never the
    objector (another person's data) nor the reviewer's name."""
    from notice.services import record_objection

    expert = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="周明")
    approve_application(expert.application, reviewer)
    assert download(client, expert)["公示异议"] == []
    record_objection(
        expert.application,
        reviewer,
        objector="王某（某大学职工）",
        channel="phone",
        content="反映其职称证书为伪造。",
    )
    data = download(client, expert)
    [row] = data["公示异议"]
    assert {k: v for k, v in row.items() if k != "记录时间"} == {
        "收到方式": "电话",
        "异议内容": "反映其职称证书为伪造。",
        "记录人": "科技局审核员",
    }
    page = page_of(client)
    assert "反映其职称证书为伪造。" in page and "不显示异议人的姓名和身份" in page
    text = json.dumps(data, ensure_ascii=False) + page
    assert "王某" not in text and "某大学职工" not in text
    assert reviewer.username not in text
    assert_none_of(stranger, text)
    # The reviewer recording one is told the expert reads its content, and so keeps the
    # objector out of it.
    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[expert.application.pk]))
    assert "请勿在此写入异议人的姓名或身份" in detail.content.decode()


def test_each_certificate_issued_is_listed_with_whether_it_is_in_force(
    client, unit, reviewer, stranger
):
    """入库证明: each one issued (a 信息变更 of the name makes a new one and the first reads
    已失效), with its code, term and state, in the words of 证书查验."""
    from certificates.services import certificate_for

    expert = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="周明")
    approve_application(expert.application, reviewer)
    factories.past_notice(expert.application)
    assert download(client, expert)["入库证明"] == []
    first = certificate_for(expert.application)
    expert.real_name = "周明明"
    expert.save(update_fields=["real_name"])
    expert.application.refresh_from_db()
    second = certificate_for(expert.application)
    assert first.pk != second.pk

    old, new = download(client, expert)["入库证明"]
    assert old["验证码"] == first.display_code and new["验证码"] == second.display_code
    assert old["状态"] == "已失效：证明所载的持证人信息已变更，请以持证人重新下载的证明为准。"
    assert new["状态"] == "有效"
    assert new["有效期至"] == second.valid_until.isoformat()
    page = page_of(client)
    assert first.display_code in page and second.display_code in page
    assert "本系统不记录每次下载" in page
    assert_none_of(stranger, json.dumps(old, ensure_ascii=False) + page)


def test_an_authenticator_is_listed_without_its_key(client, unit, stranger):
    """身份验证器: the fact of it (kind, name, state, times), never the secret key."""
    from accounts.models import Authenticator

    user = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    assert download(client, user)["身份验证器"] == []
    device = Authenticator.objects.create(user=user, name="身份验证器", confirmed=True)
    Authenticator.objects.filter(pk=device.pk).update(last_used_at=timezone.now())
    device.refresh_from_db()
    user = user.__class__.objects.get(pk=user.pk)  # now held to its second factor

    data = download(client, user)
    assert data["身份验证器"] == [
        {
            "类型": "身份验证器（动态验证码）",
            "名称": "身份验证器",
            "状态": "已绑定",
            "创建时间": data["身份验证器"][0]["创建时间"],
            "最近使用": data["身份验证器"][0]["最近使用"],
        }
    ]
    assert data["身份验证器"][0]["最近使用"]  # used: the time is there
    page = page_of(client)
    assert "已绑定" in page and "密钥不会显示或下载" in page
    text = json.dumps(data, ensure_ascii=False) + page
    assert device.key not in text and device.bin_key.hex() not in text
    assert_none_of(stranger, text)


def test_the_login_log_is_the_persons_own(client, unit, stranger):
    """登录日志 (django-axes): each sign-in with its sign-out, address and browser."""
    from accounts.models import LoginLog

    user = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    # force_login's sign-in is logged too (by django-axes, as a real one).
    assert [row["浏览器"] for row in download(client, user)["登录日志"]] == ["<unknown>"]
    LoginLog.objects.create(
        username=user.username,
        ip_address="10.1.2.3",
        user_agent="Mozilla/5.0 (iPhone)",
        attempt_time=timezone.now(),
        logout_time=timezone.now(),
    )
    data = download(client, user)
    [row] = [r for r in data["登录日志"] if r["IP地址"] == "10.1.2.3"]
    assert row["浏览器"] == "Mozilla/5.0 (iPhone)" and row["退出时间"]
    page = page_of(client)
    assert "Mozilla/5.0 (iPhone)" in page
    assert_none_of(stranger, json.dumps(data, ensure_ascii=False) + page)


def test_the_applications_times_are_listed(client, person):
    """办理时间: the steps' times, the 年度确认 and its reminder, beside the form."""
    application = person.application
    data = download(client, person)
    times = {row["项目"]: row["内容"] for row in data["专家信息"] if row["分组"] == "办理时间"}
    assert list(times) == [
        "创建时间",
        "草稿保存时间",
        "提交时间",
        "退回时间",
        "开始修改时间",
        "单位推荐时间",
        "审核时间",
        "截止日期",
        "最近确认时间",
        "确认提醒时间",
    ]
    assert times["审核时间"] == timezone.localtime(application.decided_at).strftime(
        "%Y-%m-%d %H:%M"
    )


def test_nothing_of_the_stranger_in_a_full_download(client, person, stranger):
    text = json.dumps(download(client, person), ensure_ascii=False) + page_of(client)
    assert_none_of(stranger, text)


def grow_everything(user, reviewer, n: int) -> None:
    """n more rows in every part of the person's data that lists rows."""
    from accounts.models import Authenticator, LoginLog
    from certificates.models import Certificate
    from draws.models import Draw, Event
    from experts.models import ExpertApplication
    from notice.models import NoticeObjection

    application = user.application
    for _ in range(n):
        serial = Certificate.objects.count()
        NoticeObjection.objects.create(
            application=application,
            objector="某人",
            channel="email",
            content=f"第{serial}条异议",
            created_by=reviewer,
        )
        Certificate.objects.create(
            application=application,
            admitted_at=application.decided_at,
            code=f"ABCDEFGH{serial:04d}",
            valid_until=timezone.localdate(),
            details_index=f"{serial:064d}",
        )
        # Unconfirmed: a confirmed one would hold the signed-in session to its code.
        Authenticator.objects.create(user=user, name=f"验证器{serial}", confirmed=False)
        LoginLog.objects.create(
            username=user.username, user_agent="Browser", attempt_time=timezone.now()
        )
        SMSMessage.objects.create(to=user.mobile, body=f"短信{serial}", about=application)
        AuditEvent.objects.create(
            action=AuditEvent.Action.LOGIN, actor=user, username=user.username
        )
        Event.objects.create(
            draw=Draw.objects.get(), application=application, action="notify", actor=reviewer
        )
    flags = ExpertApplication.objects.get(pk=application.pk).eligibility_flags
    ExpertApplication.objects.filter(pk=application.pk).update(
        eligibility_flags=[*flags, *(f"提示{len(flags) + i}" for i in range(n))],
        has_eligibility_flags=True,
    )


def test_the_page_and_the_download_do_not_grow_with_rows(client, person, reviewer):
    """One query per part whatever the number of rows in it (no query per row)."""
    from tests.pages import queries_for

    client.force_login(person)
    grow_everything(person, reviewer, 1)
    few_page = queries_for(client, reverse("experts:own_data"))
    few_json = queries_for(client, reverse("experts:own_data_download"))
    grow_everything(person, reviewer, 3)
    many_page = queries_for(client, reverse("experts:own_data"))
    many_json = queries_for(client, reverse("experts:own_data_download"))
    data = download(client, person)
    for part in ("资格提示", "公示异议", "入库证明", "身份验证器", "登录日志"):
        assert len(data[part]) >= 4, part
    assert len(data["评审抽取"][0]["处理记录"]) == 4
    assert (many_page, many_json) == (few_page, few_json)


def test_a_draws_steps_are_listed_with_the_reason_for_not_attending(client, person, reviewer):
    """评审抽取: each step on the person in a draw (不参加 with its reason), never the project
    nor a reviewer; another expert's steps in the same draw are not theirs."""
    from draws.models import Draw, Event

    draw = Draw.objects.get()
    draws.answer(reviewer, draw, person.application.pk, Event.Action.CONFIRM)
    draws.answer(reviewer, draw, person.application.pk, Event.Action.DECLINE, "出差在外")
    other = factories.make_applicant(person.unit, ApplicationStatus.APPROVED)
    Event.objects.create(
        draw=draw,
        application=other.application,
        action=Event.Action.DECLINE,
        reason="外人的理由",
        actor=reviewer,
    )

    [row] = download(client, person)["评审抽取"]
    assert row["状态"] == "不参加"
    confirmed, declined = row["处理记录"]
    assert confirmed.endswith(" 确认参加") and declined.endswith(" 不参加：出差在外")
    text = json.dumps(row, ensure_ascii=False) + page_of(client)
    assert "出差在外" in text
    assert "保密的项目名称" not in text and reviewer.username not in text
    assert "外人的理由" not in text


def test_the_fees_recorded_for_the_person_are_theirs(client, person, reviewer):
    """劳务费: each fee recorded for them (days, 应发, the tax, 实发), by 抽取编号, never the
    project; another expert's fee in the same draw is not theirs."""
    from decimal import Decimal

    from draws.models import Draw
    from fees.models import Fee

    draw = Draw.objects.get()
    other = factories.make_applicant(person.unit, ApplicationStatus.APPROVED)
    common = {"draw": draw, "days": Decimal(1), "updated_by": reviewer}
    Fee.objects.create(
        application=person.application, amount=1500, tax=140, net=1360, note="会议评审", **common
    )
    Fee.objects.create(application=other.application, amount=999, tax=39.8, net=959.2, **common)

    [row] = download(client, person)["劳务费"]

    assert row["抽取编号"] == str(draw.pk)
    assert (row["应发金额（元）"], row["代扣个人所得税（元）"], row["实发金额（元）"]) == (
        "1500.00",
        "140.00",
        "1360.00",
    )
    text = json.dumps(row, ensure_ascii=False) + page_of(client)
    assert "会议评审" in text and "959.20" not in text
    assert "保密的项目名称" not in text
