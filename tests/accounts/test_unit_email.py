"""找回密码 reaches a unit at the 电子邮箱 it keeps in 信息更改, not only the one it registered."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import UnitStatus
from tests import factories

pytestmark = pytest.mark.django_db

NEW_EMAIL = "hr-office@example.edu.cn"


def profile(unit, **changes) -> dict:
    """信息更改's fields as the unit's page posts them."""
    return {
        "nature": unit.nature,
        "district": unit.district,
        "address": unit.address,
        "legal_representative": "赵法人",
        "office_phone": "027-87541234",
        "postcode": "430071",
        "website": "",
        "contact_name": unit.contact_name,
        "contact_mobile": "13900139001",
        "email": unit.email,
        "introduction": "",
        **changes,
    }


def ask_for_reset(email: str):
    return Client().post(reverse("accounts:password_reset"), {"email": email})


def test_a_new_email_in_profile_is_the_one_password_reset_sends_to(unit):
    account = factories.unit_account(unit)
    old_email = unit.email
    client = Client()
    client.force_login(account)

    response = client.post(reverse("accounts:unit_profile"), profile(unit, email=NEW_EMAIL))

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.email == NEW_EMAIL
    ask_for_reset(NEW_EMAIL)
    assert [message.to for message in mail.outbox] == [[NEW_EMAIL]]
    assert account.username in mail.outbox[0].body
    mail.outbox.clear()
    ask_for_reset(old_email)
    assert mail.outbox == []
    # Audited: the address 找回密码 uses changed, by whom.
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(action=AuditEvent.Action.UNIT_PROFILE)
    assert event.actor == account and "电子邮箱" in event.detail
    assert event.detail.startswith("修改了：")


def test_saving_a_profile_leaves_the_units_people_addresses_alone(unit):
    applicant = factories.make_applicant(unit)
    own_email = applicant.email
    client = Client()
    client.force_login(factories.unit_account(unit))

    client.post(reverse("accounts:unit_profile"), profile(unit, email=NEW_EMAIL))

    applicant.refresh_from_db()
    assert applicant.email == own_email


def test_a_resubmission_with_a_new_email_moves_the_accounts_too(db):
    # The same rule wherever a unit's details are saved (信息更改, resubmission, admin).
    unit = factories.make_unit(UnitStatus.REJECTED)
    account = factories.unit_account(unit)
    unit.email = NEW_EMAIL

    services.resubmit_unit(unit, account, ["email"])

    account.refresh_from_db()
    assert account.email == NEW_EMAIL
