"""信息变更 (issue 23 part 1) through the pages: the admitted expert's form, the unit's
confirmation, the bureau's decision, and every refusal on the way."""

import datetime
import html
import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from changes import counts as change_counts
from changes.models import ChangeKind, ChangeRequest, ChangeStatus
from experts import counts, lifecycle
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from portal.templating import masked_id_number, masked_mobile
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import (
    admitted,
    application_of,
    key_request,
    page,
    post_data,
    said,
    submit,
)
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
S = ChangeStatus


@pytest.fixture
def expert(reference_data, unit):
    return admitted(unit, name="王建国")


# --- the expert's side -----------------------------------------------------------------------


def test_admitted_expert_sees_the_change_button_and_a_prefilled_form(client, expert):
    client.force_login(expert)
    home = page(client.get(reverse("experts:home")))
    assert reverse("changes:edit") in home and "修改专家信息" in home
    form = client.get(reverse("changes:edit"))
    assert form.status_code == 200
    assert form.context["form"]["title"].value() == "教授"
    assert form.context["form"]["unit"].value() == expert.unit_id
    assert form.context["form"]["id_number"].value() == expert.id_number
    # 专业领域 grouped by field, as on the application form.
    html = page(form)
    assert "电子信息（整个领域）" in html and "勾选领域本身表示该领域整体" in html


def test_an_expert_not_admitted_gets_no_form(client, reference_data, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    client.force_login(applicant)
    assert reverse("changes:edit") not in page(client.get(reverse("experts:home")))
    response = client.get(reverse("changes:edit"))
    assert response.status_code == 302 and response.url == reverse("experts:home")
    assert said(response) == ["只有已入库（审核通过）的专家可以申请信息变更。"]
    response = client.post(reverse("changes:edit"), {"title": "研究员"})
    assert response.status_code == 302 and ChangeRequest.objects.count() == 0


def test_contact_details_apply_at_once_and_are_recorded(client, expert):
    response = submit(client, expert, mobile="13900001111", address="武汉市武昌区中北路1号")
    assert response.status_code == 302
    assert said(response) == ["手机、通讯地址已修改并生效。"]
    application = application_of(expert)
    assert (application.mobile, application.address) == ("+8613900001111", "武汉市武昌区中北路1号")
    row = application.history.get()
    assert (row.action, row.from_status, row.to_status, row.comment) == (
        "update_contact",
        ApplicationStatus.APPROVED,
        ApplicationStatus.APPROVED,
        "手机、通讯地址",
    )
    record = ChangeRequest.objects.get()
    assert (record.kind, record.status, record.changed_labels) == (
        ChangeKind.CONTACT,
        S.APPLIED,
        "手机、通讯地址",
    )
    assert [row[1:3] for row in record.after["rows"]] == [
        ["手机", "13900001111"],
        ["通讯地址", "武汉市武昌区中北路1号"],
    ]
    home = page(client.get(reverse("experts:home")))
    assert "修改联系方式" in home and "已生效" in home
    # The history says the state stayed, not 审核通过 → 审核通过.
    assert "仍为审核通过" in home and "（不变）" not in home and "审核通过 → 审核通过" not in home


def version_on(response) -> str:
    return re.search(r'name="version" value="([^"]*)"', response.content.decode()).group(1)


def test_a_tab_left_open_does_not_put_back_what_another_tab_changed(client, expert):
    """Tab A opened, tab B saved a new mobile, tab A saved an address: A's old mobile would
    count as a change and put the old number back. A is refused, shown again as typed."""
    client.force_login(expert)
    url = reverse("changes:edit")
    tab_a = version_on(client.get(url))
    tab_b = version_on(client.get(url))
    assert tab_a == tab_b
    page_a = post_data(expert, address="武汉市武昌区中北路1号", version=tab_a)  # the old mobile

    assert (
        client.post(url, post_data(expert, mobile="13900001111", version=tab_b)).status_code == 302
    )
    refused = client.post(url, page_a)

    assert refused.status_code == 409
    assert "您的专家信息或变更申请已有更新" in page(refused) and "本次未保存" in page(refused)
    assert 'value="武汉市武昌区中北路1号"' in page(refused)
    assert 'data-testid="stale-link">查看最新保存的内容' in page(refused)
    application = application_of(expert)
    assert application.mobile == "+8613900001111" and application.address != "武汉市武昌区中北路1号"
    # Sent again from the refused page, on purpose, it saves.
    again = post_data(expert, mobile="13900001111", address="武汉市武昌区中北路1号")
    again["version"] = version_on(refused)
    assert client.post(url, again).status_code == 302
    assert application_of(expert).address == "武汉市武昌区中北路1号"


def test_a_double_click_on_save_changes_is_not_taken_for_another_tab(client, expert):
    client.force_login(expert)
    url = reverse("changes:edit")
    sent = post_data(expert, mobile="13900001111", version=version_on(client.get(url)))

    assert client.post(url, sent).status_code == 302
    second = client.post(url, sent)  # the same page again: it would change nothing

    assert second.status_code == 302 and said(second)[-1:] == ["您没有修改任何信息。"]
    assert application_of(expert).mobile == "+8613900001111"


def test_fields_saved_with_their_own_sub_fields_before_the_check_do_not_block_a_contact_change(
    client, expert
):
    field, comms = Discipline.objects.get(code="01"), Discipline.objects.get(code="0104")
    application_of(expert).disciplines.set([field, comms])

    response = submit(client, expert, mobile="13900001111")

    assert response.status_code == 302 and said(response) == ["手机已修改并生效。"]
    assert set(application_of(expert).disciplines.all()) == {field, comms}


def test_a_change_counts_as_the_yearly_confirmation(client, expert, reviewer):
    """The reminder asks the expert to 确认或更新信息: updating, at once or once approved,
    restarts the year as 确认信息无变化 does, and ends the banner."""
    long_ago = timezone.now() - datetime.timedelta(days=340)
    ExpertApplication.objects.filter(user=expert).update(
        confirmed_at=long_ago, confirm_reminded_at=long_ago
    )
    client.force_login(expert)
    assert 'data-testid="confirm-due"' in page(client.get(reverse("experts:home")))

    submit(client, expert, address="武汉市洪山区珞喻路1号")

    application = application_of(expert)
    assert application.confirmed_at > timezone.now() - datetime.timedelta(minutes=1)
    assert application.confirm_reminded_at is None
    assert 'data-testid="confirm-due"' not in page(client.get(reverse("experts:home")))
    ExpertApplication.objects.filter(user=expert).update(confirmed_at=long_ago)
    request = key_request(expert, status=S.PENDING_BUREAU)
    client.force_login(reviewer)
    client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})
    assert application_of(expert).confirmed_at > timezone.now() - datetime.timedelta(minutes=1)


