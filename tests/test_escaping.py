"""Text with HTML or script in it is stored exactly as typed and shown escaped everywhere."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from experts import services
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db

ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_typed_html_is_stored_as_typed_and_escaped_on_every_page(client, unit, reviewer):
    # 姓名 holds 50 characters: the short form of the attack fits.
    applicant = factories.make_applicant(
        unit, ApplicationStatus.PENDING_BUREAU, name="<script>alert(1)</script>"
    )
    ExpertApplication.objects.filter(user=applicant).update(resume=ATTACK)
    application = ExpertApplication.objects.get(user=applicant)
    services.reject_application(application, reviewer, ATTACK)

    application.refresh_from_db()
    assert application.resume == ATTACK
    assert application.history.get().comment == ATTACK

    operator = get_user_model().objects.create_superuser("op", "op@example.com", "x")
    pages = [
        (applicant, reverse("experts:home")),
        (applicant, reverse("experts:form")),
        (factories.unit_account(unit), reverse("experts:unit_detail", args=[application.pk])),
        (factories.unit_account(unit), reverse("experts:unit_people")),
        (reviewer, reverse("experts:bureau_detail", args=[application.pk])),
        (reviewer, reverse("experts:bureau_queue") + "?status=all"),
        (operator, reverse("admin:experts_expertapplication_change", args=[application.pk])),
        (operator, reverse("admin:experts_applicationtransition_changelist")),
        (operator, reverse("admin:experts_expertapplication_changelist")),
    ]
    for user, url in pages:
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "onerror=alert(1)>" not in page.replace("&gt;", ""), url
        assert "&lt;script&gt;" in page, url


def test_sms_carries_the_reason_as_typed(unit, reviewer):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    services.reject_application(application, reviewer, "<b>材料不全</b>")
    assert "原因：<b>材料不全</b>" in SMSMessage.objects.get().body
