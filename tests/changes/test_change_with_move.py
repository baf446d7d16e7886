"""What an expert changes together with a move to another unit: 所在部门 and 行政职务 are posts
within a unit, so typed with a new 工作单位 they wait for the move and apply only with it; typed
alone they apply at once, as before (found by a unit's walk)."""

import pytest
from django.urls import reverse

from changes import services
from changes.models import ChangeKind, ChangeRequest, ChangeStatus
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import admitted, application_of, page, said, submit

pytestmark = pytest.mark.django_db
S = ChangeStatus
WAITS = "等待新单位确认后由市科技局审核"


@pytest.fixture
def expert(reference_data, unit):
    return admitted(unit, name="王建国")


def the_move() -> ChangeRequest:
    return ChangeRequest.objects.get(kind=ChangeKind.KEY)


def confirmed(move, other_unit) -> ChangeRequest:
    services.confirm_change(move, factories.unit_account(other_unit))
    move.refresh_from_db()
    return move


@pytest.mark.parametrize(
    ("field", "typed", "label", "labels"),
    [
        ("department", "光电研究所", "所在部门", "工作单位、所在部门"),
        ("admin_position", "所长", "行政职务", "行政职务、工作单位"),
    ],
)
def test_a_post_typed_with_a_move_waits_for_the_move(
    client, expert, unit, other_unit, field, typed, label, labels
):
    before = getattr(application_of(expert), field)

    response = submit(client, expert, unit=other_unit, **{field: typed})

    assert response.status_code == 302
    assert said(response) == [
        f"变更申请已提交（{labels}），{WAITS}；{label}随工作单位变更一并审核。"
        "审核通过前，专家库仍使用现行信息。"
    ]
    assert getattr(application_of(expert), field) == before
    assert application_of(expert).history.count() == 0
    move = the_move()  # and no record of a change applied at once
    assert ChangeRequest.objects.count() == 1
    assert move.values == {"unit": other_unit.pk, field: typed}
    assert move.changed_labels == labels
    # The old unit reads the post in force while the move waits.
    client.force_login(factories.unit_account(unit))
    people = page(client.get(reverse("experts:unit_detail", args=[application_of(expert).pk])))
    assert typed not in people


def test_the_new_unit_and_the_bureau_read_the_new_department_in_the_diff(
    client, expert, other_unit, reviewer
):
    submit(client, expert, unit=other_unit, department="光电研究所")
    move = the_move()
    client.force_login(factories.unit_account(other_unit))
    diff = client.get(reverse("changes:unit_detail", args=[move.pk])).context["changes"]
    assert [(row.label, row.old, row.new) for row in diff if row.label == "所在部门"] == [
        ("所在部门", "机械学院", "光电研究所")
    ]
    confirmed(move, other_unit)
    client.force_login(reviewer)
    diff = client.get(reverse("changes:bureau_detail", args=[move.pk])).context["changes"]
    assert [row.label for row in diff] == ["工作单位", "所在部门"]
    client.force_login(expert)
    assert "光电研究所" in page(client.get(reverse("experts:home")))  # the pending diff


def test_the_department_applies_when_the_move_is_approved(client, expert, other_unit, reviewer):
    submit(client, expert, unit=other_unit, department="光电研究所", admin_position="所长")
    move = confirmed(the_move(), other_unit)
    client.force_login(reviewer)

    client.post(reverse("changes:bureau_approve", args=[move.pk]), {"comment": ""})

    application = application_of(expert)
    assert (application.unit_id, application.department, application.admin_position) == (
        other_unit.pk,
        "光电研究所",
        "所长",
    )
    assert application.history.get().comment == "行政职务、工作单位、所在部门"


def _return(client, move, other_unit, reviewer, expert):
    client.force_login(factories.unit_account(other_unit))
    client.post(reverse("changes:unit_return", args=[move.pk]), {"reason": "未签订聘用合同"})


def _reject(client, move, other_unit, reviewer, expert):
    confirmed(move, other_unit)
    client.force_login(reviewer)
    client.post(reverse("changes:bureau_reject", args=[move.pk]), {"reason": "材料不全"})


def _withdraw(client, move, other_unit, reviewer, expert):
    client.force_login(expert)
    client.post(reverse("changes:withdraw", args=[move.pk]))


@pytest.mark.parametrize("ending", [_return, _reject, _withdraw], ids=["退回", "未通过", "撤回"])
def test_a_move_that_does_not_happen_leaves_the_department_as_it_was(
    client, expert, unit, other_unit, reviewer, ending
):
    submit(client, expert, unit=other_unit, department="光电研究所", admin_position="所长")
    move = the_move()

    ending(client, move, other_unit, reviewer, expert)

    move.refresh_from_db()
    assert move.status in (S.REJECTED, S.WITHDRAWN)
    application = application_of(expert)
    assert (application.unit_id, application.department, application.admin_position) == (
        unit.pk,
        "机械学院",
        "",
    )
    assert application.history.count() == 0
    # Its SMS, if any, says 现行信息不变: now true.
    assert all("现行信息不变" in body for body in SMSMessage.objects.values_list("body", flat=True))