def test_a_new_mobile_and_email_reach_the_account_too(client, expert):
    """忘记密码 mails the account's address and a locked account is texted at its number: both
    follow the expert's new contact details; the address alone leaves them as they were."""
    submit(client, expert, mobile="13900002222", email="new.address@example.com")
    account = User.objects.get(pk=expert.pk)
    assert (account.mobile, account.email) == ("+8613900002222", "new.address@example.com")
    submit(client, expert, address="武汉市洪山区珞喻路1号")
    assert User.objects.get(pk=expert.pk).mobile == "+8613900002222"


def test_other_fields_apply_at_once_and_the_search_follows(client, expert):
    submit(client, expert, current_specialty="光电子器件", resume="2010年至今在光谷实验室工作。")
    application = application_of(expert)
    assert application.current_specialty == "光电子器件"
    assert "光电子器件" in application.search_text
    assert application.history.get().action == "update_details"
    assert ChangeRequest.objects.get().kind == ChangeKind.DETAILS


def test_key_fields_become_a_pending_request_and_the_row_stays(client, expert, other_unit):
    response = submit(client, expert, title="研究员", unit=other_unit, disciplines=["02"])
    assert response.status_code == 302
    assert said(response) == [
        "变更申请已提交（专业技术职称、工作单位、专业领域），等待新单位确认后由市科技局审核；"
        "审核通过前，专家库仍使用现行信息。",
        "证明材料“title.pdf”已上传。",
    ]
    application = application_of(expert)
    assert application.title == "教授" and application.unit_id == expert.unit_id
    assert sorted(application.disciplines.values_list("code", flat=True)) == ["01", "08"]
    assert application.history.count() == 0
    request = ChangeRequest.objects.get()
    assert (request.status, request.kind) == (S.PENDING_UNIT, ChangeKind.KEY)
    assert (request.old_unit_id, request.new_unit_id, request.confirming_unit_id) == (
        expert.unit_id,
        other_unit.pk,
        other_unit.pk,
    )
    assert request.values["title"] == "研究员" and request.values["unit"] == other_unit.pk
    home = page(client.get(reverse("experts:home")))
    assert "本次变更申请" in home and "待单位确认" in home and other_unit.name in home


def test_a_sub_field_in_the_diff_names_its_field(client, expert):
    """专业领域 in a request's before and after read as the expert's detail pages do: a sub-field
    with its field, 软件（电子信息）, not a bare 软件 that could be anyone's."""
    submit(client, expert, title="研究员", disciplines=["0101", "02"])
    (row,) = [row for row in ChangeRequest.objects.get().after["rows"] if row[1] == "专业领域"]
    assert row[2] == "软件（电子信息）；生物与新医药"


def test_numbers_in_a_request_are_kept_encrypted(client, expert):
    new_number = factories.resident_id(7001)
    submit(client, expert, id_number=new_number, bank_account="6222020200112233453")
    request = ChangeRequest.objects.get()
    stored = str(request.values) + str(request.before) + str(request.after)
    assert new_number not in stored and "6222020200112233453" not in stored
    assert expert.id_number not in stored
    # The expert reads their own numbers in full on their home page.
    assert new_number in page(client.get(reverse("experts:home")))


def test_the_reviewer_may_see_the_new_numbers_in_full_and_says_why(client, expert, unit, reviewer):
    """查看完整信息 on a 变更申请, as on the expert's detail page: masked until asked for, then the
    old and the new number in full in that one response, with one audit event about the expert;
    a unit may see a 证件号码 only, and one it may not see is refused."""
    from audit.models import AuditEvent

    old_number, old_account = expert.id_number, application_of(expert).bank_account
    new_number, new_account = factories.resident_id(), "6222020200112233453"
    submit(client, expert, id_number=new_number, bank_account=new_account)
    request = ChangeRequest.objects.get()
    client.force_login(reviewer)
    url = reverse("changes:bureau_detail", args=[request.pk])
    masked = page(client.get(url))
    assert new_account not in masked and new_number not in masked and "查看完整信息" in masked

    shown = page(
        client.post(
            reverse("changes:bureau_reveal", args=[request.pk]),
            {"reveal-numbers": ["id_number", "bank_account"], "reveal-reason": "check_bank"},
        )
    )

    assert all(number in shown for number in (old_number, new_number, old_account, new_account))
    assert "证件号码、银行账号已完整显示，仅限本次页面" in shown
    (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL_DATA)
    assert event.object_id == str(application_of(expert).pk)
    assert (
        event.detail == f"变更申请（编号{request.pk}）：查看证件号码、银行账号；事由：核对银行信息"
    )
    assert new_account not in page(client.get(url))  # the next view is masked again

    client.force_login(factories.unit_account(unit))
    unit_reveal = reverse("changes:unit_reveal", args=[request.pk])
    refused = client.post(
        unit_reveal, {"reveal-numbers": "bank_account", "reveal-reason": "verify_identity"}
    )
    assert refused.status_code == 400 and new_account not in page(refused)
    assert "未显示完整信息：所选信息不能查看。" in said(refused)
    unit_sees = page(
        client.post(
            unit_reveal, {"reveal-numbers": "id_number", "reveal-reason": "verify_identity"}
        )
    )
    assert new_number in unit_sees and new_account not in unit_sees
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL_DATA).count() == 2


def test_a_request_without_numbers_offers_no_reveal(client, expert, reviewer):
    submit(client, expert, title="研究员")
    request = ChangeRequest.objects.get()
    client.force_login(reviewer)
    assert "查看完整信息</h2>" not in page(
        client.get(reverse("changes:bureau_detail", args=[request.pk]))
    )
    response = client.post(
        reverse("changes:bureau_reveal", args=[request.pk]),
        {"reveal-numbers": "id_number", "reveal-reason": "verify_identity"},
    )
    assert response.status_code == 400 and expert.id_number not in page(response)


