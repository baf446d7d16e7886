"""The manual, page by page and role by role, through real HTTP requests of the test client."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Authenticator, Unit, UnitStatus, User
from experts.models import ApplicationStatus
from notice import periods as notice_periods
from portal.dates import chinese_date
from sms.backends import locmem
from sms.models import SMSMessage
from sms.outbox import send_due
from tests import factories

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page as a person reads it: tags stripped, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def log_in(username: str) -> Client:
    client = Client()
    page = client.get(reverse("accounts:login"))
    assert "登录" in text(page)
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": factories.PASSWORD}
    )
    assert response.status_code == 302, text(response)
    landing = client.get(response.url)
    if landing.status_code == 302 and landing.url.startswith(reverse("accounts:two_factor")):
        # Reviewers bind an authenticator at their first login and enter its code.
        page = client.get(reverse("accounts:two_factor"))
        assert "绑定身份验证器" in text(page) or "请先绑定身份验证器" in text(page)
        device = Authenticator.objects.get(user__username=username)
        done = client.post(reverse("accounts:two_factor"), {"code": factories.totp_code(device)})
        assert done.status_code == 302, text(done)
    return client


def register_unit(client: Client, name: str, code: str, username: str):
    home = client.get("/")
    assert "用户注册" in text(home)
    choice = client.get(reverse("accounts:register"))
    assert "新用户注册：单位" in text(choice)
    form = {
        "name": name,
        "credit_code": code,
        "nature": "university",
        "district": "洪山区",
        "address": "武汉市洪山区珞喻路1037号",
        "contact_name": "王芳",
        "contact_mobile": "139 0013 9001",
        "email": "office@example.edu.cn",
        "licence": factories.licence_upload("营业执照.png"),
        "username": username,
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
    }
    return client.post(reverse("accounts:register_unit"), form, follow=True)


def register_person(unit: Unit, username: str, name: str, id_number: str, mobile: str):
    client = Client()
    page = client.get(reverse("accounts:register_individual"))
    assert "新用户注册：个人" in text(page)
    found = client.get(reverse("accounts:unit_search"), {"q": unit.name[:4]}).json()
    assert {"id": unit.pk, "name": unit.name} in found["results"]
    response = client.post(
        reverse("accounts:register_individual"),
        {
            "username": username,
            "password1": factories.PASSWORD,
            "password2": factories.PASSWORD,
            "privacy_notice": "on",
            "real_name": name,
            "id_type": "resident",
            "id_number": id_number,
            "mobile": mobile,
            "email": f"{username}@example.com",
            "unit": unit.pk,
        },
        follow=True,
    )
    assert "注册成功" in text(response)
    return log_in(username)


def test_whole_manual_from_unit_registration_to_approval_sms(
    reviewer, django_capture_on_commit_callbacks
):
    # 一、单位账号注册: the unit registers with its licence scan and lands in 待审核.
    unit_client = Client()
    code = factories.credit_code()
    page = register_unit(unit_client, "武汉光谷研究院", code, "guanggu")
    assert "已提交科技局审核" in text(page)
    assert "待审核" in text(page)
    unit = Unit.objects.get(credit_code=code)
    assert unit.status == UnitStatus.PENDING
    assert unit.contact_mobile == "+8613900139001"
    assert unit.licence.name.startswith("licences/") and "营业执照" not in unit.licence.name

    # The bureau's 单位注册审核 queue shows it; 审核通过 → 已通过, and the contact gets an SMS.
    bureau = log_in(reviewer.username)
    queue = bureau.get(reverse("accounts:bureau_unit_queue"))
    assert "武汉光谷研究院" in text(queue)
    detail = bureau.get(reverse("accounts:bureau_unit_detail", args=[unit.pk]))
    assert "审核通过" in text(detail) and "审核不通过" in text(detail)
    assert bureau.get(reverse("accounts:licence", args=[unit.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = bureau.post(reverse("accounts:bureau_unit_approve", args=[unit.pk]), follow=True)
    send_due()  # the SMS worker's pass: the request only queued the message
    assert "已通过“武汉光谷研究院”的注册申请" in " ".join(messages_of(response))
    unit.refresh_from_db()
    assert unit.status == UnitStatus.APPROVED
    assert locmem.outbox == [
        (
            "+8613900139001",
            "【武汉市科技局专家入库系统】贵单位“武汉光谷研究院”的注册申请已通过审核，"
            "请登录系统点击“信息更改”完善单位信息。",
        )
    ]

    # After approval the unit completes 信息更改 and saves.
    home = unit_client.get(reverse("accounts:unit_home"))
    assert "请点击“信息更改”完善单位信息" in text(home)
    profile = {
        "nature": "institute",
        "district": "东湖新技术开发区",
        "address": "武汉市东湖高新区高新大道999号",
        "legal_representative": "赵强",
        "office_phone": "027-87654321",
        "postcode": "430074",
        "website": "",
        "contact_name": "王芳",
        "contact_mobile": "13900139001",
        "email": "office@example.edu.cn",
        "introduction": "光电子领域的新型研发机构。",
    }
    response = unit_client.post(reverse("accounts:unit_profile"), profile, follow=True)
    assert "单位信息已保存" in text(response)
    unit.refresh_from_db()
    assert (unit.legal_representative, unit.district) == ("赵强", "东湖新技术开发区")

    # 二、个人账号注册 under that unit, then log in: 专家状态 is 信息未填写.
    id_number = factories.resident_id(birth="19780512", sex="female")
    person = register_person(unit, "liuyang", "刘洋", id_number, "13812345678")
    home = person.get(reverse("experts:home"))
    assert "专家状态： 信息未填写" in text(home)
    assert "申请成为专家" in text(home)

    # 专家信息管理-新增: a half-filled draft is saved, and is still there after logging out.
    form_page = person.get(reverse("experts:form"))
    assert "专家信息管理-新增" in text(form_page)
    assert 'value="1978-05-12"' in form_page.content.decode()  # pre-filled from the ID number
    response = person.post(
        reverse("experts:form"),
        {"action": "save", "title": "研究员", "gender": "female", "birth_date": "1978-05-12"},
        follow=True,
    )
    assert "草稿已保存" in text(response)
    person.post(reverse("accounts:logout"))
    person = log_in("liuyang")
    assert 'value="研究员"' in person.get(reverse("experts:form")).content.decode()

    # 提交 validates everything and moves to 待单位推荐; the form is read-only after.
    applicant = User.objects.get(username="liuyang")
    response = person.post(
        reverse("experts:form"),
        factories.application_post_data(applicant, "submit", title="研究员"),
        follow=True,
    )
    assert "专家状态变更为“待单位推荐”" in text(response)
    applicant.application.refresh_from_db()
    assert applicant.application.status == ApplicationStatus.PENDING_UNIT
    readonly = person.get(reverse("experts:form"))
    assert "当前不能修改" in text(readonly)
    assert "<textarea" not in readonly.content.decode()

    # 三、单位账号审核推荐: 用户账号管理 → 专家信息查看 → 提交 → 待科技局审核.
    people = unit_client.get(reverse("experts:unit_people"), {"status": "pending_unit"})
    assert "刘洋" in text(people) and "待单位推荐" in text(people)
    application = applicant.application
    view = unit_client.get(reverse("experts:unit_detail", args=[application.pk]))
    assert "研究员" in text(view) and "提交" in text(view)
    response = unit_client.post(
        reverse("experts:unit_recommend", args=[application.pk]),
        {"comment": "情况属实，同意推荐。"},
        follow=True,
    )
    assert "专家状态变更为“待科技局审核”" in text(response)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_BUREAU

    # 四、市科技局审核: 专家审核 queue → 审核通过 → exactly one SMS to the applicant.
    queue = bureau.get(reverse("experts:bureau_queue"))
    assert "刘洋" in text(queue) and "武汉光谷研究院" in text(queue)
    with django_capture_on_commit_callbacks(execute=True):
        response = bureau.post(
            reverse("experts:bureau_approve", args=[application.pk]), {"comment": ""}, follow=True
        )
    assert "审核通过，短信通知将在几秒内发给申请人" in text(response)
    send_due()  # the SMS worker's pass
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    to_applicant = SMSMessage.objects.filter(to="+8613812345678")
    assert to_applicant.count() == 1
    sms = to_applicant.get()
    assert sms.status == SMSMessage.Status.SENT
    # Approved today: on 公示 until its last day, as the home page says.
    ends = notice_periods.ends_on(timezone.localdate())
    assert sms.body == (
        "【武汉市科技局专家入库系统】刘洋您好，您的专家入库申请已审核通过，拟入选市科技局专家库，"
        f"现正公示至{chinese_date(ends)}；公示期满无异议即正式入库，届时可登录本系统下载入库证明。"
    )
    assert locmem.outbox[-1] == ("+8613812345678", sms.body)

    # The applicant sees the result and the whole history.
    home = person.get(reverse("experts:home"))
    assert "专家状态： 审核通过" in text(home)
    assert [row.action for row in application.history.all()] == ["submit", "recommend", "approve"]
    assert "情况属实，同意推荐。" in text(home)


def test_return_and_rejection_then_revise_and_resubmit(
    unit, reviewer, django_capture_on_commit_callbacks
):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    person = log_in(applicant.username)
    unit_client = log_in(factories.unit_account(unit).username)
    bureau = log_in(reviewer.username)
    application = applicant.application

    def submit():
        response = person.post(
            reverse("experts:form"), factories.application_post_data(applicant, "submit")
        )
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == ApplicationStatus.PENDING_UNIT

    # A 提交 with fields missing lists every error at once and keeps what was typed.
    response = person.post(
        reverse("experts:form"), {"action": "submit", "title": "高级工程师", "mobile": "12345"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "请输入有效的11位中国大陆手机号码" in page
    assert "提交前请勾选诚信承诺" in page
    assert "请填写毕业院校" in page and "这个字段是必填项" not in page
    assert 'value="高级工程师"' in response.content.decode()
    assert 'value="12345"' in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.title == "高级工程师"  # the valid part was saved as a draft

    submit()

    # 退回 needs a reason; with one, the applicant sees it and may edit again.
    url = reverse("experts:unit_return", args=[application.pk])
    response = unit_client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "请勾选至少一项理由或填写理由说明" in text(response)
    unit_client.post(url, {"reason": "工作简历缺少2015年以后的经历。"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    home = text(person.get(reverse("experts:home")))
    assert "专家状态： 已退回（待修改）" in home
    assert "工作简历缺少2015年以后的经历。" in home
    assert "<textarea" in person.get(reverse("experts:form")).content.decode()

    submit()
    unit_client.post(reverse("experts:unit_recommend", args=[application.pk]), {"comment": ""})

    # 审核不通过 needs a reason; the applicant gets one SMS with it and sees it on the page.
    reject_url = reverse("experts:bureau_reject", args=[application.pk])
    assert bureau.post(reject_url, {"reason": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        bureau.post(reject_url, {"reason": "主要业绩与成果缺少佐证材料。"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    # Newest first: the unit's 退回 was told too.
    assert [sms.body for sms in SMSMessage.objects.all()] == [
        f"【武汉市科技局专家入库系统】{applicant.real_name}您好，您的专家入库申请审核不通过，"
        "原因：主要业绩与成果缺少佐证材料。可登录系统修改后重新提交。",
        f"【武汉市科技局专家入库系统】{applicant.real_name}您好，您的专家入库申请已被所在单位退回，"
        "原因：工作简历缺少2015年以后的经历。请登录系统修改后重新提交。",
    ]
    home = text(person.get(reverse("experts:home")))
    assert "专家状态： 审核不通过" in home
    assert "主要业绩与成果缺少佐证材料。" in home

    # 修改专家信息: revise reopens the form, and submitting goes back to 待单位推荐.
    response = person.post(reverse("experts:revise"), follow=True)
    assert "已重新打开专家信息" in text(response)
    submit()
    assert [row.action for row in application.history.all()] == [
        "submit",
        "send_back",
        "submit",
        "recommend",
        "reject",
        "revise",
        "submit",
    ]


def test_rejected_unit_sees_reason_corrects_and_resubmits(
    reviewer, django_capture_on_commit_callbacks
):
    unit_client = Client()
    code = factories.credit_code()
    register_unit(unit_client, "武汉某某公司", code, "mouhao")
    unit = Unit.objects.get(credit_code=code)
    bureau = log_in(reviewer.username)

    reject_url = reverse("accounts:bureau_unit_reject", args=[unit.pk])
    refused = bureau.post(reject_url, {"reason": ""})
    # The unit reads the reason, not an applicant.
    assert refused.status_code == 400 and "请填写理由，单位将看到此理由。" in text(refused)
    with django_capture_on_commit_callbacks(execute=True):
        bureau.post(reject_url, {"reason": "单位名称与营业执照不一致。"})
    send_due()  # the SMS worker's pass
    unit.refresh_from_db()
    assert unit.status == UnitStatus.REJECTED
    assert "单位名称与营业执照不一致" in locmem.outbox[-1][1]

    # An unapproved unit cannot be chosen by individuals, and cannot see people.
    assert Client().get(reverse("accounts:unit_search"), {"q": "某某"}).json() == {"results": []}
    assert unit_client.get(reverse("experts:unit_people")).status_code == 403

    home = text(unit_client.get(reverse("accounts:unit_home")))
    assert "未通过" in home and "单位名称与营业执照不一致。" in home
    form = unit_client.get(reverse("accounts:unit_resubmit"))
    assert 'value="武汉某某公司"' in form.content.decode()
    # The form repeats what to correct.
    assert "科技局审核未通过的理由 单位名称与营业执照不一致。" in text(form)
    data = {
        "name": "武汉某某科技有限公司",
        "credit_code": code,
        "nature": "enterprise",
        "district": "江夏区",
        "address": "武汉市江夏区文化大道1号",
        "contact_name": "王芳",
        "contact_mobile": "13900139001",
        "email": "office@example.com",
    }
    response = unit_client.post(reverse("accounts:unit_resubmit"), data, follow=True)
    assert "已重新提交" in text(response)
    unit.refresh_from_db()
    assert (unit.status, unit.name) == (UnitStatus.PENDING, "武汉某某科技有限公司")
    # The back button opens the form again: it says the state, not that the changes were lost.
    again = text(unit_client.get(reverse("accounts:unit_resubmit"), follow=True))
    assert "单位注册状态为“待审核”，无需重新提交。" in again and "未保存" not in again
    stale = text(unit_client.post(reverse("accounts:unit_resubmit"), data, follow=True))
    assert "单位注册状态为“待审核”，无需重新提交，所填修改未保存。" in stale
    queue = text(bureau.get(reverse("accounts:bureau_unit_queue")))
    assert "武汉某某科技有限公司" in queue
    # The bureau reads what the unit corrected since its 不通过.
    detail = text(bureau.get(reverse("accounts:bureau_unit_detail", args=[unit.pk])))
    assert (
        "修改了：单位名称（武汉某某公司 → 武汉某某科技有限公司）、单位性质（高等院校 → 企业）"
        in detail
    )
    assert "联系人手机（" not in detail  # typed as stored: no change
