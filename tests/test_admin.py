"""Operators in Django admin: every model is there, states are read-only, and transitions go
through the same services (and rules) as the portal's pages."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import timezone

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
    context = client.get(url).context
    form = context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "disciplines"}
    data["disciplines"] = [d.pk for d in application.disciplines.all()]
    # The read-only 审核记录 inline still posts its management form.
    for inline in context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
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
    offered = page.content.decode()
    transition = "admin:experts_expertapplication_transition"
    assert reverse(transition, args=[application.pk, "approve"]) in offered
    assert reverse(transition, args=[application.pk, "submit"]) not in offered


def test_admin_approve_goes_through_the_service(
    client, operator, unit, django_capture_on_commit_callbacks
):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    approve = reverse(
        "admin:experts_expertapplication_transition", args=[application.pk, "approve"]
    )
    # The button posts a form of its own: what is typed on the page is not saved with it.
    page = client.get(url).content.decode()
    assert f'form="transition-form"\n    formaction="{approve}"' in page
    # A GET (a link followed, a prefetch) decides nothing.
    assert client.get(approve).status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_BUREAU
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(approve, follow=True)
    send_due()  # the SMS worker's pass: the request only queued the message
    assert response.redirect_chain == [(url, 302)]
    application.refresh_from_db()
    assert f"已审核通过：{application}。" in [str(m) for m in response.context["messages"]]
    assert "（审核通过）" in str(application)
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
    assert reverse("admin:accounts_unit_transition", args=[pending.pk, "approve"]) in (
        page.content.decode()
    )
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


def test_the_sms_list_shows_the_start_of_a_long_error_and_the_whole_on_hover(client, operator):
    """Ops walk, item 6: 最近错误 was cut off by the list's edge ("Twilio 400 2…")."""
    error = (
        "短信服务账号或密钥配置错误（Twilio 20003）：请核对 TWILIO_ACCOUNT_SID 和"
        " TWILIO_AUTH_TOKEN，改正并重启短信进程后，排队中的短信将自动发出。"
    )
    SMSMessage.objects.create(to="+8613812345678", body="【测试】您好", last_error=error)
    SMSMessage.objects.create(to="+8613812345679", body="【测试】再见", last_error="Twilio 500")

    html = client.get(reverse("admin:sms_smsmessage_changelist")).content.decode()

    shown = f'<span title="{error}">{error[:47]}…</span>'
    assert f'<td class="field-error_excerpt">{shown}</td>' in html
    assert '<td class="field-error_excerpt">Twilio 500</td>' in html


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


def test_admin_refuses_a_sex_the_id_number_contradicts(client, operator, unit):
    """The ID number fixes it: an operator's correction is checked as the applicant's is. The
    birth date, which the number holds too, is not on the form at all: it shows masked (its
    year), whole only through 查看完整信息; a posted one changes nothing."""
    application = factories.make_applicant(unit, ApplicationStatus.DRAFT).application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    assert "birth_date" not in data
    data["birth_date"] = (application.birth_date.replace(year=1950)).isoformat()
    data["gender"] = "female" if application.gender == "male" else "male"

    response = client.post(url, data)

    errors = response.context["adminform"].form.errors
    assert errors["gender"] == ["性别与居民身份证号码不一致。"]
    assert f"{application.birth_date.year}年" in response.content.decode()
    fresh = ExpertApplication.objects.get(pk=application.pk)
    assert (fresh.birth_date, fresh.gender) == (application.birth_date, application.gender)


def test_application_page_shows_its_history_newest_first_read_only(
    client, operator, unit, reviewer
):
    from experts.services import approve_application, recommend_application

    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    application = applicant.application
    recommend_application(application, factories.unit_account(unit))
    approve_application(application, reviewer)

    page = client.get(reverse("admin:experts_expertapplication_change", args=[application.pk]))

    inline = page.context["inline_admin_formsets"][0]
    assert inline.opts.verbose_name_plural == "审核记录"
    rows = [form.original.action for form in inline]
    assert rows == ["approve", "recommend"]  # newest first
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    html = page.content.decode()
    assert "审核记录" in html
    assert f"单位账号（{unit.name}）" in html
    assert 'name="history-0-comment"' not in html  # read-only: nothing to post back