def test_a_second_edit_updates_the_request_while_the_unit_has_not_confirmed(client, expert):
    submit(client, expert, title="研究员")
    response = submit(client, expert, title="研究员", title_level="associate")
    assert said(response)[-1].startswith("变更申请已更新（专业技术职称、职称级别）")
    request = ChangeRequest.objects.get()
    assert request.values == {"title": "研究员", "title_level": "associate"}


def test_the_history_begins_with_the_experts_submission_and_each_edit(client, expert, unit):
    """审核记录 starts where the request did: 提交 (into 待单位确认), then each 修改 before the
    unit confirms, by the expert, with the fields asked for."""
    submit(client, expert, title="研究员")
    submit(client, expert, title="研究员", title_level="associate")
    request = ChangeRequest.objects.get()
    rows = list(request.history.values_list("action", "from_status", "to_status", "actor_id"))
    assert rows == [
        ("submit", "", S.PENDING_UNIT, expert.pk),
        ("amend", S.PENDING_UNIT, S.PENDING_UNIT, expert.pk),
    ]
    assert request.history.last().comment == "专业技术职称、职称级别"
    assert str(request.history.first()) == "提交：待单位确认"

    client.force_login(factories.unit_account(unit))
    detail = page(client.get(reverse("changes:unit_detail", args=[request.pk])))
    history = detail[detail.index("审核记录") :]
    assert re.search(r"<td[^>]*>提交</td>.*?<td[^>]*>待单位确认</td>", history, re.S)
    assert "仍为待单位确认" in history  # the 修改


def test_a_second_edit_is_refused_once_the_bureau_has_it_and_nothing_is_saved(client, expert):
    key_request(expert, status=S.PENDING_BUREAU)
    response = submit(client, expert, title="高级工程师", mobile="13900002222")
    assert response.status_code == 400
    assert said(response) == [
        "您的变更申请已由单位确认，正在等待市科技局审核，审核完成前不能再修改关键信息。"
        "如需修改，请先在首页撤回该变更申请。本次填写的修改均未保存，请调整后重新保存。"
        "已选择的证明材料文件需重新选择。"
    ]
    # What was typed is on the page again; nothing was applied.
    assert 'value="高级工程师"' in response.content.decode()
    assert application_of(expert).mobile != "+8613900002222"
    assert ChangeRequest.objects.get().values == {"title": "研究员"}


def test_the_open_requests_values_sent_again_change_nothing(client, expert):
    key_request(expert, status=S.PENDING_BUREAU)
    response = submit(client, expert, title="研究员", address="武汉市新地址1号")
    assert said(response) == ["通讯地址已修改并生效。"]
    assert ChangeRequest.objects.filter(kind=ChangeKind.KEY).get().status == S.PENDING_BUREAU


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"bank_account": "12345"}, "bank_account", "银行账号应为12至30位数字"),
        ({"id_number": "420102198001010000"}, "id_number", "校验位不正确"),
        ({"title": ""}, "title", "请填写专业技术职称"),
        ({"disciplines": []}, "disciplines", "请选择专业领域"),
        ({"unit": "999999"}, "unit", "请选择已通过审核的单位"),
        ({"mobile": "12345"}, "mobile", "11位中国大陆手机号码"),
    ],
)
def test_bad_input_is_refused_nothing_saved_and_what_was_typed_kept(
    client, expert, overrides, field, message
):
    typed = {"address": "武汉市刚输入的地址", **overrides}
    response = submit(client, expert, **typed)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert 'value="武汉市刚输入的地址"' in response.content.decode()
    # The error summary names the field without its 需审核 badge.
    summary = page(response).split('id="form-errors"')[1].split("</div>")[0]
    assert "需审核" not in summary
    assert application_of(expert).address != "武汉市刚输入的地址"
    assert ChangeRequest.objects.count() == 0


def test_an_id_number_of_another_account_is_refused(client, expert, unit):
    other = admitted(unit)
    response = submit(client, expert, id_number=other.id_number)
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"] == ["该证件号码已被其他账号使用，请核对。"]


def test_an_id_number_hashed_under_a_former_hmac_key_is_still_another_accounts(
    client, expert, unit, settings
):
    """While FIELD_HMAC_KEY is being rotated (docs/security.md), the other account's hash is
    still under the former key, listed in FIELD_HMAC_OLD_KEYS."""
    other = admitted(unit)
    settings.FIELD_HMAC_OLD_KEYS = [settings.FIELD_HMAC_KEY]
    settings.FIELD_HMAC_KEY = "the-new-hmac-key-of-a-rotation-not-yet-reindexed"
    response = submit(client, expert, id_number=other.id_number)
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"] == ["该证件号码已被其他账号使用，请核对。"]


def test_a_new_id_number_must_agree_with_the_birth_date(client, expert):
    response = submit(client, expert, id_number=factories.resident_id(7002, birth="19751201"))
    assert response.status_code == 400
    assert response.context["form"].errors["birth_date"] == ["出生日期与居民身份证号码不一致。"]


def test_the_expert_withdraws_a_pending_request(client, expert):
    request = key_request(expert)
    client.force_login(expert)
    response = client.post(reverse("changes:withdraw", args=[request.pk]))
    assert said(response) == ["变更申请已撤回，现行信息不变。"]
    request.refresh_from_db()
    assert request.status == S.WITHDRAWN
    assert application_of(expert).title == "教授"
    again = client.post(reverse("changes:withdraw", args=[request.pk]))
    assert said(again)[-1:] == [
        "当前状态为“已撤回”，不能执行“撤回”操作，可能已在其他窗口或由他人处理。"
    ]


@pytest.mark.parametrize("action", ["exit", "withdraw_consent"])
def test_asking_to_leave_withdraws_the_open_request_and_says_so_first(
    client, expert, other_unit, action
):
    """An open request would wait in the unit's list for an expert who is leaving and could
    never be applied: 申请退出 withdraws it, in the same step, and its button says so."""
    request = key_request(expert, new_unit=other_unit)
    assert change_counts.waiting(S.PENDING_UNIT, other_unit.pk) == 1
    client.force_login(expert)
    home = html.unescape(page(client.get(reverse("experts:home"))))
    assert home.count("您尚未办结的信息变更申请将随之撤回") == 2  # 申请退出 and 撤回同意

    client.post(reverse("experts:applicant_act", args=[action]))

    request.refresh_from_db()
    assert request.status == S.WITHDRAWN and request.decided_by == expert
    assert application_of(expert).status == ApplicationStatus.EXIT_PENDING
    assert change_counts.waiting(S.PENDING_UNIT, other_unit.pk) == 0
    row = request.history.get()
    assert (row.action, row.actor) == ("withdraw", expert)
    assert "申请退出专家库" in row.comment


