"""Tampered requests: fields a form does not offer are ignored, and the workflow refuses what
its rules forbid even when the request is well formed.

A browser posts only the form's fields; a person with the developer tools can post anything.
Every form and action here gets `status`, `unit`, `user`, `is_staff`, `is_superuser`, `kind`,
`groups` and `id` on top of its real fields, and the stored rows must show none of them. Then
the decisions the state machine forbids: the bureau deciding before the unit recommended,
deciding again what is decided, and a reviewer deciding their own application. Each changes
nothing (status, history, SMS outbox) and tells the person why, in Chinese.
"""

import pytest
from django.contrib import messages
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Unit, UnitStatus, UnitTransition, User
from accounts.permissions import BUREAU_GROUP, role_label
from experts import services
from experts.models import ApplicationStatus, ApplicationTransition, ExpertApplication
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationStatus
DECISION_LABELS = {"approve": "审核通过", "reject": "审核不通过"}
DECISIONS = {
    "approve": ("experts:bureau_approve", {"comment": "同意入库"}, S.APPROVED),
    "reject": ("experts:bureau_reject", {"reason": "专业领域与需求不符"}, S.REJECTED),
}


def hostile_fields(*, status: str, unit: Unit, user: User) -> dict:
    """What a tampered request adds to a form: another state, another unit, another person,
    and the flags that would make the poster staff or a reviewer."""
    return {
        "status": status,
        "unit": str(unit.pk),
        "user": str(user.pk),
        "id": str(user.pk),
        "is_staff": "on",
        "is_superuser": "on",
        "kind": User.Kind.BUREAU,
        "groups": str(Group.objects.get(name=BUREAU_GROUP).pk),
    }


