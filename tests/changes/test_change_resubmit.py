"""An expert whose 信息变更 was sent back (退回) or refused (审核不通过) carries on: the words agree
with the SMS, the home page shows the reason and 修改后重新提交, which opens 修改专家信息 with the
values the request asked; the SMS say where to resubmit and, on approval, what changed.

Found by an outside walk of an expert's year: after a 退回 the home page said 没有待审核的变更申请,
the row read 未通过, and the form showed the values in force, the reason nowhere."""

import re

import pytest
from django.urls import reverse

from certificates.services import certificate_for
from changes import services
from changes.models import ChangeRequest, ChangeStatus
from experts.models import ExpertApplication
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import (
    admitted,
    application_of,
    page,
    post_data,
    proof_file,
    said,
    submit,
)
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
S = ChangeStatus
HOME = reverse("experts:home")
EDIT = reverse("changes:edit")
REASON = "职称证书扫描件不清晰，请重新上传。"


@pytest.fixture
def expert(reference_data, unit):
    return admitted(unit, name="王建国")


def asked_title(client, expert, title="研究员") -> ChangeRequest:
    """A 职称 change with its certificate, through the form."""
    submit(client, expert, title=title, proof_title=proof_file("研究员证书.pdf"))
    return ChangeRequest.objects.filter(status=S.PENDING_UNIT).get()


def returned_by_unit(client, expert, unit) -> ChangeRequest:
    change = asked_title(client, expert)
    services.return_change(change, factories.unit_account(unit), REASON)
    change.refresh_from_db()
    return change


def refused_by_bureau(client, expert, unit, reviewer) -> ChangeRequest:
    change = asked_title(client, expert)
    services.confirm_change(change, factories.unit_account(unit))
    services.reject_change(change, reviewer, "研究员任职时间不足。")
    change.refresh_from_db()
    return change


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\s*<[^>]+>\s*", "", html))


# --- the words agree with who decided --------------------------------------------------------


def test_a_request_the_unit_sent_back_reads_returned_everywhere(client, expert, unit, reviewer):
    change = returned_by_unit(client, expert, unit)
    assert change.status_display == "已退回" and change.sent_back
    client.force_login(expert)
    home = page(client.get(HOME))
    assert 'status-badge">已退回<' in home and ">未通过<" not in home
    client.force_login(reviewer)
    listed = page(client.get(reverse("changes:bureau_list"), {"status": S.REJECTED}))
    assert 'status-badge">已退回<' in listed
    detail = text_of(page(client.get(reverse("changes:bureau_detail", args=[change.pk]))))
    assert "本变更未生效（已退回）" in detail
    # Its history's 状态变化 in the same words.
    assert "待单位确认 → 已退回" in detail


def test_a_request_the_bureau_refused_reads_refused(client, expert, unit, reviewer):
    change = refused_by_bureau(client, expert, unit, reviewer)
    assert change.status_display == "审核不通过" and not change.sent_back
    client.force_login(expert)
    home = page(client.get(HOME))
    assert 'status-badge">审核不通过<' in home
    client.force_login(factories.unit_account(unit))
    listed = page(client.get(reverse("changes:unit_list"), {"status": S.REJECTED}))
    assert 'status-badge">审核不通过<' in listed
    detail = text_of(page(client.get(reverse("changes:unit_detail", args=[change.pk]))))
    assert "待科技局审核 → 审核不通过" in detail


# --- the home page: the reason and 修改后重新提交 ---------------------------------------------


def test_the_home_page_shows_the_reason_the_files_and_the_way_back(client, expert, unit):
    change = returned_by_unit(client, expert, unit)
    client.force_login(expert)
    home = page(client.get(HOME))
    assert "没有待审核的变更申请" not in home
    block = text_of(re.search(r'data-testid="returned-change".*?</div>', home, re.S).group(0))
    assert f"您的变更申请（专业技术职称）已被{unit.name}退回，现行信息不变。" in block
    assert f"退回理由：{REASON}" in block
    assert "该申请所附证明材料：职称证书“研究员证书.pdf”。重新提交不会沿用这些文件" in block
    assert f'href="{EDIT}?resubmit={change.pk}">修改后重新提交</a>' in home
    # Once another request is made, the returned one is history only.
    submit(client, expert, title="正高级工程师", proof_title=proof_file())
    assert 'data-testid="returned-change"' not in page(client.get(HOME))