def test_removal_withdraws_the_open_request_as_the_reviewer_and_warns_first(
    client, expert, other_unit, reviewer
):
    """出库（清退） takes the expert out of the pool while their request waits for a unit: the
    request is withdrawn in the same step, by the reviewer, and the page says so before."""
    request = key_request(expert, new_unit=other_unit)
    application = application_of(expert)
    client.force_login(reviewer)
    detail = page(client.get(reverse("experts:bureau_detail", args=[application.pk])))
    text = re.sub(r"<[^>]+>", "", detail)
    assert "该专家有一份未办结的信息变更申请（待单位确认），出库或撤销入库时将随之撤回。" in text
    assert reverse("changes:bureau_detail", args=[request.pk]) in detail
    assert "列入禁入名单。其未办结的信息变更申请将随之撤回。" in detail  # 出库's confirmation

    client.post(
        reverse("experts:bureau_remove", args=[application.pk]),
        {"code": "unreachable", "reason": ""},
    )

    assert application_of(expert).status == ApplicationStatus.EXITED
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decided_role) == (
        S.WITHDRAWN,
        reviewer,
        "科技局审核员",
    )
    assert change_counts.waiting(S.PENDING_UNIT, other_unit.pk) == 0
    row = request.history.get()
    assert (row.action, row.actor, row.comment) == (
        "close",
        reviewer,
        "专家已出库（清退），未办结的信息变更申请随之撤回。",
    )
    assert row.get_action_display() == "关闭"
    # The new unit's list no longer offers it, and its page offers no 确认.
    client.force_login(factories.unit_account(other_unit))
    assert list(client.get(reverse("changes:unit_list")).context["rows"]) == []


def test_freezing_withdraws_the_open_request_as_the_system(expert, unit):
    """The daily command freezes an expert 24 months unconfirmed: no person acts, and the
    request waiting at the bureau is withdrawn by the system."""
    request = key_request(expert, status=S.PENDING_BUREAU)
    long_ago = timezone.now() - datetime.timedelta(days=800)
    ExpertApplication.objects.filter(user=expert).update(confirmed_at=long_ago)

    assert lifecycle.run()["frozen"] == 1

    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decided_role) == (S.WITHDRAWN, None, "系统")
    row = request.history.get()
    assert (row.action, row.actor, row.actor_role) == ("close", None, "系统")
    assert "已被冻结" in row.comment
    assert change_counts.waiting(S.PENDING_BUREAU, unit.pk) == 0
    # Besides the freeze's own SMS, one saying the request went with it.
    texts = list(
        SMSMessage.objects.filter(to=application_of(expert).mobile).values_list("body", flat=True)
    )
    assert len(texts) == 2
    assert any(
        "您未办结的信息变更申请已撤回；解冻后如仍需变更，请重新提交" in text for text in texts
    )


def test_the_migration_closes_requests_of_experts_who_had_left_already(expert, other_unit):
    """Before changes.receivers, 冻结 and 出库 left requests open: changes 0005 closes them as
    the receiver would, and counts again; a request of an expert still 审核通过 stays."""
    stranded = key_request(expert, new_unit=other_unit)
    ExpertApplication.objects.filter(user=expert).update(status=ApplicationStatus.FROZEN)
    staying = key_request(admitted(other_unit), status=S.PENDING_BUREAU)
    migration = importlib.import_module("changes.migrations.0005_close_requests_of_experts_gone")

    migration.close(apps, SimpleNamespace(connection=connection))

    stranded.refresh_from_db()
    assert (stranded.status, stranded.decided_role) == (S.WITHDRAWN, "系统")
    row = stranded.history.get()
    assert (row.action, row.actor, row.get_action_display()) == ("close", None, "关闭")
    assert ChangeRequest.objects.get(pk=staying.pk).status == S.PENDING_BUREAU
    assert change_counts.waiting(S.PENDING_UNIT, other_unit.pk) == 0
    assert change_counts.waiting(S.PENDING_BUREAU) == 1
    assert change_counts.waiting(S.WITHDRAWN) == 1


def test_the_migration_gives_earlier_requests_their_submission(client, expert, unit):
    """changes 0006: a request made before 提交 was recorded gains that row, dated when it was
    made and before its later steps; one that has it already gains no second."""
    earlier = key_request(expert, status=S.PENDING_BUREAU)
    made = timezone.now() - datetime.timedelta(days=3)
    ChangeRequest.objects.filter(pk=earlier.pk).update(created_at=made)
    confirmed = earlier.history.create(
        actor=factories.unit_account(unit),
        actor_role="单位账号",
        action="confirm",
        from_status=S.PENDING_UNIT,
        to_status=S.PENDING_BUREAU,
    )
    other = admitted(unit)
    submit(client, other, title="研究员")  # recorded already
    migration = importlib.import_module("changes.migrations.0006_submitted_rows")

    with factories.rewriting_history():  # the migration ran before the histories' triggers
        migration.add_submitted(apps, SimpleNamespace(connection=connection))

    first, second = earlier.history.all()
    assert (first.action, first.actor, first.actor_role, first.created_at) == (
        "submit",
        expert,
        "申请人",
        made,
    )
    assert (first.from_status, first.to_status, first.comment) == (
        "",
        S.PENDING_UNIT,
        "专业技术职称",
    )
    assert second == confirmed
    newer = ChangeRequest.objects.get(application__user=other)
    assert list(newer.history.values_list("action", flat=True)) == ["submit"]


def test_the_migration_gives_accounts_the_contact_their_experts_changed(expert, unit):
    """changes 0007: a 手机 or 电子邮箱 changed through 修改联系方式 before it reached the
    account reaches it now; an account whose expert never changed them keeps its own."""
    from changes import fields, services

    application = application_of(expert)
    services.save_changes(
        application, expert, {**fields.current(application), "mobile": "+8613900001111"}
    )
    User.objects.filter(pk=expert.pk).update(mobile="+8613000000000", email="old@example.com")
    untouched = admitted(unit)
    User.objects.filter(pk=untouched.pk).update(mobile="+8613000000001")
    migration = importlib.import_module("changes.migrations.0007_contact_to_accounts")

    migration.copy_contact(apps, SimpleNamespace(connection=connection))

    expert.refresh_from_db()
    assert expert.mobile == "+8613900001111"
    assert expert.email == "old@example.com"  # not changed through the form: left as it was
    assert User.objects.get(pk=untouched.pk).mobile == "+8613000000001"