def account_flags(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (
        user.kind,
        user.unit_id,
        user.is_staff,
        user.is_superuser,
        user.is_active,
        list(user.groups.values_list("name", flat=True)),
    )


def application_row(application: ExpertApplication) -> tuple:
    application = ExpertApplication.objects.get(pk=application.pk)
    return (
        application.status,
        application.user_id,
        application.department,
        application.submitted_at,
        application.decided_at,
        application.history.count(),
    )


def unit_row(unit: Unit) -> tuple:
    unit = Unit.objects.get(pk=unit.pk)
    return (unit.status, unit.name, unit.credit_code, unit.decided_at, unit.history.count())


def said(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def assert_redirect(response, url: str) -> None:
    context = response.context or {}
    form = context.get("form") if hasattr(context, "get") else None
    assert response.status_code == 302, form.errors if form is not None else response.status_code
    assert response.url == url


def assert_refused(response, *, mentions: list[str]) -> None:
    """Refused with one error message, in Chinese, naming what it is about."""
    assert response.status_code in (200, 302)
    assert len(said(response)) == 1, said(response)
    level, text = said(response)[0]
    assert level == messages.ERROR, said(response)
    assert any("\u4e00" <= char <= "\u9fff" for char in text), text
    for words in mentions:
        assert words in text, text


@pytest.fixture
def bystander(other_unit) -> User:
    """An applicant of another unit, already 待科技局审核: the row a tampered field would
    point at."""
    return factories.make_applicant(other_unit, S.PENDING_BUREAU)


# --- extra fields on every form --------------------------------------------------------------


def test_posted_flags_are_ignored_on_individual_registration(client, unit, other_unit, bystander):
    bystander_before = account_flags(bystander)
    data = {
        **hostile_fields(status=S.APPROVED, unit=other_unit, user=bystander),
        "username": "tamper_person",
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
        "real_name": "王篡改",
        "id_type": "resident",
        "id_number": factories.resident_id(),
        "mobile": "13712345678",
        "email": "tamper@example.com",
        # 所属单位 is the form's own field: the unit the person chose.
        "unit": str(unit.pk),
    }

    response = client.post(reverse("accounts:register_individual"), data)

    assert_redirect(response, reverse("experts:home"))
    person = User.objects.get(username="tamper_person")
    assert account_flags(person) == (User.Kind.APPLICANT, unit.pk, False, False, True, [])
    assert person.pk != bystander.pk
    assert application_row(person.application)[:2] == (S.DRAFT, person.pk)
    assert account_flags(bystander) == bystander_before


def test_posted_flags_are_ignored_on_unit_registration(client, other_unit, bystander):
    other_before = unit_row(other_unit)
    code = factories.credit_code()
    data = {
        **hostile_fields(status=UnitStatus.APPROVED, unit=other_unit, user=bystander),
        "decided_at": "2026-01-01 09:00",
        "name": "武汉篡改测试有限公司",
        "credit_code": code,
        "nature": "enterprise",
        "district": "洪山区",
        "address": "武汉市洪山区珞喻路1号",
        "contact_name": "李华",
        "contact_mobile": "13900139000",
        "email": "tamper-unit@example.com",
        "licence": factories.licence_upload(),
        "username": "tamper_unit",
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
    }

    response = client.post(reverse("accounts:register_unit"), data)

    assert_redirect(response, reverse("accounts:unit_home"))
    unit = Unit.objects.get(credit_code=code)
    assert (unit.status, unit.decided_at) == (UnitStatus.PENDING, None)
    account = User.objects.get(username="tamper_unit")
    assert account_flags(account) == (User.Kind.UNIT, unit.pk, False, False, True, [])
    assert unit_row(other_unit) == other_before
    assert list(User.objects.filter(unit=other_unit, kind=User.Kind.UNIT)) == [
        factories.unit_account(other_unit)
    ]


@pytest.mark.parametrize(
    ("action", "stored_status", "history"),
    [("save", S.DRAFT, []), ("submit", S.PENDING_UNIT, [("submit", S.DRAFT, S.PENDING_UNIT)])],
)
def test_posted_status_is_ignored_on_the_expert_form(
    client, unit, other_unit, bystander, action, stored_status, history
):
    applicant = factories.make_applicant(unit)
    flags_before = account_flags(applicant)
    bystander_before = application_row(bystander.application)
    client.force_login(applicant)
    data = {
        **factories.application_post_data(applicant, action, department="篡改测试部门"),
        **hostile_fields(status=S.APPROVED, unit=other_unit, user=bystander),
        "id": str(bystander.application.pk),
        "decided_at": "2026-01-01",
        "recommended_at": "2026-01-01",
    }

    response = client.post(reverse("experts:form"), data)

    assert response.status_code == 302
    application = ExpertApplication.objects.get(user=applicant)
    # The form's own field was stored: the request was processed, not refused.
    assert application.department == "篡改测试部门"
    assert (application.status, application.user_id) == (stored_status, applicant.pk)
    assert (application.decided_at, application.recommended_at) == (None, None)
    assert [(r.action, r.from_status, r.to_status) for r in application.history.all()] == history
    assert account_flags(applicant) == flags_before
    assert application_row(bystander.application) == bystander_before
    assert SMSMessage.objects.count() == 0


def test_posted_status_is_ignored_on_unit_profile(client, unit, other_unit, bystander):
    account = factories.unit_account(unit)
    flags_before = account_flags(account)
    unit_before, other_before = unit_row(unit), unit_row(other_unit)
    client.force_login(account)
    data = {
        **hostile_fields(status=UnitStatus.REJECTED, unit=other_unit, user=bystander),
        # Not on 信息更改: the registered name and code change only through the bureau.
        "name": "篡改后的单位名称",
        "credit_code": other_unit.credit_code,
        "decided_at": "2026-01-01 09:00",
        "nature": "institute",
        "district": "武昌区",
        "address": "武汉市武昌区中北路1号",
        "legal_representative": "赵法人",
        "office_phone": "027-87541234",
        "postcode": "430071",
        "website": "",
        "contact_name": "钱联系",
        "contact_mobile": "13900139001",
        "email": "profile@example.com",
        "introduction": "单位简介。",
    }

    response = client.post(reverse("accounts:unit_profile"), data)

    assert_redirect(response, reverse("accounts:unit_profile"))
    unit.refresh_from_db()
    assert (unit.legal_representative, unit.district) == ("赵法人", "武昌区")
    assert unit_row(unit) == unit_before
    assert unit_row(other_unit) == other_before
    assert account_flags(account) == flags_before


def test_posted_status_is_ignored_on_unit_resubmit(client, other_unit, bystander):
    unit = factories.make_unit(UnitStatus.REJECTED)
    account = factories.unit_account(unit)
    flags_before = account_flags(account)
    other_before = unit_row(other_unit)
    client.force_login(account)
    data = {
        **hostile_fields(status=UnitStatus.APPROVED, unit=other_unit, user=bystander),
        "decided_at": "2026-01-01 09:00",
        "name": unit.name + "（更正）",
        "credit_code": unit.credit_code,
        "nature": unit.nature,
        "district": unit.district,
        "address": unit.address,
        "contact_name": unit.contact_name,
        "contact_mobile": "13900139000",
        "email": unit.email,
    }

    response = client.post(reverse("accounts:unit_resubmit"), data)

    assert_redirect(response, reverse("accounts:unit_home"))
    unit.refresh_from_db()
    # 重新提交 moves 未通过 to 待审核 — never further, whatever was posted.
    assert (unit.status, unit.name, unit.decided_at) == (
        UnitStatus.PENDING,
        data["name"],
        None,
    )
    assert [(r.action, r.from_status, r.to_status) for r in unit.history.all()] == [
        ("resubmit", UnitStatus.REJECTED, UnitStatus.PENDING)
    ]
    assert account_flags(account) == flags_before
    assert unit_row(other_unit) == other_before
    assert SMSMessage.objects.count() == 0


APPLICATION_ACTIONS = {
    # action: (url name, who acts, source, target, form data, SMS queued)
    "recommend": ("experts:unit_recommend", "unit", S.PENDING_UNIT, S.PENDING_BUREAU, {}, 0),
    "send_back": (
        "experts:unit_return",
        "unit",
        S.PENDING_UNIT,
        S.DRAFT,
        {"reason": "请补充材料"},
        1,
    ),
    "approve": ("experts:bureau_approve", "reviewer", S.PENDING_BUREAU, S.APPROVED, {}, 1),
    "reject": (
        "experts:bureau_reject",
        "reviewer",
        S.PENDING_BUREAU,
        S.REJECTED,
        {"reason": "不符合条件"},
        1,
    ),
    "revise": ("experts:revise", "owner", S.REJECTED, S.DRAFT, {}, 0),
}


@pytest.mark.parametrize("action", APPLICATION_ACTIONS)
def test_posted_fields_are_ignored_on_review_actions(client, unit, other_unit, reviewer, action):
    url_name, who, source, target, form_data, sms = APPLICATION_ACTIONS[action]
    owner = factories.make_applicant(unit, source)
    application = owner.application
    # Another unit's applicant in the same state: where a posted pk would land.
    bystander = factories.make_applicant(other_unit, source)
    actor = {"unit": factories.unit_account(unit), "reviewer": reviewer, "owner": owner}[who]
    owner_before, actor_before = account_flags(owner), account_flags(actor)
    bystander_before = application_row(bystander.application)
    client.force_login(actor)
    data = {
        **form_data,
        **hostile_fields(
            status=S.REJECTED if target == S.APPROVED else S.APPROVED,
            unit=other_unit,
            user=bystander,
        ),
        "id": str(bystander.application.pk),
        "application": str(bystander.application.pk),
        "actor": str(bystander.pk),
        "actor_role": "运维人员",
        "to_status": S.APPROVED,
    }
    kwargs = {} if who == "owner" else {"pk": application.pk}

    response = client.post(reverse(url_name, kwargs=kwargs), data)

    assert response.status_code == 302
    assert [level for level, _ in said(response)] == [messages.SUCCESS], said(response)
    application.refresh_from_db()
    assert (application.status, application.user_id) == (target, owner.pk)
    rows = [
        (r.actor_id, r.actor_role, r.action, r.from_status, r.to_status)
        for r in application.history.all()
    ]
    assert rows == [(actor.pk, role_label(actor), action, source, target)]
    assert SMSMessage.objects.count() == sms
    assert account_flags(owner) == owner_before
    assert account_flags(actor) == actor_before
    assert application_row(bystander.application) == bystander_before


@pytest.mark.parametrize(
    ("url_name", "form_data", "target"),
    [
        ("accounts:bureau_unit_approve", {}, UnitStatus.APPROVED),
        ("accounts:bureau_unit_reject", {"reason": "扫描件不清晰"}, UnitStatus.REJECTED),
    ],
)
def test_posted_fields_are_ignored_on_unit_review_actions(
    client, other_unit, reviewer, bystander, url_name, form_data, target
):
    unit = factories.make_unit(UnitStatus.PENDING)
    other_before = unit_row(other_unit)
    reviewer_before = account_flags(reviewer)
    client.force_login(reviewer)
    data = {
        **form_data,
        **hostile_fields(
            status=UnitStatus.REJECTED if target == UnitStatus.APPROVED else UnitStatus.APPROVED,
            unit=other_unit,
            user=bystander,
        ),
        "id": str(other_unit.pk),
        "name": "篡改后的单位名称",
        "credit_code": other_unit.credit_code,
    }

    response = client.post(reverse(url_name, args=[unit.pk]), data)

    assert_redirect(response, reverse("accounts:bureau_unit_detail", args=[unit.pk]))
    assert unit_row(unit)[:3] == (target, unit.name, unit.credit_code)
    assert list(UnitTransition.objects.filter(unit=unit).values_list("actor_id", "to_status")) == [
        (reviewer.pk, target)
    ]
    assert SMSMessage.objects.count() == 1
    assert unit_row(other_unit) == other_before
    assert account_flags(reviewer) == reviewer_before


# --- decisions the workflow refuses ----------------------------------------------------------


def submitted(unit: Unit, *, recommended: bool = False) -> User:
    """An applicant whose application went through the portal's own steps (with history)."""
    applicant = factories.make_applicant(unit)
    services.submit_application(applicant.application, applicant)
    if recommended:
        services.recommend_application(
            applicant.application, factories.unit_account(unit), "同意推荐"
        )
    applicant.application.refresh_from_db()
    return applicant


def counts(application: ExpertApplication) -> tuple:
    application = ExpertApplication.objects.get(pk=application.pk)
    return (
        application.status,
        application.decided_at,
        ApplicationTransition.objects.filter(application=application).count(),
        SMSMessage.objects.count(),
    )


@pytest.mark.parametrize("decision", DECISIONS)
def test_deciding_before_the_unit_recommended_changes_nothing_and_says_why(
    client, unit, reviewer, decision
):
    application = submitted(unit).application
    before = counts(application)
    assert before[0] == S.PENDING_UNIT
    url_name, data, _ = DECISIONS[decision]
    client.force_login(reviewer)

    response = client.post(reverse(url_name, args=[application.pk]), data)

    assert counts(application) == before
    assert_refused(response, mentions=["“待单位推荐”", f"“{DECISION_LABELS[decision]}”"])


@pytest.mark.parametrize(
    ("first", "second"),
    [("reject", "approve"), ("approve", "reject"), ("approve", "approve"), ("reject", "reject")],
)
def test_re_deciding_a_decided_application_changes_nothing_and_says_why(
    client, unit, reviewer, first, second
):
    application = submitted(unit, recommended=True).application
    if first == "approve":
        services.approve_application(application, reviewer, "同意入库")
    else:
        services.reject_application(application, reviewer, "专业领域与需求不符")
    before = counts(application)
    assert before[0] == DECISIONS[first][2]
    assert before[3] == 1  # the first decision's SMS
    url_name, data, _ = DECISIONS[second]
    client.force_login(factories.make_reviewer())

    response = client.post(reverse(url_name, args=[application.pk]), data)

    assert counts(application) == before
    assert_refused(
        response,
        mentions=[f"“{DECISION_LABELS[first]}”", f"“{DECISION_LABELS[second]}”"],
    )


def reviewer_with_own_application(unit: Unit) -> User:
    """Bureau staff who also applied to the expert database: their application is
    待科技局审核, and they are in the reviewers' group."""
    person = submitted(unit, recommended=True)
    person.groups.add(Group.objects.get(name=BUREAU_GROUP))
    return User.objects.get(pk=person.pk)


@pytest.mark.parametrize("decision", DECISIONS)
def test_a_reviewer_cannot_decide_their_own_application(client, unit, decision):
    person = reviewer_with_own_application(unit)
    application = person.application
    before = counts(application)
    assert before[0] == S.PENDING_BUREAU
    url_name, data, _ = DECISIONS[decision]
    client.force_login(person)

    response = client.post(reverse(url_name, args=[application.pk]), data)

    assert counts(application) == before
    assert_refused(response, mentions=["不能审核自己的专家申请"])


@pytest.mark.parametrize("decision", DECISIONS)
def test_another_reviewer_may_decide_a_reviewers_own_application(client, unit, reviewer, decision):
    application = reviewer_with_own_application(unit).application
    url_name, data, target = DECISIONS[decision]
    client.force_login(reviewer)

    response = client.post(reverse(url_name, args=[application.pk]), data)

    assert [level for level, _ in said(response)] == [messages.SUCCESS]
    assert counts(application)[0] == target
    assert SMSMessage.objects.count() == 1
