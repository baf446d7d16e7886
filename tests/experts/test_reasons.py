"""Reasons that help the applicant (issue 21 item 4): 退回 and 审核不通过 take reason codes that
operators keep in admin, a text, and comments on named fields of the form; the history keeps
them, the applicant sees them on the home page and beside the fields, the SMS names them."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from experts.forms import ExpertApplicationForm
from experts.models import ApplicationStatus, ApplicationTransition, ExpertApplication, ReasonCode
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db


def code(name: str) -> ReasonCode:
    return ReasonCode.objects.get(code=name)


def visible_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def pending_unit(unit):
    return factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="赵磊")


@pytest.fixture
def unit_client(unit):
    unit_client = Client()
    unit_client.force_login(factories.unit_account(unit))
    return unit_client


def return_url(applicant) -> str:
    return reverse("experts:unit_return", args=[applicant.application.pk])


def status_of(applicant) -> str:
    return ExpertApplication.objects.get(pk=applicant.application.pk).status


def test_the_data_migration_seeds_the_default_reasons_in_order():
    assert [(c.code, c.label, c.active, c.requires_text) for c in ReasonCode.objects.all()] == [
        ("incomplete", "信息不完整", True, False),
        ("title", "职称不符合要求", True, False),
        ("evidence", "证明材料不清晰", True, False),
        ("discipline", "专业领域不符", True, False),
        ("other", "其他", True, True),
    ]


def test_unit_detail_offers_the_active_codes_and_three_field_comment_rows(
    unit_client, pending_unit
):
    ReasonCode.objects.filter(code="discipline").update(active=False)
    page = unit_client.get(
        reverse("experts:unit_detail", args=[pending_unit.application.pk])
    ).content.decode()
    offered = re.findall(r'name="codes" value="(\d+)"', page)
    assert offered == [str(code(name).pk) for name in ("incomplete", "title", "evidence", "other")]
    assert [page.count(f'name="field_{n}"') for n in (1, 2, 3)] == [1, 1, 1]
    assert '<option value="resume">工作简历</option>' in page


def test_return_records_codes_text_and_field_comments_and_the_history_shows_them(
    unit_client, pending_unit
):
    response = unit_client.post(
        return_url(pending_unit),
        {
            "codes": [code("incomplete").pk, code("evidence").pk],
            "reason": "请补充2015年以后的经历。",
            # Rows in any order; kept in the form's order.
            "field_1": "resume",
            "note_1": "缺少2015年以后的经历",
            "field_2": "title",
            "note_2": "请填写职称全称",
        },
    )

    assert response.status_code == 302
    assert status_of(pending_unit) == ApplicationStatus.DRAFT
    row = ApplicationTransition.objects.get(action="send_back")
    assert row.reasons == [
        {"code": "incomplete", "label": "信息不完整"},
        {"code": "evidence", "label": "证明材料不清晰"},
    ]
    assert row.comment == "请补充2015年以后的经历。"
    assert row.field_comments == [
        {"field": "title", "label": "专业技术职称", "comment": "请填写职称全称"},
        {"field": "resume", "label": "工作简历", "comment": "缺少2015年以后的经历"},
    ]
    history = visible_text(
        unit_client.get(reverse("experts:unit_detail", args=[pending_unit.application.pk]))
    )
    assert (
        "信息不完整 证明材料不清晰 请补充2015年以后的经历。 "
        "专业技术职称：请填写职称全称 工作简历：缺少2015年以后的经历"
    ) in history


def test_the_history_keeps_the_label_shown_at_the_time(unit_client, pending_unit):
    unit_client.post(return_url(pending_unit), {"codes": [code("title").pk]})
    ReasonCode.objects.filter(code="title").update(label="职称级别不符合要求")

    page = visible_text(
        unit_client.get(reverse("experts:unit_detail", args=[pending_unit.application.pk]))
    )

    assert "职称不符合要求" in page
    assert "职称级别不符合要求" not in page


def test_a_code_alone_is_enough(unit_client, pending_unit):
    response = unit_client.post(return_url(pending_unit), {"codes": [code("incomplete").pk]})

    assert response.status_code == 302
    row = ApplicationTransition.objects.get(action="send_back")
    assert (row.reason_labels(), row.comment) == (["信息不完整"], "")


# Each refused post: its message, and nothing typed is lost.
REFUSED = [
    pytest.param(
        {"reason": "  "},
        "请勾选至少一项理由或填写理由说明，申请人将看到此理由。",
        id="neither-code-nor-text",
    ),
    pytest.param(
        {"codes": ["other"], "field_1": "resume", "note_1": "写全经历"},
        "选择“其他”时，请在理由说明中写明具体原因。",
        id="other-without-text",
    ),
    pytest.param(
        {"codes": ["discipline"], "reason": "领域不符", "field_1": "resume", "note_1": "写全"},
        "所选理由已停用或不存在，请重新选择。",
        id="switched-off-code",
    ),
    pytest.param(
        {"codes": ["999999"], "reason": "伪造的理由编号"},
        "所选理由已停用或不存在，请重新选择。",
        id="forged-code",
    ),
    pytest.param(
        {"reason": "见批注", "field_1": "salary", "note_1": "不存在的字段"},
        "所选字段不在专家信息表中，请从列表中选择。",
        id="unknown-field",
    ),
    pytest.param(
        {"reason": "见批注", "note_2": "写全经历"},
        "请选择此条批注对应的字段。",
        id="comment-without-field",
    ),
    pytest.param(
        {"reason": "见批注", "field_3": "resume"},
        "请填写对所选字段的批注，或将字段改回“请选择”。",
        id="field-without-comment",
    ),
    pytest.param(
        {
            "reason": "见批注",
            "field_1": "resume",
            "note_1": "甲乙",
            "field_2": "resume",
            "note_2": "丙丁",
        },
        "该字段已在上一行批注，请合并为一条。",
        id="one-field-twice",
    ),
]


@pytest.mark.parametrize(("data", "message"), REFUSED)
def test_a_refused_return_says_why_changes_nothing_and_keeps_what_was_typed(
    unit_client, pending_unit, data, message
):
    ReasonCode.objects.filter(code="discipline").update(active=False)
    posted = {
        key: [str(code(name).pk) if not name.isdigit() else name for name in value]
        if key == "codes"
        else value
        for key, value in data.items()
    }

    response = unit_client.post(return_url(pending_unit), posted)

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert status_of(pending_unit) == ApplicationStatus.PENDING_UNIT
    assert not ApplicationTransition.objects.filter(action="send_back").exists()
    for key, value in posted.items():
        if key.startswith("note_") or key == "reason":
            assert value.strip() in page, key


def test_the_ticked_codes_come_back_ticked_after_an_error(unit_client, pending_unit):
    response = unit_client.post(
        return_url(pending_unit),
        {"codes": [code("title").pk, code("other").pk], "field_1": "salary", "note_1": "x"},
    )

    assert response.status_code == 400
    ticked = re.findall(r'<input[^>]*name="codes"[^>]*>', response.content.decode())
    checked = [re.search(r'value="(\d+)"', tag).group(1) for tag in ticked if "checked" in tag]
    assert checked == [str(code("title").pk), str(code("other").pk)]


def test_the_bureau_rejects_with_codes_and_the_sms_names_their_labels(
    client, reviewer, unit, django_capture_on_commit_callbacks
):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="陈静")
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("experts:bureau_reject", args=[applicant.application.pk]),
            {
                "codes": [code("title").pk, code("other").pk],
                "reason": "聘书扫描件缺页。",
                "field_1": "achievements",
                "note_1": "请附验收证书",
            },
        )

    assert response.status_code == 302
    assert status_of(applicant) == ApplicationStatus.REJECTED
    [sms] = SMSMessage.objects.all()
    assert sms.body == (
        f"【武汉市科技局专家入库系统】{applicant.real_name}您好，您的专家入库申请审核不通过，"
        "原因：职称不符合要求、其他；聘书扫描件缺页。可登录系统修改后重新提交。"
    )
    assert applicant.id_number not in sms.body
    assert "http" not in sms.body and "请附验收证书" not in sms.body


def test_after_a_rejection_the_read_only_page_marks_the_commented_field(client, reviewer, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    client.force_login(reviewer)
    client.post(
        reverse("experts:bureau_reject", args=[applicant.application.pk]),
        {"codes": [code("evidence").pk], "field_1": "achievements", "note_1": "请附验收证书"},
    )
    client.force_login(applicant)

    page = client.get(reverse("experts:form")).content.decode()  # 查看已提交的专家信息

    # Not "当前不能修改": the applicant may reopen it from here, and reads why.
    assert "专家信息已提交，当前不能修改。" not in page
    assert "审核不通过。如需修改后重新提交，请点击“修改专家信息”" in page
    assert f'action="{reverse("experts:revise")}"' in page
    assert 'data-testid="latest-reason"' in page
    assert page.count('data-testid="field-comment"') == 1
    # In the row of the field it is about: after its label, before the next row's.
    marker = page.index('data-testid="field-comment"')
    assert page.index(">主要业绩与成果</dt>") < marker < page.index(">开户银行</dt>")
    assert "请附验收证书" in page[marker : page.index(">开户银行</dt>")]
    # The reviewers' pages of the same application show no marker.
    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[applicant.application.pk]))
    assert 'data-testid="field-comment"' not in detail.content.decode()


def test_numbers_and_links_typed_in_a_reason_stay_out_of_the_sms(
    unit_client, pending_unit, django_capture_on_commit_callbacks
):
    reason = (
        "证件号码11010519491231002X与档案不符，银行卡6222 0202 0001 2345 670请核对，"
        "请按 http://phish.example/fix 的模板重填，咨询85870766"
    )
    with django_capture_on_commit_callbacks(execute=True):
        unit_client.post(return_url(pending_unit), {"codes": [code("other").pk], "reason": reason})

    [sms] = SMSMessage.objects.all()
    assert "证件号码****002X与档案不符，银行卡****5670请核对" in sms.body
    assert "11010519491231002X" not in sms.body and "0001" not in sms.body
    assert "http" not in sms.body and "phish" not in sms.body and "（详见系统）" in sms.body
    # The applicant reads the whole reason on the portal, as typed.
    history = ApplicationTransition.objects.get(action="send_back")
    assert reason in history.comment


@pytest.mark.parametrize(
    "typed, sent",
    [
        ("手机13712345678有误", "手机****5678有误"),
        ("见 https://a.example/x?y=1。", "见 （详见系统）"),
        ("www.example.cn/a 已失效", "（详见系统） 已失效"),
        ("会议号 123 456 789，2026-12-08 上午", "会议号 123 456 789，2026-12-08 上午"),
        # Two spaces, a full-width space, full-width digits, a line break: masked all the same.
        ("账号6222 0212  3456 7890 123", "账号****0123"),
        ("证件4201011990\u30000101123X", "证件****123X"),
        ("证件４２０１０１１９９００１０１１２３Ｘ", "证件****123X"),
        ("ＩＤ４２０１０１１９９００１０１１２３ｘ", "ID****123x"),
        ("卡号6222020200\n12345670", "卡号****5670"),
        # A date with its time, and a landline with its area code, stay as typed.
        ("请于2024-05-20 14:30前补交", "请于2024-05-20 14:30前补交"),
        ("咨询027-8765 4321", "咨询027-8765 4321"),
    ],
)
def test_shorten_masks_long_numbers_and_drops_links(typed, sent):
    from sms.outbox import shorten

    assert shorten(typed) == sent


def test_a_long_reason_is_cut_in_the_sms_but_the_labels_stay(
    client, reviewer, unit, django_capture_on_commit_callbacks
):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("experts:bureau_reject", args=[applicant.application.pk]),
            {"codes": [code("evidence").pk], "reason": "材料" * 100},
        )

    [sms] = SMSMessage.objects.all()
    assert "原因：证明材料不清晰；材料材料" in sms.body
    assert "…。可登录系统修改后重新提交。" in sms.body
    assert len(sms.body) < 120


def test_the_applicant_sees_codes_text_and_a_marker_beside_each_commented_field(
    client, unit_client, pending_unit
):
    unit_client.post(
        return_url(pending_unit),
        {
            "codes": [code("incomplete").pk, code("evidence").pk],
            "reason": "请按批注修改。",
            "field_1": "resume",
            "note_1": "缺少2015年以后的经历",
        },
    )
    client.force_login(pending_unit)

    home = visible_text(client.get(reverse("experts:home")))
    assert "退回理由（" in home
    assert "信息不完整 证明材料不清晰 请按批注修改。 需修改的字段 工作简历 ：缺少" in home
    form = client.get(reverse("experts:form")).content.decode()
    marker = form.index('id="comment-resume"')
    # Under its own field: after the field's input, before the next field's.
    assert form.index('name="resume"') < marker < form.index('name="achievements"')
    assert "缺少2015年以后的经历" in form[marker : form.index('name="achievements"')]
    assert form.count('data-testid="field-comment"') == 1
    assert "信息不完整" in form and "请按批注修改。" in form


def test_the_markers_go_once_the_applicant_submits_again(
    client, unit_client, pending_unit, django_capture_on_commit_callbacks
):
    unit_client.post(
        return_url(pending_unit),
        {"codes": [code("incomplete").pk], "field_1": "resume", "note_1": "补全"},
    )
    client.force_login(pending_unit)
    assert 'id="comment-resume"' in client.get(reverse("experts:form")).content.decode()

    client.post(reverse("experts:form"), {**filled_form(pending_unit), "action": "submit"})
    assert status_of(pending_unit) == ApplicationStatus.PENDING_UNIT
    unit_client.post(
        reverse("experts:unit_return", args=[pending_unit.application.pk]),
        {"reason": "再退回一次，无批注。"},
    )

    page = client.get(reverse("experts:form")).content.decode()
    assert 'data-testid="field-comment"' not in page
    assert "再退回一次，无批注。" in page


def filled_form(applicant) -> dict:
    """The applicant's form as it stands, posted back whole (make_applicant filled it in)."""
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    form = ExpertApplicationForm(instance=application)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if name == "disciplines":
            data[name] = [str(pk) for pk in value]
        elif name in ("integrity_pledge", "sensitive_consent"):
            if value:
                data[name] = "on"
        elif value not in (None, ""):
            data[name] = field.prepare_value(value) if name == "mobile" else value
    data["sensitive_consent"] = "on"
    return data