def test_the_detail_page_of_an_expert_without_an_open_request_warns_of_none(
    client, expert, reviewer
):
    key_request(expert, status=S.REJECTED)
    client.force_login(reviewer)
    application = application_of(expert)
    detail = page(client.get(reverse("experts:bureau_detail", args=[application.pk])))
    assert "出库（清退）" in detail and "随之撤回" not in detail


def test_asking_to_leave_without_an_open_request_withdraws_nothing(client, expert):
    done = key_request(expert, status=S.APPLIED)
    client.force_login(expert)
    home = html.unescape(page(client.get(reverse("experts:home"))))
    assert "将随之撤回" not in home
    client.post(reverse("experts:applicant_act", args=["exit"]))
    done.refresh_from_db()
    assert done.status == S.APPLIED
    assert application_of(expert).status == ApplicationStatus.EXIT_PENDING


def test_another_applicant_cannot_withdraw_it(client, expert, unit):
    request = key_request(expert)
    client.force_login(admitted(unit))
    assert client.post(reverse("changes:withdraw", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == S.PENDING_UNIT


# --- the units ---------------------------------------------------------------------------------


def test_the_new_unit_confirms_and_the_old_unit_is_told(client, expert, unit, other_unit):
    submit(client, expert, unit=other_unit, title="研究员")
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)

    client.force_login(factories.unit_account(unit))  # the old unit: a notice, no detail
    people = page(client.get(reverse("experts:unit_people")))
    assert f"本单位专家王建国申请将工作单位变更为“{other_unit.name}”" in people
    assert client.get(reverse("changes:unit_detail", args=[request.pk])).status_code == 404
    refused = client.post(reverse("changes:unit_confirm", args=[request.pk]), {"comment": ""})
    assert refused.status_code == 404

    client.force_login(factories.unit_account(other_unit))  # the new unit confirms
    listed = client.get(reverse("changes:unit_list"))
    assert [row.pk for row in listed.context["rows"]] == [request.pk]
    detail = page(client.get(reverse("changes:unit_detail", args=[request.pk])))
    assert "申请调入单位" in detail and "研究员" in detail and "教授" in detail
    # Who it is, masked: a name alone may be two people (found by a unit's walk).
    application = application_of(expert)
    assert masked_id_number(expert.id_number) in detail and expert.id_number not in detail
    assert masked_mobile(application.mobile) in detail
    response = client.post(reverse("changes:unit_confirm", args=[request.pk]), {"comment": "属实"})
    assert said(response) == ["已确认王建国的变更申请，将由市科技局审核。"]
    request.refresh_from_db()
    assert request.status == S.PENDING_BUREAU
    submitted, row = request.history.all()
    assert (submitted.action, submitted.actor) == ("submit", expert)
    assert (row.action, row.actor_id, row.comment) == (
        "confirm",
        response.wsgi_request.user.pk,
        "属实",
    )
    # Still in the pool under the old unit.
    assert application_of(expert).unit_id == unit.pk


def test_a_third_unit_never_sees_the_request(client, expert, other_unit):
    submit(client, expert, unit=other_unit)
    request = ChangeRequest.objects.get()
    third = factories.make_unit()
    client.force_login(factories.unit_account(third))
    assert client.get(reverse("changes:unit_detail", args=[request.pk])).status_code == 404
    assert list(client.get(reverse("changes:unit_list"), {"status": "all"}).context["rows"]) == []
    assert "王建国" not in page(client.get(reverse("experts:unit_people")))


def test_the_own_unit_confirms_a_change_without_a_move(client, expert, unit):
    submit(client, expert, title="研究员")
    request = ChangeRequest.objects.get()
    client.force_login(factories.unit_account(unit))
    assert "信息变更待确认" in page(client.get(reverse("experts:unit_people")))
    assert client.get(reverse("changes:unit_list")).context["page"].paginator.count == 1
    client.post(reverse("changes:unit_confirm", args=[request.pk]), {"comment": ""})
    request.refresh_from_db()
    assert request.status == S.PENDING_BUREAU


def test_returning_needs_a_reason_and_the_expert_reads_it(client, expert, unit):
    request = key_request(expert)
    client.force_login(factories.unit_account(unit))
    url = reverse("changes:unit_return", args=[request.pk])
    missing = client.post(url, {"reason": "  "})
    assert missing.status_code == 400
    assert missing.context["forms"]["send_back"].errors["reason"] == [
        "请填写理由，申请人将看到此理由。"
    ]
    request.refresh_from_db()
    assert request.status == S.PENDING_UNIT
    client.post(url, {"reason": "职称证书尚未下发，请取得后再申请。"})
    request.refresh_from_db()
    assert (request.status, request.reason, request.decided_role) == (
        S.REJECTED,
        "职称证书尚未下发，请取得后再申请。",
        "单位账号",
    )
    [sms] = SMSMessage.objects.all()
    assert sms.to == application_of(expert).mobile
    assert sms.body.endswith(
        f"您提交的专家信息变更申请被{unit.name}退回，原因：职称证书尚未下发，请取得后再申请。"
        "现行信息不变。如仍需变更，请登录系统，在“修改专家信息”中按理由修改后重新提交。"
    )
    client.force_login(expert)
    home = page(client.get(reverse("experts:home")))
    # The row says what the SMS said: 已退回, not 未通过 (a walk).
    assert "单位账号：职称证书尚未下发，请取得后再申请。" in home and "已退回" in home
    assert ">未通过<" not in home and "没有待审核的变更申请" not in home
    assert application_of(expert).title == "教授"


# --- the bureau ------------------------------------------------------------------------------


def test_the_bureau_approves_and_the_values_apply(client, expert, unit, other_unit, reviewer):
    approved_before = counts.for_unit(unit.pk)[ApplicationStatus.APPROVED]
    submit(client, expert, unit=other_unit, title="研究员", real_name="王建华", disciplines=["02"])
    request = ChangeRequest.objects.get()
    client.force_login(factories.unit_account(other_unit))
    client.post(reverse("changes:unit_confirm", args=[request.pk]), {"comment": ""})

    client.force_login(reviewer)
    queue = page(client.get(reverse("experts:bureau_queue")))
    assert "已入库专家信息变更审核" in queue
    listed = client.get(reverse("changes:bureau_list"))
    assert [row.pk for row in listed.context["rows"]] == [request.pk]
    detail = client.get(reverse("changes:bureau_detail", args=[request.pk]))
    assert [change.label for change in detail.context["changes"]] == [
        "姓名",
        "专业技术职称",
        "工作单位",
        "专业领域",
    ]
    response = client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})
    assert said(response) == ["王建国的变更申请已通过，新信息已生效，短信通知将在几秒内发出。"]

    application = application_of(expert)
    user = User.objects.get(pk=expert.pk)
    assert (application.title, application.unit_id, user.unit_id, user.real_name) == (
        "研究员",
        other_unit.pk,
        other_unit.pk,
        "王建华",
    )
    assert list(application.disciplines.values_list("code", flat=True)) == ["02"]
    assert (
        other_unit.name.lower() in application.search_text and "王建华" in application.search_text
    )
    row = application.history.get()
    assert (row.action, row.actor_id, row.comment) == (
        "apply_change",
        reviewer.pk,
        "姓名、专业技术职称、工作单位、专业领域",
    )
    assert row.get_action_display() == "信息变更"
    # The kept counts follow the move.
    assert counts.for_unit(unit.pk)[ApplicationStatus.APPROVED] == approved_before - 1
    assert counts.for_unit(other_unit.pk)[ApplicationStatus.APPROVED] == 1
    # One SMS to the expert (no number, no link), one to the old unit's contact.
    bodies = dict(SMSMessage.objects.values_list("to", "body"))
    # What changed, as the lists' 变更内容 says it; no 入库证明 was ever issued to go stale.
    assert bodies[application.mobile].endswith(
        "您提交的专家信息变更申请（姓名、专业技术职称、工作单位、专业领域）已审核通过，"
        "变更后的信息已生效。"
    )
    assert expert.id_number not in bodies[application.mobile]
    assert "http" not in bodies[application.mobile]
    told = bodies[unit.contact_mobile]
    assert "贵单位专家王建华已变更工作单位，已从贵单位专家名单中移出。" in told
    # Where the person went is not the old unit's to know.
    assert other_unit.name not in told
    assert SMSMessage.objects.count() == 2
    # Decided, the page no longer calls the old values those in force.
    text = re.sub(
        r"<[^>]+>", " ", page(client.get(reverse("changes:bureau_detail", args=[request.pk])))
    )
    assert "申请时工作单位" in text and "现工作单位" not in text
    assert "变更前" in text and "变更后" in text and "现行信息" not in text
    assert "生效" in text and "审核通过前" not in text