def test_history_names_a_unit_account_by_its_unit_not_its_login_name(client, operator, unit):
    from experts.services import recommend_application

    account = factories.unit_account(unit)
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    recommend_application(applicant.application, account)

    html = client.get(reverse("admin:experts_applicationtransition_changelist")).content.decode()

    assert f"单位账号（{unit.name}）" in html
    assert account.username not in html


def test_breadcrumb_names_the_app_differently_from_its_model(client, operator):
    html = client.get(reverse("admin:experts_expertapplication_changelist")).content.decode()
    assert "专家管理" in html
    assert "› 专家申请 › 专家申请" not in html.replace("&rsaquo;", "›").replace("\n", " ")


def test_personal_numbers_are_masked_in_admin(client, operator, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    application.bank_account = "6222021234567890123"
    application.save(update_fields=["bank_account"])
    pages = [
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[applicant.pk]),
        reverse("admin:experts_expertapplication_changelist"),
        reverse("admin:experts_expertapplication_change", args=[application.pk]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert applicant.id_number not in html, url
        assert application.bank_account not in html, url
    change = client.get(pages[3]).content.decode()
    assert application.bank_account[-4:] in change  # masked, but recognisable
    assert "查看完整信息" in change


def test_whole_personal_numbers_need_a_reason_and_are_audited(client, operator, unit):
    from audit.models import AuditEvent

    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    application.bank_account = "6222021234567890123"
    application.save(update_fields=["bank_account"])
    url = reverse("admin:experts_expertapplication_personal_data", args=[application.pk])
    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL_DATA)

    asking = client.get(url)
    no_reason = client.post(url, {})
    assert application.bank_account not in asking.content.decode()
    assert application.bank_account not in no_reason.content.decode()
    assert views.count() == 0

    shown = client.post(url, {"reason": "payment"})

    html = shown.content.decode()
    assert application.bank_account in html
    assert applicant.id_number in html
    assert "no-store" in shown["Cache-Control"].split(", ")
    event = views.get()
    assert (event.actor, event.object_id) == (operator, str(application.pk))
    assert application.birth_date.isoformat() in html
    assert event.detail == "后台查看：证件号码、银行账号、手机、出生日期；理由：发放评审劳务费"


def test_whole_id_number_of_a_user_is_audited_too(client, operator, unit):
    from audit.models import AuditEvent

    applicant = factories.make_applicant(unit)
    url = reverse("admin:accounts_user_personal_data", args=[applicant.pk])

    html = client.post(url, {"reason": "verify_identity"}).content.decode()

    assert applicant.id_number in html
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSONAL_DATA)
    assert event.detail == "后台查看：证件号码、手机号码；理由：核对本人身份"


def test_permission_pickers_name_permissions_in_chinese(client, operator):
    form = client.get(reverse("admin:auth_group_add")).context["adminform"].form
    labels = [label for _, label in form.fields["permissions"].choices]
    assert "专家管理 | 专家申请 | 可修改专家申请" in labels
    assert [label for label in labels if "Can " in label] == []


def test_operator_resets_a_lost_authenticator_without_seeing_its_key(client, operator, reviewer):
    from accounts.models import Authenticator

    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    page = client.get(reverse("admin:accounts_authenticator_change", args=[device.pk]))
    assert device.key not in page.content.decode()

    client.post(reverse("admin:accounts_authenticator_delete", args=[device.pk]), {"post": "yes"})

    assert not Authenticator.objects.filter(pk=device.pk).exists()


