"""Every page, as every role, scanned for whole ID, bank and mobile numbers: the applicant's own
pages show theirs; an application's (or a 变更申请's) detail page shows the mobile to its unit and
the bureau; the
ID and bank numbers are masked on every page anyone else GETs (查看完整信息, a POST with a
reason, shows them: tests/experts/test_reveal.py)."""

import datetime

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import reverse

from accounts.validators import display_mobile
from experts import services
from experts.models import ExpertApplication
from sms.models import SMSMessage
from tests.test_access_table import ROLES, TABLE, admin_urls, build_world

pytestmark = pytest.mark.django_db

BANK = "6217000010001234567"  # this applicant's own, unlike every other one's
# Detail pages where a whole number may be shown by default: the mobile, to the applicant's unit
# and the bureau, who call the applicant (one rule, experts.permissions.may_read_mobile, on an
# application's and a 变更申请's page alike). The ID and bank numbers are masked there too
# (issue 19 point 11, PIPL's minimum-necessary rule).
DETAIL_PAGES = {
    "experts:unit_detail",
    "experts:bureau_detail",
    "changes:unit_detail",
    "changes:bureau_detail",
}


def pages_for(world, role):
    for name, (kwargs_for, expected) in TABLE.items():
        if expected[role] == 200:
            yield name, reverse(name, kwargs=kwargs_for(world) if kwargs_for else None)
    if role == "operator":
        for url in admin_urls():
            yield "admin", url
        application = world["application"]
        yield "admin", reverse("admin:accounts_user_change", args=[application.user_id])
        yield "admin", reverse("admin:experts_expertapplication_change", args=[application.pk])
        for message in SMSMessage.objects.all():
            yield "admin", reverse("admin:sms_smsmessage_change", args=[message.pk])


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_whole_number_it_should_not(world, role):
    application = world["application"]
    ExpertApplication.objects.filter(pk=application.pk).update(
        bank_account=BANK, birth_date=datetime.date(1961, 10, 12)
    )
    person = application.user
    services.approve_application(application, world["users"]["reviewer"])  # an SMS row too
    secrets = {
        "id": person.id_number,
        "bank": BANK,
        "mobile": display_mobile(application.mobile),
        # With the masked number's first and last digits, the whole birth date would leave one
        # or two possible ID numbers: its year only (PIPL walk).
        "birth date": "1961-10-12",
    }
    client = Client()
    if world["users"][role] is not None:
        client.force_login(world["users"][role])
    tried = 0
    for name, url in pages_for(world, role):
        response = client.get(url)
        if response.streaming:  # the licence scan: a picture, no text to scan
            continue
        page = response.content.decode()
        tried += 1
        allowed = set()
        if role == "applicant":
            allowed = {"id", "bank", "mobile", "birth date"}  # their own
        elif name in DETAIL_PAGES:
            allowed = {"mobile"}
        shown = {kind for kind, number in secrets.items() if number in page}
        if "1961年10月12日" in page:  # the birth date as Django's Chinese locale writes it
            shown.add("birth date")
        assert shown <= allowed, f"{role} sees whole {shown - allowed} on {url}"
    assert tried >= 1 or role == "anonymous"
    assert admin_site.is_registered(SMSMessage)