def test_an_approved_id_number_and_bank_account_reach_the_account(client, expert, reviewer):
    new_number = factories.resident_id(7003)
    request = key_request(expert, status=S.PENDING_BUREAU)
    from changes import fields

    request.values = fields.encode({"id_number": new_number, "bank_account": "6222020200112233453"})
    request.save()
    client.force_login(reviewer)
    client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})
    user = User.objects.get(pk=expert.pk)
    assert user.id_number == new_number
    assert user.id_number_index == User.id_index(user.id_type, new_number)
    assert application_of(expert).bank_account == "6222020200112233453"


def test_the_bureau_rejects_with_a_reason_and_nothing_applies(client, expert, reviewer):
    request = key_request(expert, status=S.PENDING_BUREAU)
    client.force_login(reviewer)
    url = reverse("changes:bureau_reject", args=[request.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert SMSMessage.objects.count() == 0
    response = client.post(url, {"reason": "未提供职称证明。"})
    assert said(response) == ["王建国的变更申请审核不通过，短信通知将在几秒内发出。"]
    request.refresh_from_db()
    assert (request.status, request.reason) == (S.REJECTED, "未提供职称证明。")
    assert application_of(expert).title == "教授"
    assert SMSMessage.objects.get().body.endswith(
        "您提交的专家信息变更申请审核不通过，原因：未提供职称证明。现行信息不变。"
        "如仍需变更，请登录系统，在“修改专家信息”中按理由修改后重新提交。"
    )
    text = page(client.get(reverse("changes:bureau_detail", args=[request.pk])))
    assert "本变更未生效（审核不通过），专家信息保持不变" in text
    assert "变更前" in text and "申请变更为" in text and "现行信息" not in text


def test_the_bureau_cannot_decide_before_the_unit_confirmed(client, expert, reviewer):
    request = key_request(expert)
    client.force_login(reviewer)
    response = client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})
    assert said(response) == [
        "当前状态为“待单位确认”，不能执行“审核通过”操作，可能已在其他窗口或由他人处理。"
    ]
    request.refresh_from_db()
    assert request.status == S.PENDING_UNIT


def test_a_second_approval_is_told_it_was_handled(client, expert, reviewer):
    request = key_request(expert, status=S.PENDING_BUREAU)
    client.force_login(reviewer)
    url = reverse("changes:bureau_approve", args=[request.pk])
    client.post(url, {"comment": ""})
    again = client.post(url, {"comment": ""})
    assert said(again)[-1:] == [
        "当前状态为“已通过”，不能执行“审核通过”操作，可能已在其他窗口或由他人处理。"
    ]
    assert application_of(expert).history.count() == 1
    assert SMSMessage.objects.count() == 1


def test_a_unit_that_is_no_longer_approved_cannot_be_moved_to(client, expert, other_unit, reviewer):
    request = key_request(expert, status=S.PENDING_BUREAU, new_unit=other_unit)
    type(other_unit).objects.filter(pk=other_unit.pk).update(status="rejected")
    client.force_login(reviewer)
    response = client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})
    assert said(response) == ["申请变更的新工作单位已不是已通过审核且启用的单位，不能通过。"]
    request.refresh_from_db()
    assert request.status == S.PENDING_BUREAU
    assert application_of(expert).unit_id != other_unit.pk


