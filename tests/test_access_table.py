"""Who reaches what: every named URL × every role → the status it must answer (pretalx style).

A second test walks every URL pattern the project defines (as Zulip's URL test does) and fails
on any name missing from the table, so no page ships without a decision about who may see it.
"""

import pytest
from django.apps import apps
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import UnitStatus
from audit.models import AuditEvent
from draws.models import Draw
from experts.models import ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "applicant",
    "other_applicant",
    "own_unit",
    "other_unit",
    "pending_unit",
    "reviewer",
    "operator",
]
APPLICANTS = {"applicant", "other_applicant"}
APPROVED_UNITS = {"own_unit", "other_unit"}
UNITS = APPROVED_UNITS | {"pending_unit"}
BUREAU = {"reviewer", "operator"}
LOGGED_IN = set(ROLES) - {"anonymous"}

OK, REDIRECT, FORBIDDEN, MISSING, NOT_ALLOWED = 200, 302, 403, 404, 405


def only(roles, status_if=OK, anonymous=REDIRECT, others=FORBIDDEN):
    """Status by role: `roles` get status_if, visitors are sent to log in, the rest `others`."""
    return {
        role: anonymous if role == "anonymous" else (status_if if role in roles else others)
        for role in ROLES
    }


def everyone(status):
    return dict.fromkeys(ROLES, status)


