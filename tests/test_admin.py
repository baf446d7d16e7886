"""Operators in Django admin: every model is there, states are read-only, and transitions go
through the same services (and rules) as the portal's pages."""

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from accounts.models import Unit, UnitStatus, UnitTransition, User
from experts.models import ApplicationStatus, ApplicationTransition, ExpertApplication
from sms.models import SMSMessage
from sms.outbox import send_due
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


def admin_form_data(client, url, application) -> dict:
    """What the admin change page posts back unchanged."""
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "disciplines"}
    data["disciplines"] = [d.pk for d in application.disciplines.all()]
    data["birth_date"] = application.birth_date.isoformat()
    return data


def test_every_portal_model_is_in_admin():
    for model in [User, Unit, UnitTransition, ExpertApplication, ApplicationTransition, SMSMessage]:
        assert site.is_registered(model), model


def test_status_is_read_only_and_posting_it_changes_nothing(client, operator, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    # The transitions open to an operator in this state are offered as buttons.
    assert 'value="approve"' in page.content.decode()
    assert 'value="submit"' not in page.content.decode()


def test_admin_approve_goes_through_the_service(
    client, operator, unit, django_capture_on_commit_callbacks
):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["_fsm_transition_to"] = "approve"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    send_due()  # the SMS worker's pass: the request only queued the message
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    history = list(application.history.all())
    assert [(h.action, h.actor, h.actor_role) for h in history] == [
        ("approve", operator, "运维人员")
    ]
    assert SMSMessage.objects.filter(to=application.mobile, status="sent").count() == 1


def test_admin_reject_asks_for_a_reason_then_goes_through_the_service(client, operator, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    url = reverse(
        "admin:experts_expertapplication_transition",
        kwargs={"object_id": application.pk, "transition_name": "reject"},
    )
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_BUREAU

    client.post(url, {"reason": "材料不全。"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert application.history.get().comment == "材料不全。"
    assert SMSMessage.objects.count() == 1


def test_admin_cannot_fire_a_transition_from_the_wrong_state(client, operator, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    application = applicant.application
    url = reverse(
        "admin:experts_expertapplication_transition",
        kwargs={"object_id": application.pk, "transition_name": "reject"},
    )
    response = client.post(url, {"reason": "不该生效"}, follow=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_UNIT
    assert application.history.count() == 0
    assert SMSMessage.objects.count() == 0
    assert response.status_code == 200


def test_admin_approves_a_unit_through_the_service(
    client, operator, django_capture_on_commit_callbacks
):
    pending = factories.make_unit(UnitStatus.PENDING)
    url = reverse("admin:accounts_unit_change", args=[pending.pk])
    page = client.get(url)
    assert 'value="approve"' in page.content.decode()
    url = reverse(
        "admin:accounts_unit_transition",
        kwargs={"object_id": pending.pk, "transition_name": "reject"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "扫描件不清晰。"})
    pending.refresh_from_db()
    assert pending.status == UnitStatus.REJECTED
    assert pending.history.get().comment == "扫描件不清晰。"
    assert SMSMessage.objects.get().to == pending.contact_mobile


def test_history_and_outbox_cannot_be_changed_in_admin(client, operator):
    for name in ["experts_applicationtransition", "accounts_unittransition", "sms_smsmessage"]:
        assert client.get(reverse(f"admin:{name}_add")).status_code == 403
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_reviewer_without_staff_flag_cannot_open_admin(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_an_admin_save_does_not_undo_a_decision_made_meanwhile(client, operator, unit, reviewer):
    from django.db.models.signals import pre_save

    from experts.services import approve_application

    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["department"] = "新部门"

    # A reviewer decides between the admin loading the row and writing it back.
    def reviewer_decides(sender, instance, update_fields=None, **kwargs):
        if instance.pk == application.pk and instance.department == "新部门":
            pre_save.disconnect(reviewer_decides, sender=ExpertApplication)
            approve_application(application, reviewer)

    pre_save.connect(reviewer_decides, sender=ExpertApplication)
    try:
        response = client.post(url, data)
    finally:
        pre_save.disconnect(reviewer_decides, sender=ExpertApplication)

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.department == "新部门"


def test_operator_can_resend_a_failed_sms(client, operator):
    from sms.backends import locmem

    message = SMSMessage.objects.create(
        to="+8613812345678", body="【测试】您好", status=SMSMessage.Status.FAILED
    )
    response = client.post(
        reverse("admin:sms_smsmessage_changelist"),
        {"action": "send_now", "_selected_action": [message.pk]},
        follow=True,
    )
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.QUEUED  # the request does not send it
    assert locmem.outbox == []
    assert "已将1条短信重新排队" in response.content.decode()
    assert send_due()["sent"] == 1  # the worker's pass does
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert locmem.outbox == [("+8613812345678", "【测试】您好")]


def test_operator_cannot_move_an_applicant_under_review_or_to_an_unapproved_unit(
    client, operator, unit
):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    pending = factories.make_unit(UnitStatus.PENDING)
    approved = factories.make_unit(UnitStatus.APPROVED)
    url = reverse("admin:accounts_user_change", args=[applicant.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data["groups"] = []
    data["user_permissions"] = []
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "09:00:00"
    data.pop("date_joined")
    data.pop("last_login", None)

    for target, message in [
        (pending, "只能调入已通过审核的单位"),
        (approved, "审核完成前不能更换单位"),
    ]:
        response = client.post(url, {**data, "unit": target.pk})
        assert message in response.content.decode()
        applicant.refresh_from_db()
        assert applicant.unit == unit


def test_admin_refuses_the_same_bad_input_as_the_portal(client, operator, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    application = applicant.application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data.update(email="not-an-email", office_phone="12")

    response = client.post(url, data)

    errors = response.context["adminform"].form.errors
    assert errors["email"] == ["请输入有效的电子邮箱地址，例如 name@example.com。"]
    assert errors["office_phone"] == ["请输入有效的电话号码，例如027-85870766或027-85870766-123。"]
    application.refresh_from_db()
    assert application.mobile == applicant.mobile