def test_the_home_page_says_who_refused(client, expert, unit, reviewer):
    refused_by_bureau(client, expert, unit, reviewer)
    client.force_login(expert)
    block = text_of(page(client.get(HOME)))
    assert "您的变更申请（专业技术职称）经市科技局审核不通过，现行信息不变。" in block
    assert "不通过理由：研究员任职时间不足。" in block


def test_a_request_withdrawn_or_approved_offers_no_resubmission(client, expert, unit, reviewer):
    change = asked_title(client, expert)
    client.post(reverse("changes:withdraw", args=[change.pk]))
    assert "修改后重新提交" not in page(client.get(HOME))
    assert "没有待审核的变更申请" in page(client.get(HOME))


def test_the_home_page_with_a_returned_request_does_not_grow_with_files(client, expert, unit):
    change = returned_by_unit(client, expert, unit)
    client.force_login(expert)
    few = queries_for(client, HOME)
    for n in range(2):
        change.attachments.create(
            kind="other",
            file=f"changes/x{n}.pdf",
            original_name=f"x{n}.pdf",
            size=10,
            sha256="0" * 64,
        )
    assert queries_for(client, HOME) == few


# --- the prefilled form -----------------------------------------------------------------------


def test_resubmit_opens_the_form_with_the_values_asked_and_the_reason(client, expert, unit):
    change = returned_by_unit(client, expert, unit)
    client.force_login(expert)
    response = client.get(EDIT, {"resubmit": change.pk})
    assert response.status_code == 200
    assert response.context["form"]["title"].value() == "研究员"  # not 教授, in force
    html = page(response)
    top = text_of(html[: html.index('data-testid="change-rules"')])
    assert "您的变更申请（专业技术职称）已被" in text_of(html) and f"退回理由：{REASON}" in text_of(
        html
    )
    assert f"退回理由：{REASON}" in top  # at the top, above the rules
    assert "下方关键信息已按该申请所填的值显示" in text_of(html)
    assert "研究员证书.pdf" in html and "请在“证明材料”中重新选择上传" in text_of(html)
    assert f"?resubmit={change.pk}" not in html  # no link to itself


def test_the_plain_form_offers_the_way_back(client, expert, unit):
    change = returned_by_unit(client, expert, unit)
    client.force_login(expert)
    response = client.get(EDIT)
    assert response.context["form"]["title"].value() == "教授"
    html = page(response)
    assert f"退回理由：{REASON}" in text_of(html)
    assert f'href="{EDIT}?resubmit={change.pk}">修改后重新提交</a>' in html


def test_saving_the_prefilled_form_makes_a_new_request(client, expert, unit):
    change = returned_by_unit(client, expert, unit)
    client.force_login(expert)
    url = f"{EDIT}?resubmit={change.pk}"
    data = post_data(expert, title="研究员", proof_title=proof_file("清晰的证书.pdf"))
    response = client.post(url, data)
    assert response.status_code == 302
    assert any(m.startswith("变更申请已重新提交（专业技术职称）") for m in said(response))
    change.refresh_from_db()
    assert change.status == S.REJECTED  # the returned one stays as it was decided
    new = ChangeRequest.objects.get(status=S.PENDING_UNIT)
    assert new.pk != change.pk and new.changed_labels == "专业技术职称"
    assert list(new.attachments.values_list("original_name", flat=True)) == ["清晰的证书.pdf"]
    assert [row.action for row in new.history.all()] == ["submit"]
    assert application_of(expert).title == "教授"