@pytest.mark.parametrize("rotated", [False, True], ids=["current-key", "former-key"])
def test_an_id_number_another_account_holds_is_refused_at_approval_and_nothing_changes(
    client, expert, unit, reviewer, settings, rotated
):
    """The other account may have taken the number after the request was made; while
    FIELD_HMAC_KEY is being rotated (docs/security.md) its hash may still be under the former
    key, listed in FIELD_HMAC_OLD_KEYS."""
    from changes import fields

    other = admitted(unit)
    request = key_request(expert, status=S.PENDING_BUREAU)
    request.values = fields.encode({"id_number": other.id_number})
    request.save()
    if rotated:
        settings.FIELD_HMAC_OLD_KEYS = [settings.FIELD_HMAC_KEY]
        settings.FIELD_HMAC_KEY = "the-new-hmac-key-of-a-rotation-not-yet-reindexed"
        assert other.id_number_index != User.id_index(other.id_type, other.id_number)
    accounts = dict(User.objects.values_list("pk", "id_number_index"))
    client.force_login(reviewer)

    response = client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})

    assert said(response) == ["申请变更的证件号码已被其他账号使用，不能通过。"]
    request.refresh_from_db()
    assert request.status == S.PENDING_BUREAU
    assert User.objects.get(pk=expert.pk).id_number == expert.id_number
    assert dict(User.objects.values_list("pk", "id_number_index")) == accounts
    assert application_of(expert).history.count() == 0
    assert SMSMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        ("expert", "changes:unit_confirm", 403),
        ("expert", "changes:bureau_approve", 403),
        ("unit", "changes:bureau_approve", 403),
        ("unit", "changes:bureau_reject", 403),
        ("reviewer", "changes:unit_confirm", 403),
        ("reviewer", "changes:unit_return", 403),
    ],
)
def test_the_wrong_role_is_forbidden(client, expert, unit, reviewer, role, url_name, expected):
    request = key_request(
        expert, status=S.PENDING_BUREAU if "bureau" in url_name else S.PENDING_UNIT
    )
    actor = {"expert": expert, "unit": factories.unit_account(unit), "reviewer": reviewer}[role]
    client.force_login(actor)
    response = client.post(reverse(url_name, args=[request.pk]), {"comment": "", "reason": "x"})
    assert response.status_code == expected
    assert ChangeRequest.objects.get().status == request.status


def test_a_reviewer_never_decides_their_own_change(client, reference_data, unit):
    expert = admitted(unit)
    expert.groups.add(factories.make_reviewer().groups.get())
    request = key_request(expert, status=S.PENDING_BUREAU)
    client.force_login(expert)
    response = client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})
    assert said(response) == ["您没有权限执行“审核通过”操作。"]


# --- lists at scale: a fixed number of queries whatever the rows --------------------------------


def grow(unit, n, status=S.PENDING_BUREAU, new_unit=None):
    for _ in range(n):
        key_request(admitted(unit), status=status, new_unit=new_unit)


@pytest.mark.parametrize("params", [{}, {"status": "all"}, {"q": "申请人"}, {"moving": "true"}])
def test_the_bureau_list_does_not_grow_with_rows(
    client, reference_data, unit, other_unit, reviewer, params
):
    client.force_login(reviewer)
    grow(unit, 2, new_unit=other_unit)
    few = queries_for(client, reverse("changes:bureau_list"), params)
    grow(factories.make_unit(), 10, new_unit=other_unit)
    many = queries_for(client, reverse("changes:bureau_list"), params)
    assert few == many
    assert len(client.get(reverse("changes:bureau_list"), params).context["rows"]) == 12


def test_the_unit_list_and_notice_do_not_grow_with_rows(client, reference_data, unit, other_unit):
    # other_unit confirms the moves to it; unit sees them moving away on 用户账号管理.
    grow(unit, 2, status=S.PENDING_UNIT, new_unit=other_unit)
    client.force_login(factories.unit_account(other_unit))
    few = queries_for(client, reverse("changes:unit_list"))
    client.force_login(factories.unit_account(unit))
    few_people = queries_for(client, reverse("experts:unit_people"))
    grow(unit, 10, status=S.PENDING_UNIT, new_unit=other_unit)
    assert queries_for(client, reverse("experts:unit_people")) == few_people
    client.force_login(factories.unit_account(other_unit))
    assert queries_for(client, reverse("changes:unit_list")) == few
    assert len(client.get(reverse("changes:unit_list")).context["rows"]) == 12


def test_the_experts_home_does_not_grow_with_changes(client, expert):
    client.force_login(expert)
    submit(client, expert, address="武汉市地址1号")
    few = queries_for(client, reverse("experts:home"))
    for n in range(2, 6):
        submit(client, expert, address=f"武汉市地址{n}号")
    submit(client, expert, title="研究员")
    many = queries_for(client, reverse("experts:home"))
    assert many == few


def test_a_disabled_unit_is_neither_offered_nor_accepted_as_the_new_unit(
    client, expert, other_unit, reviewer
):
    """A 停用 unit's accounts cannot sign in, so nobody would ever confirm the move."""
    type(other_unit).objects.filter(pk=other_unit.pk).update(is_active=False)
    client.force_login(expert)
    form = client.get(reverse("changes:edit")).context["form"]
    assert other_unit.pk not in {unit.pk for unit in form.fields["unit"].queryset}

    response = submit(client, expert, unit=other_unit)

    assert response.status_code == 400
    assert "请选择已通过审核的单位。" in page(response)
    assert not ChangeRequest.objects.exists()
    # And one already waiting for the bureau is refused when the unit is disabled meanwhile.
    type(other_unit).objects.filter(pk=other_unit.pk).update(is_active=True)
    request = key_request(expert, status=S.PENDING_BUREAU, new_unit=other_unit)
    type(other_unit).objects.filter(pk=other_unit.pk).update(is_active=False)
    client.force_login(reviewer)
    refused = client.post(reverse("changes:bureau_approve", args=[request.pk]), {"comment": ""})
    assert said(refused) == ["申请变更的新工作单位已不是已通过审核且启用的单位，不能通过。"]


def test_the_read_only_form_of_an_admitted_expert_points_to_the_change_form(client, expert):
    client.force_login(expert)
    text = page(client.get(reverse("experts:form")))
    assert "专家信息已提交，当前不能修改" not in text
    assert f'<a href="{reverse("changes:edit")}">修改专家信息</a>' in text


def test_the_units_list_says_what_its_button_does(client, expert, unit):
    key_request(expert)
    client.force_login(factories.unit_account(unit))
    assert ">查看并确认</a>" in page(client.get(reverse("changes:unit_list")))