def test_favicon_answers(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.url == "/static/favicon.ico"
    assert finders.find("favicon.ico") is not None


def test_operator_unlocks_a_username_by_its_failure_counts_action_not_a_delete(client, operator):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="locked",
        ip_address="10.0.0.1",
        user_agent="浏览器",
        http_accept="*/*",
        path_info="/login/",
        failures_since_start=5,
    )
    listed = client.get(reverse("admin:accounts_loginattempt_changelist"))
    assert "已锁定" in listed.content.decode()
    page = client.get(reverse("admin:accounts_loginattempt_change", args=[attempt.pk]))
    assert 'name="username"' not in page.content.decode()  # read, not edited

    delete = reverse("admin:accounts_loginattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403  # unaudited: refused

    client.post(
        reverse("admin:accounts_loginattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt.pk]},
    )

    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_login_failure_counts_are_not_deleted_by_hand_through_an_action(client, operator):
    """Only the audited 解除所选用户名的登录锁定: axes' own 清理 deleted records unaudited."""
    from axes.models import AccessAttempt

    common = {"user_agent": "浏览器", "http_accept": "*/*", "path_info": "/login/"}
    attempt = AccessAttempt.objects.create(username="old", failures_since_start=2, **common)

    page = client.get(reverse("admin:accounts_loginattempt_changelist"))
    offered = [value for value, _ in page.context["action_form"].fields["action"].choices]
    assert offered == ["", "unlock"]
    client.post(
        reverse("admin:accounts_loginattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [attempt.pk]},
    )
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_an_admitted_experts_key_information_is_read_only_in_admin(client, operator, unit):
    """职称, 专业领域 … of an expert in the pool change through a reviewed 信息变更 only: the
    page shows them as text, a post of new values changes nothing, the rest still saves."""
    from experts.models import Discipline

    application = factories.make_applicant(unit, ApplicationStatus.APPROVED).application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    form = client.get(url).context["adminform"].form
    assert not {"title", "title_level", "disciplines", "birth_date"} & set(form.fields)
    assert "department" in form.fields
    before = sorted(application.disciplines.values_list("code", flat=True))
    data.update(
        title="主任医师",
        title_level="junior",
        disciplines=[Discipline.objects.get(code="05").pk],
        department="新部门",
    )

    assert client.post(url, data).status_code == 302

    application.refresh_from_db()
    assert (application.title, application.title_level) == ("教授", "senior")
    assert sorted(application.disciplines.values_list("code", flat=True)) == before
    assert application.department == "新部门"


@pytest.mark.parametrize(
    "status", [ApplicationStatus.PENDING_UNIT, ApplicationStatus.PENDING_BUREAU]
)
def test_an_application_under_review_keeps_what_was_submitted_in_admin(
    client, operator, unit, status
):
    """Found by the manual's walk: an operator changed 专业技术职称 of an application 待单位推荐
    in admin, and the unit recommended, and the bureau decided on, what the applicant never
    submitted, with nothing in the 审核记录. The key fields are text while under review; the
    page says how a correction is made; contact details still save."""
    application = factories.make_applicant(unit, status).application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    page = client.get(url)
    assert not {"title", "title_level", "disciplines", "birth_date"} & set(
        page.context["adminform"].form.fields
    )
    # How a correction is made depends on who holds it (found by a December walk).
    how = {
        ApplicationStatus.PENDING_UNIT: "请所在单位退回申请人修改后重新提交",
        ApplicationStatus.PENDING_BUREAU: "请审核不通过并说明理由，由申请人修改后重新提交",
    }[status]
    assert "申请审核中" in page.content.decode() and how in page.content.decode()
    assert "integrity_pledge" not in page.context["adminform"].form.fields  # the applicant's
    assert "已承诺" in page.content.decode()
    data.update(title="研究员（运维改）", department="更正后的部门", integrity_pledge="")

    assert client.post(url, data).status_code == 302

    application.refresh_from_db()
    assert application.title == "教授" and application.department == "更正后的部门"
    assert application.integrity_pledge


def test_an_application_stays_its_applicants_in_admin(client, operator, unit, other_unit):
    """Given to another account in admin, an application would change 工作单位 and 证件号码
    with no history and could land in another unit's queue: its account is read-only, and
    applications are not added in admin (they begin in the portal, with the applicant's consent)."""
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT).application
    owner = application.user_id
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    assert "user" not in client.get(url).context["adminform"].form.fields
    data["user"] = factories.unit_account(other_unit).pk

    assert client.post(url, data).status_code == 302

    application.refresh_from_db()
    assert application.user_id == owner
    assert client.get(reverse("admin:experts_expertapplication_add")).status_code == 403


def test_an_operators_correction_of_the_e_mail_reaches_the_account(client, operator, unit):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT).application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["email"] = "corrected@example.cn"

    assert client.post(url, data).status_code == 302

    application.user.refresh_from_db()
    assert application.user.email == "corrected@example.cn"  # where 找回密码 sends its link


def test_an_operator_changing_only_the_disciplines_moves_the_facet_rows(client, operator, unit):
    """专家库's 专业领域 counts follow an edit in admin (experts.FacetDiscipline) of an
    application an operator may still edit (a draft)."""
    from experts.models import Discipline, FacetDiscipline

    application = factories.make_applicant(unit, ApplicationStatus.DRAFT).application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["disciplines"] = [str(Discipline.objects.get(code="0302").pk)]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    counted = FacetDiscipline.objects.filter(application=application)
    assert set(counted.values_list("discipline__code", flat=True)) == {"0302", "03"}


def test_the_discipline_filter_takes_a_fields_sub_fields(client, operator, unit):
    """以 专业领域 in admin counts as 专家库 does: a field takes its sub-fields' experts."""
    from experts.models import Discipline

    software = factories.make_applicant(unit, ApplicationStatus.APPROVED, name="软件专家")
    software.application.disciplines.set([Discipline.objects.get(code="0101")])
    field = factories.make_applicant(unit, ApplicationStatus.APPROVED, name="领域专家")
    field.application.disciplines.set([Discipline.objects.get(code="01")])
    url = reverse("admin:experts_expertapplication_changelist")

    def listed(value) -> set[str]:
        response = client.get(url, {"discipline": value})
        assert response.status_code == 200
        return {a.user.real_name for a in response.context["cl"].result_list}

    assert listed(Discipline.objects.get(code="01").pk) == {"软件专家", "领域专家"}
    assert listed(Discipline.objects.get(code="0101").pk) == {"软件专家"}
    assert listed("x1") == set()
    page = client.get(url).content.decode()
    assert "电子信息（含子领域）" in page and "— 软件" in page


def test_the_discipline_picker_names_each_sub_field_after_its_field(client, operator, unit):
    """Admin's two-box picker shows no groups: 电子信息 / 软件, read in one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from experts.models import Discipline

    application = factories.make_applicant(unit, ApplicationStatus.DRAFT).application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    labels = dict(response.context["adminform"].form.fields["disciplines"].choices)
    software = Discipline.objects.select_related("parent").get(code="0101")
    assert labels[software.pk] == f"{software.parent.name} / {software.name}"
    assert labels[software.parent.pk] == software.parent.name
    assert f">{software.parent.name} / {software.name}</option>" in response.content.decode()
    read = [q for q in captured.captured_queries if 'FROM "experts_discipline"' in q["sql"]]
    assert len(read) <= 2, [q["sql"] for q in read]  # not one per sub-field


def test_the_user_page_offers_the_portals_name_only(client, operator, unit):
    applicant = factories.make_applicant(unit)

    page = client.get(reverse("admin:accounts_user_change", args=[applicant.pk]))

    form = page.context["adminform"].form
    assert "real_name" in form.fields
    assert "email" in form.fields
    assert "first_name" not in form.fields
    assert "last_name" not in form.fields
    html = page.content.decode()
    assert "姓名" in html
    assert "名字" not in html and "姓氏" not in html


def test_the_reviewers_group_and_the_login_log_are_not_deleted_in_admin(client, operator):
    from django.contrib.auth.models import Group

    from accounts.models import LoginLog
    from accounts.permissions import BUREAU_GROUP

    role = Group.objects.get_or_create(name=BUREAU_GROUP)[0]
    spare = Group.objects.create(name="临时分组")
    client.force_login(operator)
    assert client.get(reverse("admin:auth_group_delete", args=[role.pk])).status_code == 403
    # Ticked with another in the list, it is named as not deletable and nothing goes.
    refused = client.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": [role.pk, spare.pk], "post": "yes"},
    )
    assert refused.status_code == 403
    kept = Group.objects.filter(pk__in=[role.pk, spare.pk]).values_list("name", flat=True)
    assert set(kept) == {BUREAU_GROUP, "临时分组"}
    # Nor renamed: it would no longer be the role either.
    change = client.get(reverse("admin:auth_group_change", args=[role.pk]))
    assert "name" not in change.context["adminform"].form.fields
    log = LoginLog.objects.create(username="someone", ip_address="127.0.0.1", user_agent="x")
    assert client.get(reverse("admin:accounts_loginlog_delete", args=[log.pk])).status_code == 403


def version_on(response) -> str:
    return re.search(r'name="version" value="([^"]*)"', response.content.decode()).group(1)


def test_an_experts_change_form_opened_before_an_operators_correction_is_refused(
    client, operator, unit
):
    """An admin save says the row changed (updated_at), so 修改专家信息 opened before it does
    not put back the e-mail the operator corrected."""
    from django.test import Client

    from tests.changes.helpers import admitted, post_data

    expert = admitted(unit)
    tab = Client()
    tab.force_login(expert)
    opened = tab.get(reverse("changes:edit"))
    application = ExpertApplication.objects.get(user=expert)
    stale = post_data(expert, address="武汉市武昌区中北路1号", version=version_on(opened))
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["email"] = "corrected@example.cn"
    assert client.post(url, data).status_code == 302

    assert tab.post(reverse("changes:edit"), stale).status_code == 409

    application.refresh_from_db()
    assert application.email == "corrected@example.cn"


def test_a_draft_tab_opened_before_an_operators_correction_is_refused(client, operator, unit):
    from django.test import Client

    applicant = factories.make_applicant(unit)
    tab = Client()
    tab.force_login(applicant)
    form_url = reverse("experts:form")
    application = ExpertApplication.objects.get(user=applicant)
    ExpertApplication.objects.filter(pk=application.pk).update(draft_saved_at=timezone.now())
    opened = version_on(tab.get(form_url))
    assert opened  # a draft was saved: the form carries its version
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["department"] = "运营更正的部门"
    assert client.post(url, data).status_code == 302

    refused = tab.post(form_url, {"action": "save", "version": opened, "title": "讲师"})

    assert refused.status_code == 409
    assert ExpertApplication.objects.get(pk=application.pk).department == "运营更正的部门"


def test_a_never_saved_draft_tab_opened_before_an_operators_correction_is_refused(
    client, operator, unit
):
    """The form of a draft nobody saved yet carries no version: the operator's save gives the
    draft one, and the open form is refused instead of putting back the old value."""
    from django.test import Client

    applicant = factories.make_applicant(unit)
    application = ExpertApplication.objects.get(user=applicant)
    assert application.draft_saved_at is None
    tab = Client()
    tab.force_login(applicant)
    form_url = reverse("experts:form")
    assert version_on(tab.get(form_url)) == ""
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["department"] = "运营更正的部门"
    assert client.post(url, data).status_code == 302

    refused = tab.post(form_url, {"action": "save", "version": "", "department": "旧部门"})

    assert refused.status_code == 409
    assert ExpertApplication.objects.get(pk=application.pk).department == "运营更正的部门"


def test_export_and_draw_titles_in_admin_are_in_the_sites_time(operator, reviewer):
    import datetime as dt

    from draws.models import Draw
    from experts.models import ExportJob

    at = dt.datetime(2026, 12, 5, 22, 6, tzinfo=dt.UTC)  # 06:06 on the 6th in Wuhan
    job = ExportJob(requested_by=operator, kind=ExportJob.Kind.POOL, created_at=at)
    draw = Draw(project_name="评审项目", created_at=at)
    with timezone.override("Asia/Shanghai"):
        assert str(job) == "专家库导出 2026-12-06 06:06"
        assert str(draw) == "评审项目（2026-12-06）"


def test_an_admin_change_of_the_disciplines_alone_marks_the_row_changed(client, operator, unit):
    from experts.models import Discipline

    application = factories.make_applicant(unit, ApplicationStatus.DRAFT).application
    before = ExpertApplication.objects.get(pk=application.pk).updated_at
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data["disciplines"] = [str(Discipline.objects.get(code="0302").pk)]

    assert client.post(url, data).status_code == 302
    assert ExpertApplication.objects.get(pk=application.pk).updated_at > before


def test_operators_read_change_requests_and_export_jobs(client, operator, unit):
    """Asked why a 变更申请 or an export is stuck, an operator sees where it is, read-only."""
    from changes.models import ChangeRequest
    from experts.models import ExportJob
    from tests.changes.helpers import admitted, key_request

    expert = admitted(unit, name="变更专家")
    change = key_request(expert, status="pending_unit")
    job = ExportJob.objects.create(
        requested_by=operator, kind=ExportJob.Kind.POOL, rows_total=200, rows_done=50
    )
    for model, obj, shown in [
        (ChangeRequest, change, ["变更专家", "专业技术职称", "待单位确认"]),
        (ExportJob, job, ["50 / 200（25%）", "排队中"]),
    ]:
        assert site.is_registered(model)
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        listed = client.get(reverse(f"{name}_changelist")).content.decode()
        page = client.get(reverse(f"{name}_change", args=[obj.pk]))
        assert page.status_code == 200
        for text in shown:
            assert text in listed, text
        assert client.get(reverse(f"{name}_add")).status_code == 403
        assert '<input type="submit" value="保存"' not in page.content.decode()
        assert (
            client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code
            == 403
        )
    assert ChangeRequest.objects.filter(pk=change.pk).exists()


def unchanged(client, url) -> dict:
    """The change form's fields as the page shows them, posted back untouched."""
    context = client.get(url).context
    form = context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or name in form.files or hasattr(value, "url"):
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    # The read-only 审核记录 inline still posts its management form.
    for inline in context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    return data


def test_a_save_of_an_untouched_page_records_no_change(client, operator, unit):
    """A walk found 已修改联系人手机 on every save of a unit (the page shows the stored
    +86… number without its prefix) and 上次登录 and English labels on a person's."""
    for url, obj in [
        (reverse("admin:accounts_unit_change", args=[unit.pk]), unit),
        (reverse("admin:accounts_user_change", args=[operator.pk]), operator),
    ]:
        response = client.post(url, {**unchanged(client, url), "_continue": "1"})
        assert response.status_code == 302, response.context and response.context["errors"]
        entry = LogEntry.objects.filter(object_id=str(obj.pk)).latest("pk")
        assert entry.get_change_message() == "没有字段被修改。"


def test_a_persons_change_is_recorded_in_chinese(client, operator, unit):
    person = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    client.post(url, {**unchanged(client, url), "email": "new@example.com", "_continue": "1"})
    entry = LogEntry.objects.filter(object_id=str(person.pk)).latest("pk")
    assert entry.get_change_message() == "已修改电子邮箱。"


def test_a_decision_leaves_what_was_typed_on_the_page_unsaved(client, operator, unit):
    """A walk typed a new 通讯地址, pressed 审核不通过, then 取消 on the reason page: the address
    had been saved. The buttons are a form of their own now."""
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = applicant.application
    page = client.get(reverse("admin:experts_expertapplication_change", args=[application.pk]))
    html = page.content.decode()
    reject = reverse("admin:experts_expertapplication_transition", args=[application.pk, "reject"])
    # 审核不通过 asks for its reason on its own page: a link, which sends nothing typed here.
    assert f'<a class="button" href="{reject}"' in html
    main_form = html.split('id="expertapplication_form"')[1].split("</form>")[0]
    assert 'id="transition-form"' not in main_form and 'form="transition-form"' in main_form


def test_a_person_is_found_by_a_whole_mobile_or_id_number(client, operator, unit):
    """An operator on the telephone is given a number; the names box did not find it."""
    person = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="张明")
    factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="李强")
    for admin_name, expected in [
        ("admin:accounts_user_changelist", person),
        ("admin:experts_expertapplication_changelist", person.application),
    ]:
        url = reverse(admin_name)
        for term in [person.mobile.removeprefix("+86"), person.id_number.lower(), "张明"]:
            page = client.get(url, {"q": term})
            assert list(page.context["cl"].result_list) == [expected], (admin_name, term)
        # Not by part: a number is found whole or not at all.
        partial = client.get(url, {"q": person.id_number[:10]}).context["cl"].result_list
        assert list(partial) == []
        assert "输入完整的手机号码或证件号码可精确查找" in client.get(url).content.decode()