def test_a_department_alone_applies_at_once_as_before(client, expert):
    response = submit(client, expert, department="光电研究所")

    assert said(response) == ["所在部门已修改并生效。"]
    assert application_of(expert).department == "光电研究所"
    record = ChangeRequest.objects.get()
    assert (record.kind, record.status) == (ChangeKind.DETAILS, S.APPLIED)


def test_a_department_with_a_key_change_but_no_move_applies_at_once(client, expert, unit):
    response = submit(client, expert, title="研究员", department="光电研究所")

    assert said(response) == [
        "所在部门已修改并生效。",
        "变更申请已提交（专业技术职称），等待所在单位确认后由市科技局审核；"
        "审核通过前，专家库仍使用现行信息。",
        "证明材料“title.pdf”已上传。",
    ]
    assert application_of(expert).department == "光电研究所"
    assert the_move().values == {"title": "研究员"}


def test_with_a_move_the_page_says_what_took_effect_and_what_waits(client, expert, other_unit):
    response = submit(
        client, expert, unit=other_unit, department="光电研究所", mobile="13900001111"
    )

    assert said(response) == [
        "手机已修改并生效。",
        f"变更申请已提交（工作单位、所在部门），{WAITS}；所在部门随工作单位变更一并审核。"
        "审核通过前，专家库仍使用现行信息。",
    ]
    application = application_of(expert)
    assert (application.mobile, application.department) == ("+8613900001111", "机械学院")


def test_a_department_typed_while_a_move_waits_for_its_unit_joins_the_move(
    client, expert, other_unit
):
    submit(client, expert, unit=other_unit)
    # The form shows the move asked for; the expert now types the new unit's department.
    client.force_login(expert)
    shown = client.get(reverse("changes:edit")).context["form"]["unit"].value()
    assert shown == other_unit.pk

    response = submit(client, expert, unit=other_unit, department="光电研究所")

    assert said(response)[-1].startswith("变更申请已更新（工作单位、所在部门）")
    assert the_move().values == {"unit": other_unit.pk, "department": "光电研究所"}
    assert application_of(expert).department == "机械学院"
    # Sent again, the same page changes nothing, and the form shows the department asked for.
    again = submit(client, expert, unit=other_unit, department="光电研究所")
    assert said(again)[-1:] == ["您没有修改任何信息。"]
    shown = client.get(reverse("changes:edit"))
    assert shown.context["form"]["department"].value() == "光电研究所"
    note = page(shown).split('data-testid="pending-note">')[1].split("</div>")[0]
    assert "下方关键信息及所在部门、行政职务显示为申请变更后的值" in note


def test_a_department_for_a_move_the_unit_confirmed_is_refused_and_nothing_saved(
    client, expert, other_unit
):
    submit(client, expert, unit=other_unit, department="光电研究所")
    confirmed(the_move(), other_unit)

    response = submit(
        client, expert, unit=other_unit, department="激光研究所", address="武汉市新地址1号"
    )

    assert response.status_code == 400
    assert said(response)[-1:] == [
        "您的变更申请已由单位确认，正在等待市科技局审核。所在部门随工作单位变更一并审核，"
        "审核完成前不能再修改；如需修改，请先在首页撤回该变更申请。"
        "本次填写的修改均未保存，请调整后重新保存。"
    ]
    application = application_of(expert)
    assert (application.department, application.address) == ("机械学院", "武汉市洪山区珞喻路1037号")
    assert the_move().values == {"unit": other_unit.pk, "department": "光电研究所"}


def test_the_form_says_a_department_goes_with_a_move(client, expert):
    client.force_login(expert)
    text = page(client.get(reverse("changes:edit")))
    rules = text.split('data-testid="change-rules"')[1].split("</div>")[0]
    assert "更换工作单位时一并修改的所在部门、行政职务随变更申请审核" in rules
    form = client.get(reverse("changes:edit")).context["form"]
    assert form.fields["department"].help_text == (
        "与工作单位一并修改的，随变更申请审核，新单位确认、科技局审核通过后生效；单独修改的保存后立即生效。"
    )


def test_setting_the_unit_back_does_not_apply_the_moves_department(
    client, expert, unit, other_unit
):
    """A second read of the diff: the form fills 所在部门 from the open move; set back to the
    old unit with the department left as filled, the new unit's department was applied at once
    under the old unit ("apply with the move, or not at all")."""
    before = application_of(expert).department
    submit(client, expert, unit=other_unit, department="光电研究所", title="研究员")

    response = submit(client, expert, unit=unit, department="光电研究所", title="研究员")

    assert response.status_code == 302
    assert application_of(expert).department == before
    assert the_move().values == {"title": "研究员"}  # the move dropped, the title still asked
    # A department typed anew for the old unit is the expert's to change at once.
    submit(client, expert, unit=unit, department="机械学院二系", title="研究员")
    assert application_of(expert).department == "机械学院二系"