# url name → (kwargs builder, {role: status}) for a GET.
TABLE = {
    "home": (None, {**everyone(REDIRECT), "anonymous": OK}),
    "healthz": (None, everyone(OK)),
    "privacy": (None, everyone(OK)),
    # The admin's login page (under the login rules, accounts.lockout): a form for everyone.
    "admin_login": (None, {**everyone(OK), "operator": REDIRECT}),
    # Admin's own 修改密码 is the portal's page (which sends a visitor to log in).
    "admin_password_change": (None, everyone(REDIRECT)),
    "favicon": (None, everyone(REDIRECT)),
    "accounts:login": (None, {**everyone(REDIRECT), "anonymous": OK}),
    "accounts:logout": (None, everyone(NOT_ALLOWED)),
    "accounts:register": (None, everyone(OK)),
    "accounts:register_unit": (None, everyone(OK)),
    "accounts:register_individual": (None, everyone(OK)),
    "accounts:unit_search": (None, everyone(OK)),
    "accounts:two_factor": (None, only(LOGGED_IN)),
    # Asks only those who owe the current 个人信息保护说明; everyone here agreed to it, and goes
    # on (home), a visitor to log in.
    "accounts:privacy_agree": (None, everyone(REDIRECT)),
    "accounts:password_change": (None, only(LOGGED_IN)),
    "accounts:password_change_done": (None, only(LOGGED_IN)),
    "accounts:password_reset": (None, everyone(OK)),
    "accounts:password_reset_done": (None, everyone(OK)),
    "accounts:password_reset_confirm": (
        lambda w: {"uidb64": "MQ", "token": "set-password"},
        everyone(OK),  # an invalid link answers with its own page
    ),
    "accounts:password_reset_complete": (None, everyone(OK)),
    "accounts:licence": (
        lambda w: {"pk": w["unit"].pk},
        {**only({"own_unit"} | BUREAU, others=MISSING), "applicant": MISSING},
    ),
    "accounts:unit_home": (None, only(UNITS)),
    # Only a 未通过 unit resubmits; the others are sent back to their start page.
    "accounts:unit_resubmit": (None, only(UNITS, status_if=REDIRECT)),
    "accounts:unit_profile": (None, only(APPROVED_UNITS)),
    "accounts:bureau_unit_queue": (None, only(BUREAU)),
    "accounts:bureau_unit_detail": (lambda w: {"pk": w["unit"].pk}, only(BUREAU)),
    "accounts:bureau_unit_approve": (lambda w: {"pk": w["pending"].pk}, everyone(NOT_ALLOWED)),
    "accounts:bureau_unit_reject": (lambda w: {"pk": w["pending"].pk}, everyone(NOT_ALLOWED)),
    "experts:home": (None, only(APPLICANTS)),
    "experts:form": (None, only(APPLICANTS)),
    "experts:revise": (None, everyone(NOT_ALLOWED)),
    "experts:applicant_act": (lambda w: {"action": "confirm"}, everyone(NOT_ALLOWED)),
    # A GET asks first, on a page of its own (the applicants here hold a consent).
    "experts:withdraw_consent": (None, only(APPLICANTS)),
    # Only an admitted expert who never consented here (an imported one) is asked; the
    # applicants here are not, and are sent back to their start page.
    "experts:give_consent": (None, only(APPLICANTS, status_if=REDIRECT)),
    "experts:own_data": (None, only(APPLICANTS)),
    "experts:own_data_download": (None, only(APPLICANTS)),
    # 证明材料: uploaded and deleted by POST only; a file opens for its applicant, their unit
    # and the bureau (another unit, another applicant, a pending unit: 404).
    "experts:attachment_upload": (None, everyone(NOT_ALLOWED)),
    "experts:attachment_delete": (
        lambda w: {"pk": applicants_attachment(w).pk},
        everyone(NOT_ALLOWED),
    ),
    "experts:attachment": (
        lambda w: {"pk": applicants_attachment(w).pk},
        only({"applicant", "own_unit"} | BUREAU, others=MISSING),
    ),
    "experts:unit_people": (None, only(APPROVED_UNITS)),
    # 批量处理: its confirmation page needs ?action=… (tests/experts/test_bulk.py); bare, 404.
    "experts:unit_bulk": (None, only(APPROVED_UNITS, status_if=MISSING)),
    "experts:unit_detail": (
        lambda w: {"pk": w["application"].pk},
        {**only({"own_unit"}), "other_unit": MISSING},
    ),
    "experts:unit_recommend": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:unit_return": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:unit_reveal": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:bureau_queue": (None, only(BUREAU)),
    "experts:bureau_bulk": (None, only(BUREAU, status_if=MISSING)),
    "experts:bureau_detail": (lambda w: {"pk": w["application"].pk}, only(BUREAU)),
    "experts:bureau_approve": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:bureau_reject": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:bureau_reveal": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:bureau_confirm_exit": (
        lambda w: {"pk": w["application"].pk},
        everyone(NOT_ALLOWED),
    ),
    "experts:bureau_remove": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:bureau_revoke": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    # 专家入库公示: public, no login (notice); objections are posted by the bureau only.
    "notice:public": (None, everyone(OK)),
    "notice:record_objection": (lambda w: {"pk": w["application"].pk}, everyone(NOT_ALLOWED)),
    "experts:pool": (None, only(BUREAU)),
    "experts:statistics": (None, only(BUREAU)),
    # 专家抽取: the bureau's alone; units never see a draw (an expert sees their own on home).
    "draws:list": (None, only(BUREAU)),
    "draws:new": (None, only(BUREAU)),
    "draws:detail": (lambda w: {"pk": w["draw"].pk}, only(BUREAU)),
    "draws:verify": (lambda w: {"pk": w["draw"].pk}, only(BUREAU)),
    "draws:export": (lambda w: {"pk": w["draw"].pk}, only(BUREAU)),
    "draws:sheet": (lambda w: {"pk": w["draw"].pk}, only(BUREAU)),
    "draws:record": (lambda w: {"pk": w["draw"].pk}, only(BUREAU)),
    # 专家劳务费: the bureau's alone, as the draw it belongs to.
    "fees:sheet": (lambda w: {"pk": w["draw"].pk}, only(BUREAU)),
    "fees:export": (lambda w: {"pk": w["draw"].pk}, only(BUREAU)),
    "draws:eligible": (
        lambda w: {"pk": w["draw"].pk, "round_pk": draw_round(w).pk},
        only(BUREAU),
    ),
    "draws:answer": (lambda w: {"pk": w["draw"].pk}, everyone(NOT_ALLOWED)),
    "draws:evaluate": (lambda w: {"pk": w["draw"].pk}, everyone(NOT_ALLOWED)),
    "draws:notify": (lambda w: {"pk": w["draw"].pk}, everyone(NOT_ALLOWED)),
    "draws:void": (lambda w: {"pk": w["draw"].pk}, everyone(NOT_ALLOWED)),
    "draws:fill": (lambda w: {"pk": w["draw"].pk, "quota": 1}, everyone(NOT_ALLOWED)),
    "experts:pool_export": (None, only(BUREAU)),
    "experts:export_list": (None, only(BUREAU)),
    # An export and its file are the requester's (the reviewer's): another reviewer, 404.
    "experts:export_job": (
        lambda w: {"pk": reviewers_export(w).pk},
        {**only(BUREAU), "operator": MISSING},
    ),
    "experts:export_download": (
        lambda w: {"pk": reviewers_export(w).pk},
        {**only(BUREAU), "operator": MISSING},
    ),
    # 入库证明: each applicant downloads their own (the URL names nobody); these two are not
    # 审核通过, so they have none (404). Units and the bureau have no certificate (403).
    "certificates:download": (None, only(APPLICANTS, status_if=REDIRECT)),
    # 证书查验: public, no login; the bare form here (tests/certificates for lookups).
    "certificates:verify": (None, everyone(OK)),
    # 信息变更 (changes): the form is an admitted expert's (the others are sent home); a unit
    # sees the requests it confirms (another unit: 404); the bureau every one.
    "changes:edit": (None, only(APPLICANTS, status_if=REDIRECT)),
    "changes:withdraw": (lambda w: {"pk": change_request(w).pk}, everyone(NOT_ALLOWED)),
    "changes:unit_list": (None, only(APPROVED_UNITS)),
    # 批量处理, as the expert queues': bare (no ?action=…), 404 (tests/changes/test_change_bulk.py).
    "changes:unit_bulk": (None, only(APPROVED_UNITS, status_if=MISSING)),
    "changes:unit_detail": (
        lambda w: {"pk": change_request(w).pk},
        {**only({"own_unit"}), "other_unit": MISSING},
    ),
    "changes:unit_confirm": (lambda w: {"pk": change_request(w).pk}, everyone(NOT_ALLOWED)),
    "changes:unit_return": (lambda w: {"pk": change_request(w).pk}, everyone(NOT_ALLOWED)),
    "changes:unit_reveal": (lambda w: {"pk": change_request(w).pk}, everyone(NOT_ALLOWED)),
    "changes:bureau_list": (None, only(BUREAU)),
    "changes:bureau_bulk": (None, only(BUREAU, status_if=MISSING)),
    "changes:bureau_detail": (lambda w: {"pk": change_request(w).pk}, only(BUREAU)),
    "changes:bureau_approve": (lambda w: {"pk": change_request(w).pk}, everyone(NOT_ALLOWED)),
    "changes:bureau_reject": (lambda w: {"pk": change_request(w).pk}, everyone(NOT_ALLOWED)),
    "changes:bureau_reveal": (lambda w: {"pk": change_request(w).pk}, everyone(NOT_ALLOWED)),
    # A 信息变更's 证明材料: as its request (the expert, the confirming unit, the bureau).
    "changes:attachment": (
        lambda w: {"pk": change_request(w).pk, "file_pk": change_proof(w).pk},
        only({"applicant", "own_unit"} | BUREAU, others=MISSING),
    ),
    # 删除 a file of the request: its expert's page that asks first (here it says why not: the
    # request's only 职称证书); another applicant 404, the other roles 403.
    "changes:attachment_delete": (
        lambda w: {"pk": change_request(w).pk, "file_pk": change_proof(w).pk},
        {**only({"applicant", "other_applicant"}), "other_applicant": MISSING},
    ),
}
# Django admin: operators only (staff with the second factor); everyone else meets the admin's
# own login page. Every registered model's changelist and add page is tried.
ADMIN_TABLE = {**only({"operator"}, others=REDIRECT)}
# Records nobody adds by hand: history, the SMS outbox, django-axes' login records and the
# authenticators people bind themselves (the last two through accounts' proxies), and the
# reminders send_reminders records, and applications (they begin in the portal).
ADMIN_READ_ONLY_MODELS = {
    "exportedapplication",
    "expertapplication",
    "accountlock",
    "unittransition",
    "applicationtransition",
    "smsmessage",
    "loginattempt",
    "loginlog",
    "loginfailure",
    "authenticator",
    "auditevent",
    "reminder",
    "draw",
    "pick",
    "event",
    "void",
    "evaluation",
    "fee",
    "blacklist",
    "noticeobjection",
    "changerequest",
    "exportjob",
}