def test_searching_keeps_only_the_moves_when_they_are_shown(client, expert, reviewer):
    client.force_login(reviewer)
    moves = page(client.get(reverse("changes:bureau_list"), {"moving": "true"}))
    form = moves.split('role="search"')[1].split("</form>")[0]
    assert '<input type="hidden" name="moving" value="true">' in form
    response = client.get(reverse("changes:bureau_list"))
    assert response.status_code == 200
    everything = page(response)
    assert 'role="search"' in everything
    assert 'name="moving"' not in everything


def test_an_expert_who_left_still_reads_their_changes_but_is_not_offered_new_ones(client, expert):
    submit(client, expert, address="武汉市洪山区珞喻路1号")
    ExpertApplication.objects.filter(user=expert).update(status=ApplicationStatus.EXITED)
    home = page(client.get(reverse("experts:home")))
    assert 'data-testid="change-history"' in home and "修改联系方式" in home
    assert "点击“修改专家信息”" not in home and reverse("changes:edit") not in home


def test_an_expert_who_left_with_no_changes_gets_no_changes_box(client, expert):
    ExpertApplication.objects.filter(user=expert).update(status=ApplicationStatus.FROZEN)
    client.force_login(expert)
    response = client.get(reverse("experts:home"))
    assert response.status_code == 200
    home = page(response)
    # The expert's own home, as frozen …
    status = home.split('data-testid="expert-status">')[1].split("</span></span>")[0]
    assert status.endswith(">已冻结")
    # … without a box of changes they never made.
    assert 'data-testid="my-changes"' not in home


def test_a_change_shows_each_value_as_the_read_only_form_does(expert):
    """One rule for how a value reads (portal.templating.field_text): a 信息变更's before
    texts are the read-only form's, field by field (the owner's view, nothing masked)."""
    from changes import fields
    from portal.templating import application_sections

    ExpertApplication.objects.filter(user=expert).update(
        work_started_on=datetime.date(2004, 9, 1), admin_position=""
    )
    application = ExpertApplication.objects.select_related("user__unit").get(user=expert)
    form = {
        label: text for _, rows in application_sections(expert, application) for label, text in rows
    }
    before = {
        fields.label(name): text for name, text in fields.shown(fields.current(application)).items()
    }
    assert before and {label: form[label] for label in before} == before
    # Each kind of value is in it: a choice, a date, a mobile, an empty one, 专业领域.
    assert before["性别"] == "男" and before["参加工作时间"] == "2004-09-01"
    assert before["手机"] == form["手机"] and before["行政职务"] == ""
    assert before["专业领域"]


def test_the_old_unit_reads_the_move_on_its_home_and_the_expert_on_theirs(
    client, expert, unit, other_unit, reviewer, django_capture_on_commit_callbacks
):
    """Found by a unit's walk: the SMS telling the old unit of the move was about the change
    request, which no page lists; the applicant's likewise in the sample data."""
    from changes import services

    submit(client, expert, unit=other_unit)
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    services.confirm_change(request, factories.unit_account(other_unit))
    request.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_change(request, reviewer)

    client.force_login(factories.unit_account(unit))
    assert "已从贵单位专家名单中移出" in page(client.get(reverse("accounts:unit_home")))
    client.force_login(expert)
    assert "变更申请（工作单位）已审核通过" in page(client.get(reverse("experts:home")))


def test_the_migration_points_earlier_change_sms_at_their_readers(expert, other_unit):
    from django.contrib.contenttypes.models import ContentType

    request = key_request(expert, new_unit=other_unit)
    kind = ContentType.objects.get_for_model(ChangeRequest)
    moved = SMSMessage.objects.create(
        to="+8613900000001",
        body="……已从贵单位专家名单中移出。",
        content_type=kind,
        object_id=request.pk,
    )
    told = SMSMessage.objects.create(
        to=expert.mobile,
        body="您提交的专家信息变更申请已审核通过",
        content_type=kind,
        object_id=request.pk,
    )
    migration = importlib.import_module("changes.migrations.0008_sms_about_unit_or_application")
    migration.point_at_readers(apps, None)
    moved.refresh_from_db()
    told.refresh_from_db()
    assert moved.about == request.old_unit
    assert told.about == request.application


def test_a_unit_that_returned_a_move_no_longer_reads_the_experts_record(
    client, expert, unit, other_unit
):
    """Found by a code review: the unit asked to take someone in kept, after it returned the
    request, a page showing that person's record as it is now (部门, masked ID and mobile)."""
    from changes import services

    submit(client, expert, unit=other_unit)
    request = ChangeRequest.objects.get(kind=ChangeKind.KEY)
    taker = factories.unit_account(other_unit)
    client.force_login(taker)
    url = reverse("changes:unit_detail", args=[request.pk])
    open_page = page(client.get(url))
    assert 'data-testid="who-id"' in open_page and 'data-testid="not-ours"' not in open_page

    services.return_change(request, taker, "不同意调入")
    ExpertApplication.objects.filter(user=expert).update(department="新设研究所")
    response = client.get(url)
    assert response.status_code == 200
    closed_page = page(response)
    assert "该专家现不属于本单位，本页只显示本申请的内容。" in closed_page
    assert "新设研究所" not in closed_page and 'data-testid="who-id"' not in closed_page
    assert masked_mobile(expert.mobile) not in closed_page
    assert "不同意调入" in closed_page  # the request and its history stay readable


def test_a_unit_reads_its_own_experts_closed_request_with_their_record(client, expert, unit):
    earlier = key_request(expert, status=ChangeStatus.REJECTED)
    ExpertApplication.objects.filter(user=expert).update(department="新设研究所")
    client.force_login(factories.unit_account(unit))
    own = page(client.get(reverse("changes:unit_detail", args=[earlier.pk])))
    assert "新设研究所" in own and 'data-testid="not-ours"' not in own
    # 所在部门 is a row of its own, not a bracket after the 职称 (found by the manual's walk).
    assert '<dt class="col-sm-3">所在部门</dt><dd class="col-sm-9">新设研究所</dd>' in own


def test_a_unit_whose_expert_moved_away_keeps_their_old_requests_without_their_record(
    client, expert, unit, other_unit
):
    earlier = key_request(expert, status=ChangeStatus.APPROVED)
    ExpertApplication.objects.filter(user=expert).update(unit=other_unit, department="调入后部门")
    client.force_login(factories.unit_account(unit))
    response = client.get(reverse("changes:unit_detail", args=[earlier.pk]))
    assert response.status_code == 200
    text = page(response)
    assert "该专家现不属于本单位" in text and "调入后部门" not in text
