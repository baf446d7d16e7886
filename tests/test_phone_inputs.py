"""Phone numbers are typed on a phone's number pad (phone walk, defect 2): every mobile and
office phone box is type=tel with the autocomplete token HTML gives it, and the server still
checks what is typed."""

import re

import pytest
from django.urls import reverse

from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def input_named(html: str, name: str) -> str:
    return re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)


def page(client, name: str, user=None) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def assert_tel(html: str, name: str, autocomplete: str) -> None:
    field = input_named(html, name)
    assert 'type="tel"' in field
    assert f'autocomplete="{autocomplete}"' in field


def test_registration_numbers_are_tel(client):
    assert_tel(page(client, "accounts:register_individual"), "mobile", "tel")
    assert_tel(page(client, "accounts:register_unit"), "contact_mobile", "tel")


def test_expert_form_numbers_are_tel(client, unit):
    html = page(client, "experts:form", factories.make_applicant(unit, ApplicationStatus.DRAFT))

    assert_tel(html, "mobile", "tel")
    assert_tel(html, "office_phone", "work tel")


def test_change_form_numbers_are_tel(client, unit):
    expert = factories.make_applicant(unit, ApplicationStatus.APPROVED)

    html = page(client, "changes:edit", expert)

    assert_tel(html, "mobile", "tel")
    assert_tel(html, "office_phone", "work tel")


def test_unit_profile_numbers_are_tel_and_still_checked(client, unit):
    html = page(client, "accounts:unit_profile", factories.unit_account(unit))
    refused = client.post(
        reverse("accounts:unit_profile"),
        {"office_phone": "call me", "contact_mobile": "12345", "legal_representative": "王"},
    )

    assert_tel(html, "contact_mobile", "tel")
    assert_tel(html, "office_phone", "work tel")
    errors = refused.context["form"].errors
    assert errors["office_phone"] == ["请输入有效的电话号码，例如027-85870766或027-85870766-123。"]
    assert "contact_mobile" in errors
    assert_tel(refused.content.decode(), "office_phone", "work tel")