def reviewers_export(world):
    """The reviewer's export of 专家库, written by the worker."""
    from experts import exports

    job = exports.request_pool_export(world["users"]["reviewer"], "", scope="masked")
    exports.run_pending()
    return job


def applicants_attachment(world):
    """A 证明材料 of the applicant's (submitted: its unit and the bureau may read it)."""
    from django.core.files.base import ContentFile

    from experts.models import ApplicationAttachment

    content = factories.png_bytes()
    return ApplicationAttachment.objects.create(
        application=world["application"],
        kind="title",
        file=ContentFile(content, name="证书.png"),
        original_name="证书.png",
        size=len(content),
        sha256="0" * 64,
    )


def change_request(world):
    """A 变更申请 of the applicant's, which their own unit confirms."""
    from changes.models import ChangeKind, ChangeRequest

    application = world["application"]
    return ChangeRequest.objects.get_or_create(
        application=application,
        defaults={
            "kind": ChangeKind.KEY,
            "requested_by": application.user,
            "old_unit": world["unit"],
            "confirming_unit": world["unit"],
            "values": {"title": "研究员"},
            "before": {"version": 1, "rows": [["学历与职称", "专业技术职称", "教授", False]]},
            "after": {"version": 1, "rows": [["学历与职称", "专业技术职称", "研究员", False]]},
            "changed_labels": "专业技术职称",
        },
    )[0]