def test_the_prefilled_title_still_needs_its_certificate(client, expert, unit):
    """Prefilled, the 职称 is not yet asked: saved without a certificate it is refused beside
    the file box, which says to choose the file again, the reason still at the top."""
    change = returned_by_unit(client, expert, unit)
    client.force_login(expert)
    response = client.post(
        f"{EDIT}?resubmit={change.pk}", post_data(expert, title="研究员", proof_title="")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["proof_title"] == [
        "修改了专业技术职称，须上传职称证书作为证明材料。"
    ]
    html = page(response)
    assert "请重新选择要上传的文件（出错后浏览器不会保留已选的文件）" in html
    assert f"退回理由：{REASON}" in text_of(html)
    assert ChangeRequest.objects.filter(status=S.PENDING_UNIT).count() == 0


def test_an_old_resubmit_link_opens_the_values_in_force(client, expert, unit):
    change = returned_by_unit(client, expert, unit)
    client.force_login(expert)
    submit(client, expert, title="正高级工程师", proof_title=proof_file())
    response = client.get(EDIT, {"resubmit": change.pk})
    assert response.status_code == 200
    assert response.context["form"]["title"].value() == "正高级工程师"  # the open request's
    assert said(response)[-1] == (
        "这份变更申请已不是您最近一份被退回或审核不通过的申请，不能据此重新提交；"
        "下方显示现行信息（或您正在审核中的变更申请）。"
    )
    assert 'data-testid="returned-change"' not in page(response)
    # Another person's request is not theirs to open.
    other = admitted(unit, name="李四")
    client.force_login(other)
    response = client.get(EDIT, {"resubmit": change.pk})
    assert response.context["form"]["title"].value() == "教授" and REASON not in page(response)


# --- 3: a chosen file is said to be chosen again ----------------------------------------------


def test_a_refused_page_says_beside_the_chosen_file_box_to_choose_it_again(client, expert):
    client.force_login(expert)
    data = post_data(expert, title="研究员", proof_title=proof_file(), email="不是邮箱")
    response = client.post(EDIT, data)
    assert response.status_code == 400
    html = page(response)
    hint = re.search(r'id="id_proof_title_helptext"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "请重新选择要上传的文件（出错后浏览器不会保留已选的文件）" in hint
    other = re.search(r'id="id_proof_other_helptext"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "请重新选择" not in other


def test_no_note_when_no_file_was_chosen_nor_needed(client, expert):
    client.force_login(expert)
    response = client.post(EDIT, post_data(expert, email="不是邮箱"))
    assert response.status_code == 400
    assert 'data-testid="reselect"' not in page(response)
    assert 'data-testid="reselect"' not in page(client.get(EDIT))


# --- the SMS ----------------------------------------------------------------------------------


def test_the_refusal_sms_says_where_to_resubmit(client, expert, unit, reviewer):
    refused_by_bureau(client, expert, unit, reviewer)
    body = SMSMessage.objects.get(to=application_of(expert).mobile).body
    assert body == (
        "【武汉市科技局专家入库系统】王建国您好，您提交的专家信息变更申请审核不通过，"
        "原因：研究员任职时间不足。现行信息不变。"
        "如仍需变更，请登录系统，在“修改专家信息”中按理由修改后重新提交。"
    )
    assert "http" not in body and expert.id_number not in body


def test_the_approval_sms_names_what_changed(client, expert, unit, reviewer):
    change = asked_title(client, expert)
    services.confirm_change(change, factories.unit_account(unit))
    services.approve_change(change, reviewer)
    body = SMSMessage.objects.get(to=application_of(expert).mobile).body
    assert body.endswith("您提交的专家信息变更申请（专业技术职称）已审核通过，变更后的信息已生效。")


def test_the_approval_sms_of_a_move_says_the_certificate_is_reissued(
    client, expert, unit, other_unit, reviewer
):
    application = ExpertApplication.objects.select_related("user", "unit").get(user=expert)
    factories.past_notice(application)
    certificate_for(application)
    submit(client, expert, unit=other_unit)
    change = ChangeRequest.objects.get(status=S.PENDING_UNIT)
    services.confirm_change(change, factories.unit_account(other_unit))
    services.approve_change(change, reviewer)
    body = SMSMessage.objects.get(to=application_of(expert).mobile).body
    assert body.endswith(
        "您提交的专家信息变更申请（工作单位）已审核通过，变更后的信息已生效。"
        "您此前下载的入库证明已失效，请登录系统重新下载。"
    )


def test_a_change_the_certificate_does_not_print_leaves_it_alone(client, expert, unit, reviewer):
    application = ExpertApplication.objects.select_related("user", "unit").get(user=expert)
    factories.past_notice(application)
    certificate_for(application)
    change = asked_title(client, expert)
    services.confirm_change(change, factories.unit_account(unit))
    services.approve_change(change, reviewer)
    body = SMSMessage.objects.get(to=application_of(expert).mobile).body
    assert "入库证明" not in body
