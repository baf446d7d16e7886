"""查看完整信息 (issue 19 point 11, PIPL's minimum-necessary rule): the detail pages show the
证件号码 and the 银行账号 masked; a POST with a reason shows the ones the viewer may see in full,
in that one response, and writes one audit event naming the fields and the reason."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from portal.templating import masked_bank_account, masked_id_number
from tests import factories

pytestmark = pytest.mark.django_db

BANK = "6217000010001234567"
VIEW = AuditEvent.Action.VIEW_PERSONAL_DATA


@pytest.fixture
def applicant(unit):
    person = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    ExpertApplication.objects.filter(user=person).update(bank_account=BANK)
    return person


@pytest.fixture
def unit_admin(unit):
    return factories.unit_account(unit)


def pages(applicant):
    pk = applicant.application.pk
    return {
        "unit": (
            reverse("experts:unit_detail", args=[pk]),
            reverse("experts:unit_reveal", args=[pk]),
        ),
        "bureau": (
            reverse("experts:bureau_detail", args=[pk]),
            reverse("experts:bureau_reveal", args=[pk]),
        ),
    }


def shown(response, applicant) -> set[str]:
    """Which whole numbers the page shows."""
    page = response.content.decode()
    numbers = {"id": applicant.id_number, "bank": BANK}
    return {kind for kind, number in numbers.items() if number in page}


def reveal_events():
    return list(AuditEvent.objects.filter(action=VIEW).order_by("pk"))


def said(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("page", ["unit", "bureau"])
def test_a_detail_page_masks_both_numbers_and_audits_nothing(
    client, applicant, unit_admin, reviewer, page
):
    client.force_login(unit_admin if page == "unit" else reviewer)
    response = client.get(pages(applicant)[page][0])
    assert response.status_code == 200
    assert shown(response, applicant) == set()
    body = response.content.decode()
    assert masked_id_number(applicant.id_number) in body
    assert masked_bank_account(BANK) in body
    assert "查看完整信息" in body
    # Nothing whole was shown, so nothing to audit (the old page wrote a row on every view).
    assert reveal_events() == []


def test_the_bureau_sees_both_numbers_once_and_one_event_names_them_and_the_reason(
    client, applicant, reviewer
):
    detail, reveal = pages(applicant)["bureau"]
    client.force_login(reviewer)
    data = {
        "reveal-numbers": ["id_number", "bank_account"],
        "reveal-reason": "verify_identity",
    }
    response = client.post(reveal, data)
    assert response.status_code == 200
    assert shown(response, applicant) == {"id", "bank"}
    assert "证件号码、银行账号已完整显示，仅限本次页面" in response.content.decode()
    assert "no-store" in response["Cache-Control"]  # not kept in the browser's history
    [event] = reveal_events()
    assert (event.actor, event.role, event.result) == (reviewer, "科技局审核员", "success")
    assert (event.object_type, event.object_id) == (
        "experts.expertapplication",
        str(applicant.application.pk),
    )
    assert event.detail == "查看证件号码、银行账号；事由：核实身份"
    # The page after it is masked again: nothing keeps the numbers open.
    again = client.get(detail)
    assert shown(again, applicant) == set()
    assert len(reveal_events()) == 1


def test_only_the_chosen_number_is_shown(client, applicant, reviewer):
    client.force_login(reviewer)
    response = client.post(
        pages(applicant)["bureau"][1],
        {"reveal-numbers": "bank_account", "reveal-reason": "check_bank"},
    )
    assert shown(response, applicant) == {"bank"}
    assert masked_id_number(applicant.id_number) in response.content.decode()
    # The one still masked is still offered.
    assert response.context["reveal_form"].fields["numbers"].choices == [("id_number", "证件号码")]
    assert [e.detail for e in reveal_events()] == ["查看银行账号；事由：核对银行信息"]


def test_the_unit_may_see_the_id_number_but_not_the_bank_account(client, applicant, unit_admin):
    detail, reveal = pages(applicant)["unit"]
    client.force_login(unit_admin)
    page = client.get(detail)
    offered = page.context["reveal_form"].fields["numbers"].choices
    assert offered == [("id_number", "证件号码")]
    # The page speaks of what the unit may open, and offers no reason it could not give
    # (found by a walk: 银行账号 and 核对银行信息 were offered, the account never shown).
    html = page.content.decode()
    assert "证件号码已部分隐藏" in html and "银行账号已部分隐藏" not in html
    assert "核对银行信息" not in html
    client.force_login(factories.make_reviewer())
    bureau = client.get(pages(applicant)["bureau"][0]).content.decode()
    assert "证件号码和银行账号已部分隐藏" in bureau and "核对银行信息" in bureau
    client.force_login(unit_admin)

    refused = client.post(reveal, {"reveal-numbers": "bank_account", "reveal-reason": "enquiry"})
    assert refused.status_code == 400
    assert shown(refused, applicant) == set()
    assert said(refused) == ["未显示完整信息：所选信息不能查看。"]
    assert reveal_events() == []

    response = client.post(reveal, {"reveal-numbers": "id_number", "reveal-reason": "enquiry"})
    assert response.status_code == 200
    assert shown(response, applicant) == {"id"}
    [event] = reveal_events()
    assert (event.role, event.detail) == ("单位账号", "查看证件号码；事由：处理申请人咨询")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reveal-numbers": "id_number"}, "请选择查看事由。"),
        ({"reveal-numbers": "id_number", "reveal-reason": "curious"}, "请从列表中选择查看事由。"),
        (
            {"reveal-numbers": "id_number", "reveal-reason": "other"},
            "选择“其他”时，请填写事由说明。",
        ),
        (
            {"reveal-numbers": "id_number", "reveal-reason": "other", "reveal-note": "   "},
            "选择“其他”时，请填写事由说明。",
        ),
        ({"reveal-reason": "verify_identity"}, "请选择要查看的信息。"),
        ({"reveal-numbers": "salary", "reveal-reason": "verify_identity"}, "所选信息不能查看。"),
    ],
)
def test_a_missing_or_invalid_reason_shows_the_page_again_with_nothing_revealed(
    client, applicant, reviewer, data, message
):
    client.force_login(reviewer)
    response = client.post(pages(applicant)["bureau"][1], data)
    assert response.status_code == 400
    assert shown(response, applicant) == set()
    assert said(response) == [f"未显示完整信息：{message}"]
    assert message in response.content.decode()  # beside its field too
    assert reveal_events() == []


def test_another_reason_is_recorded_in_its_own_words(client, applicant, reviewer):
    client.force_login(reviewer)
    client.post(
        pages(applicant)["bureau"][1],
        {"reveal-numbers": "id_number", "reveal-reason": "other", "reveal-note": " 配合纪检核查 "},
    )
    assert [e.detail for e in reveal_events()] == ["查看证件号码；事由：其他：配合纪检核查"]


def test_the_audit_event_never_holds_a_whole_number(client, applicant, reviewer):
    client.force_login(reviewer)
    client.post(
        pages(applicant)["bureau"][1],
        {
            "reveal-numbers": ["id_number", "bank_account"],
            "reveal-reason": "other",
            "reveal-note": "核对",
        },
    )
    [event] = reveal_events()
    written = f"{event.detail} {event.object_repr} {event.object_id}"
    assert applicant.id_number not in written and BANK not in written


def test_an_empty_bank_account_is_not_offered(client, applicant, reviewer):
    ExpertApplication.objects.filter(user=applicant).update(bank_account="")
    client.force_login(reviewer)
    form = client.get(pages(applicant)["bureau"][0]).context["reveal_form"]
    assert form.fields["numbers"].choices == [("id_number", "证件号码")]


def test_nothing_to_reveal_before_the_form_is_first_submitted(client, unit, reviewer):
    draft = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(reviewer)
    pk = draft.application.pk
    assert client.get(reverse("experts:bureau_detail", args=[pk])).context["reveal_form"] is None
    response = client.post(
        reverse("experts:bureau_reveal", args=[pk]),
        {"reveal-numbers": "id_number", "reveal-reason": "verify_identity"},
    )
    assert response.status_code == 400
    assert draft.id_number not in response.content.decode()
    assert said(response)[0].startswith("未显示完整信息：")
    assert "该申请没有可查看的完整信息。" in said(response)[0]
    assert reveal_events() == []


def test_the_reveal_needs_a_post_with_the_csrf_token(applicant, reviewer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    reveal = pages(applicant)["bureau"][1]
    data = {"reveal-numbers": "id_number", "reveal-reason": "verify_identity"}
    assert client.get(reveal, data).status_code == 405
    assert client.post(reveal, data).status_code == 403
    assert reveal_events() == []


def test_the_applicant_sees_their_own_numbers_in_full(client, applicant):
    client.force_login(applicant)
    response = client.get(reverse("experts:form"))  # read-only once submitted
    assert response.status_code == 200
    assert "专家信息已提交，当前不能修改。" in response.content.decode()
    assert shown(response, applicant) == {"id", "bank"}
    assert "查看完整信息" not in response.content.decode()  # nothing to ask for
    assert reveal_events() == []