def test_admin_reject_takes_the_codes_too(client, unit):
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    client.force_login(operator)
    url = reverse(
        "admin:experts_expertapplication_transition",
        args=[applicant.application.pk, "reject"],
    )

    refused = client.post(url, {"codes": [code("other").pk]})
    assert "选择“其他”时，请在理由说明中写明具体原因。" in refused.content.decode()
    assert status_of(applicant) == ApplicationStatus.PENDING_BUREAU
    client.post(url, {"codes": [code("evidence").pk], "reason": "扫描件不清晰。"})

    assert status_of(applicant) == ApplicationStatus.REJECTED
    row = ApplicationTransition.objects.get(action="reject")
    assert (row.reason_labels(), row.comment) == (["证明材料不清晰"], "扫描件不清晰。")
    page = visible_text(
        client.get(reverse("admin:experts_applicationtransition_change", args=[row.pk]))
    )
    assert "理由: 证明材料不清晰 字段批注: —" in page


def test_operators_switch_a_reason_off_in_admin_and_reviewers_no_longer_see_it(
    unit_client, pending_unit, django_capture_on_commit_callbacks
):
    detail = reverse("experts:unit_detail", args=[pending_unit.application.pk])
    # Printed once before the change: the page must not keep the form as it was printed.
    assert "职称不符合要求" in unit_client.get(detail).content.decode()
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    admin = Client()
    admin.force_login(operator)
    changelist = reverse("admin:experts_reasoncode_changelist")
    codes = list(ReasonCode.objects.all())
    data = {
        "form-TOTAL_FORMS": str(len(codes)),
        "form-INITIAL_FORMS": str(len(codes)),
        "_save": "保存",
    }
    for n, reason in enumerate(codes):
        data[f"form-{n}-id"] = str(reason.pk)
        data[f"form-{n}-order"] = str(reason.order)
        if reason.code != "title":
            data[f"form-{n}-active"] = "on"

    with django_capture_on_commit_callbacks(execute=True):  # the kept list is forgotten
        assert admin.post(changelist, data).status_code == 302

    assert list(ReasonCode.objects.filter(active=False).values_list("code", flat=True)) == ["title"]
    page = unit_client.get(detail).content.decode()
    assert "职称不符合要求" not in page
    assert "信息不完整" in page