def change_proof(world):
    """A 证明材料 of the applicant's 变更申请, not (yet) the application's."""
    from django.core.files.base import ContentFile

    from experts.models import ApplicationAttachment

    content = factories.png_bytes()
    return ApplicationAttachment.objects.create(
        change_request=change_request(world),
        kind="title",
        file=ContentFile(content, name="证书.png"),
        original_name="证书.png",
        size=len(content),
        sha256="0" * 64,
    )


def draw_round(world):
    """A round of the world's draw, with its (empty) list of eligible ids."""
    from draws.models import Quota, Round
    from experts.models import Discipline

    draw = world["draw"]
    discipline = Discipline.objects.get_or_create(code="01", defaults={"name": "电子信息"})[0]
    quota = Quota.objects.get_or_create(
        draw=draw, number=1, defaults={"discipline": discipline, "count": 1, "reserves": 0}
    )[0]
    return Round.objects.get_or_create(
        quota=quota,
        number=1,
        defaults={
            "seed": "0" * 64,
            "eligible_ids": [],
            "eligible_hash": "",
            "eligible_count": 0,
            "wanted": 1,
            "picked_ids": [],
            "created_by": draw.created_by,
        },
    )[0]


@pytest.fixture
def world(db):
    return build_world()


def build_world():
    """Two approved units, one pending, their accounts, two applicants, a reviewer, an operator."""
    unit = factories.make_unit(name="本单位")
    other = factories.make_unit(name="他单位")
    pending = factories.make_unit(UnitStatus.PENDING, name="待审单位")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    users = {
        "anonymous": None,
        "applicant": applicant,
        "other_applicant": factories.make_applicant(unit),
        "own_unit": factories.unit_account(unit),
        "other_unit": factories.unit_account(other),
        "pending_unit": factories.unit_account(pending),
        "reviewer": factories.make_reviewer(),
        "operator": get_user_model().objects.create_superuser("op", "op@example.com", "x"),
    }
    draw = Draw.objects.create(
        project_name="示例项目",
        review_at=timezone.now(),
        review_place="市科技局",
        criteria={},
        created_by=users["reviewer"],
    )
    return {
        "unit": unit,
        "pending": pending,
        "application": applicant.application,
        "users": users,
        "draw": draw,
    }


