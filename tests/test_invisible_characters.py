"""Characters no one sees, and full-width letters and digits, in what people type (portal.forms
plain_text): found by a probe that registered 武汉示范大学<U+200B> beside 武汉示范大学, an expert
张<U+200B>明 whom 张明 neither found nor avoided, and a reason that read backwards in its SMS."""

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from accounts.models import Unit, User
from experts.models import ApplicationStatus, ApplicationTransition
from portal.forms import PortalFormMixin, plain_text
from sms.models import SMSMessage
from tests import factories
from tests.accounts.test_registration import SAME_NAME, individual_data, unit_data

pytestmark = pytest.mark.django_db

ZERO_WIDTH = "\u200b"
RIGHT_TO_LEFT = "\u202e"


@pytest.mark.parametrize(
    "typed, one_line, kept",
    [
        ("张\u200b明", True, "张明"),
        ("\ufeff武汉示范大学\u2060", True, "武汉示范大学"),
        ("武汉天３号医院", True, "武汉天3号医院"),
        ("ＡＢＣ研究院", True, "ABC研究院"),
        # Full-width punctuation is how Chinese is written: it stays.
        ("武汉（中国）研究院，一部：二室", True, "武汉（中国）研究院，一部：二室"),
        # Over several lines (a reason, a résumé) the characters shown stay as typed.
        ("会议室\u202e３０１\u202c", False, "会议室３０１"),
    ],
)
def test_plain_text(typed, one_line, kept):
    assert plain_text(typed, one_line=one_line) == kept


class Sample(PortalFormMixin, forms.Form):
    name = forms.CharField()
    secret = forms.CharField(widget=forms.PasswordInput)


def test_a_password_is_left_as_it_was_sent():
    form = Sample({"name": "王\u200b五", "secret": "ab\u200bＣ"})
    assert form.is_valid()
    assert form.cleaned_data == {"name": "王五", "secret": "ab\u200bＣ"}


def test_a_units_name_with_an_invisible_or_full_width_character_is_the_same_name(client, unit):
    unit.name = "武汉天3号医院"
    unit.save(update_fields=["name"])
    for name in ["武汉天3号医院" + ZERO_WIDTH, "武汉天３号医院"]:
        response = client.post(reverse("accounts:register_unit"), unit_data(name=name))
        assert response.context["form"].errors["name"] == [SAME_NAME]
    assert Unit.objects.count() == 1


def test_a_name_of_invisible_characters_is_no_name(client, unit):
    blank = ZERO_WIDTH * 2
    response = client.post(
        reverse("accounts:register_individual"), individual_data(unit, real_name=blank)
    )
    assert "real_name" in response.context["form"].errors
    assert not User.objects.filter(username="wangwu").exists()

    response = client.post(
        reverse("accounts:register_individual"),
        individual_data(unit, real_name="张" + ZERO_WIDTH + "明"),
    )
    assert response.status_code == 302
    assert User.objects.get(username="wangwu").real_name == "张明"


def test_a_reason_does_not_reach_the_sms_backwards(unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="赵磊")
    unit_client = Client()
    unit_client.force_login(factories.unit_account(unit))
    response = unit_client.post(
        reverse("experts:unit_return", args=[applicant.application.pk]),
        {"reason": "请补充材料" + RIGHT_TO_LEFT + "evil"},
    )
    assert response.status_code == 302
    row = ApplicationTransition.objects.get(action="send_back")
    assert row.comment == "请补充材料evil"
    message = SMSMessage.objects.get(object_id=applicant.application.pk)
    assert RIGHT_TO_LEFT not in message.body and "请补充材料evil" in message.body