def status_for(client, world, role, url):
    if world["users"][role] is not None:
        client.force_login(world["users"][role])
    return client.get(url).status_code


CELLS = [(name, role) for name in TABLE for role in ROLES]


@pytest.mark.parametrize(("url_name", "role"), CELLS, ids=[f"{n}-{r}" for n, r in CELLS])
def test_access_table(client, world, url_name, role):
    kwargs_for, expected = TABLE[url_name]
    url = reverse(url_name, kwargs=kwargs_for(world) if kwargs_for else None)
    assert status_for(client, world, role, url) == expected[role]


def admin_urls():
    urls = [reverse("admin:index")]
    for model in (m for m in apps.get_models() if admin_site.is_registered(m)):
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        if model._meta.model_name not in ADMIN_READ_ONLY_MODELS:
            urls.append(reverse(f"{prefix}_add"))
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_admin_access(client, world, role):
    statuses = {url: status_for(client, world, role, url) for url in admin_urls()}
    assert set(statuses.values()) == {ADMIN_TABLE[role]}, statuses


def url_patterns(resolver=None, namespace=""):
    """(namespace, name or the pattern itself) of every URL the project answers."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield namespace, f"{namespace}{entry.name}" if entry.name else str(entry.pattern)


def test_every_url_the_project_defines_is_in_the_table():
    # The admin's own URLs follow test_admin_access's rule: staff with the second factor only.
    missing = [
        name
        for namespace, name in url_patterns()
        if name not in TABLE and not namespace.startswith("admin:")
    ]
    assert missing == [], f"decide who may see these and add them to TABLE: {missing}"


def test_cells_tried():
    # 95 named URLs × 8 roles, besides 34 admin pages × 8 roles in test_admin_access, and the
    # 2 查看完整信息 URLs × 8 roles posted in test_reveal_access.
    assert len(CELLS) == len(TABLE) * len(ROLES) == 760
    assert len(admin_urls()) == 34
    assert len(REVEAL_CELLS) == len(REVEAL_TABLE) * len(ROLES) == 16


# 查看完整信息 (issue 19 point 11), POSTed with a valid choice and reason: who sees the applicant's
# 证件号码 in full. Its own unit and the bureau do; another unit's account answers 404 (the
# application is outside its scope); applicants, a pending unit and the other page's role 403.
REVEAL_TABLE = {
    "experts:unit_reveal": {**only({"own_unit"}), "other_unit": MISSING},
    "experts:bureau_reveal": only(BUREAU),
}
REVEAL_CELLS = [(name, role) for name in REVEAL_TABLE for role in ROLES]


@pytest.mark.parametrize(
    ("url_name", "role"), REVEAL_CELLS, ids=[f"{n}-{r}" for n, r in REVEAL_CELLS]
)
def test_reveal_access(client, world, url_name, role):
    application = world["application"]
    if world["users"][role] is not None:
        client.force_login(world["users"][role])
    response = client.post(
        reverse(url_name, kwargs={"pk": application.pk}),
        {"reveal-numbers": "id_number", "reveal-reason": "verify_identity"},
    )
    expected = REVEAL_TABLE[url_name][role]
    assert response.status_code == expected
    if expected == REDIRECT:
        assert response.url.startswith(reverse("accounts:login") + "?next=")
    # Whoever gets the page sees the number, with one audit event; nobody else either.
    revealed = application.user.id_number in response.content.decode()
    events = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL_DATA)
    assert (revealed, events.count()) == ((True, 1) if expected == OK else (False, 0))
