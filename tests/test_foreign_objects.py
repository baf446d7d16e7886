"""Objects of another unit or another applicant: every role × every page that takes a pk ×
GET and POST answers 404 (or 403 / login / 405 before the object is even looked up) and changes
nothing; lists show no foreign rows.

The design: "A unit account sees and touches only its own unit's people. An applicant sees only
their own application. Anything else answers 404 (not 403: don't reveal that the object
exists)." `portal.views.role_required` answers 403 when the page is not for the role at all
(an applicant on a /bureau/ page) and sends visitors to log in; `require_POST` answers 405 to a
GET before anything else is checked. The portal has no export (CSV/Excel) views; its lists are
the only way to read many rows at once.

The workflow ACTIONS of the owner's application per role × state are covered by
tests/experts/test_transition_matrix.py; here every *object* is tried, with a world in which
foreign rows exist in every state that could leak. The expected answer is written as a rule
(`expected`), never recorded from what the app does. Cells are run in groups of one page and
one role (one login each, to keep the module fast on PostgreSQL); a failing group lists every
cell that went wrong, and `test_foreign_object_cells_tried` counts the cells.
"""

import enum
import itertools
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse

from accounts import services as unit_services
from accounts.models import Unit, UnitStatus, UnitTransition, User
from experts import services
from experts.models import (
    ApplicationStatus,
    ApplicationTransition,
    ExpertApplication,
)
from sms.models import SMSMessage
from tests import factories

S = ApplicationStatus

# Two approved units A and B, each with two applicants: one 待单位推荐 (submitted, with its
# history), one 审核通过 (submitted, recommended, approved: three history rows and an SMS).
APPLICATIONS = ("A_pending", "A_approved", "B_pending", "B_approved")
UNITS = ("A", "B", "C")  # C is still 待审核
# Names chosen so a search can match a foreign row: 欧阳 matches one applicant of each unit.
APPLICANT_NAMES = {
    "A_pending": "欧阳明",
    "A_approved": "司马光",
    "B_pending": "欧阳远",
    "B_approved": "司马迁",
}
UNIT_NAMES = {"A": "华中测试大学", "B": "江城测试研究院", "C": "光谷测试科技有限公司"}

ROLES = (
    "anonymous",
    *(f"applicant_{key}" for key in APPLICATIONS),
    "unit_A",
    "unit_B",
    "unit_C",  # the account of the unit still 待审核
    "reviewer",
    "operator",
)
APPROVED_UNIT_ACCOUNTS = frozenset({"unit_A", "unit_B"})
BUREAU = frozenset({"reviewer", "operator"})  # operators (superusers) act as reviewers too
OPERATOR = frozenset({"operator"})
METHODS = ("get", "post")


class Outcome(enum.Enum):
    LOGIN = "login"  # a visitor is sent to the portal's login
    ADMIN_LOGIN = "admin-login"  # Django admin sends anyone but staff to its own login
    FORBIDDEN = "403"  # the page is not for this role
    NOT_FOUND = "404"  # the object is outside the user's scope
    NOT_ALLOWED = "405"  # a GET to a POST-only URL


@dataclass(frozen=True)
class Page:
    url_name: str
    subject: str  # what the pk names
    objects: tuple[str, ...]  # world keys tried
    page_roles: frozenset[str] | None  # None: any logged-in user (login_required)
    post_only: bool = False
    data: tuple[tuple[str, str], ...] = ()

    @property
    def admin(self) -> bool:
        return self.url_name.startswith("admin:")


COMMENT = (("comment", "同意"),)
REASON = (("reason", "越权测试理由"),)
PAGES = (
    Page("experts:unit_detail", "application", APPLICATIONS, APPROVED_UNIT_ACCOUNTS),
    Page(
        "experts:unit_recommend", "application", APPLICATIONS, APPROVED_UNIT_ACCOUNTS, True, COMMENT
    ),
    Page("experts:unit_return", "application", APPLICATIONS, APPROVED_UNIT_ACCOUNTS, True, REASON),
    Page("experts:bureau_detail", "application", APPLICATIONS, BUREAU),
    Page("experts:bureau_approve", "application", APPLICATIONS, BUREAU, True, COMMENT),
    Page("experts:bureau_reject", "application", APPLICATIONS, BUREAU, True, REASON),
    Page("accounts:licence", "unit", UNITS, None),
    Page("accounts:bureau_unit_detail", "unit", UNITS, BUREAU),
    Page("accounts:bureau_unit_approve", "unit", UNITS, BUREAU, True),
    Page("accounts:bureau_unit_reject", "unit", UNITS, BUREAU, True, REASON),
    # Django admin takes pks too. It is for operators whatever the object, so one object of
    # each kind (unit B's) stands for all.
    Page("admin:experts_expertapplication_change", "application", ("B_pending",), OPERATOR),
    Page("admin:accounts_unit_change", "unit", ("B",), OPERATOR),
    Page("admin:accounts_user_change", "user", ("B_pending",), OPERATOR),
    Page(
        "admin:experts_applicationtransition_change",
        "application_history",
        ("B_pending",),
        OPERATOR,
    ),
    Page("admin:accounts_unittransition_change", "unit_history", ("B",), OPERATOR),
)


def in_scope(role: str, subject: str, key: str) -> bool:
    """Whether the design lets `role` see object `key`."""
    if role in BUREAU:
        return True
    if subject == "application":
        if role.startswith("applicant_"):
            return role == f"applicant_{key}"
        return role in APPROVED_UNIT_ACCOUNTS and key.startswith(role.removeprefix("unit_") + "_")
    if subject == "unit":
        # A unit account sees its own registration (and licence) even while 待审核.
        return role == f"unit_{key}"
    return False


def may_use(page: Page, role: str) -> bool:
    return role != "anonymous" and (page.page_roles is None or role in page.page_roles)


def expected(page: Page, role: str, method: str) -> Outcome:
    """The answer for a (page, role) pair whose object is outside the role's reach."""
    if page.post_only and method == "get":
        return Outcome.NOT_ALLOWED
    if page.admin and not may_use(page, role):
        return Outcome.ADMIN_LOGIN
    if role == "anonymous":
        return Outcome.LOGIN
    if not may_use(page, role):
        return Outcome.FORBIDDEN
    return Outcome.NOT_FOUND


@dataclass(frozen=True)
class Cell:
    page: Page
    role: str
    key: str
    method: str
    outcome: Outcome

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.page.url_name}[{self.key}] as {self.role}"


CELLS = [
    Cell(page, role, key, method, expected(page, role, method))
    for page, role, key, method in itertools.product(PAGES, ROLES, UNITS + APPLICATIONS, METHODS)
    if key in page.objects
    # Objects the role may see on a page it may use are not foreign: other tests cover them.
    and not (may_use(page, role) and in_scope(role, page.subject, key))
]
# One test per page and role, so each role logs in once per page; a failure lists every cell
# of the group that went wrong.
GROUPS = [
    pytest.param(page, role, cells, id=f"{page.url_name}-{role}")
    for (page, role), cells in itertools.groupby(CELLS, key=lambda cell: (cell.page, cell.role))
    for cells in [list(cells)]
]


# --- arrange: one world for the whole module --------------------------------------------------


def _application(
    unit: Unit, key: str, unit_account: User, reviewer: User
) -> tuple[User, ExpertApplication]:
    applicant = factories.make_applicant(unit, name=APPLICANT_NAMES[key])
    application = applicant.application
    # A value that appears only on pages showing this application's content.
    ExpertApplication.objects.filter(pk=application.pk).update(department=f"部门标记{key}")
    services.submit_application(application, applicant)
    if key.endswith("_approved"):
        services.recommend_application(application, unit_account, "同意推荐")
        services.approve_application(application, reviewer, "同意入库")
    return applicant, application


def build_world() -> dict:
    reviewer = factories.make_reviewer()
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    units, accounts, applicants, applications = {}, {}, {}, {}
    for key in UNITS:
        unit = factories.make_unit(UnitStatus.PENDING, name=UNIT_NAMES[key])
        if key != "C":
            # Through the service, so the unit has its history row and SMS like a real one.
            unit = unit_services.approve_unit(unit, reviewer)
        units[key], accounts[key] = unit, factories.unit_account(unit)
    for key in APPLICATIONS:
        unit_key = key[0]
        applicants[key], applications[key] = _application(
            units[unit_key], key, accounts[unit_key], reviewer
        )
    users = {
        "anonymous": None,
        **{f"applicant_{key}": user for key, user in applicants.items()},
        **{f"unit_{key}": user for key, user in accounts.items()},
        "reviewer": reviewer,
        "operator": operator,
    }
    pks = {
        "application": {key: app.pk for key, app in applications.items()},
        "unit": {key: unit.pk for key, unit in units.items()},
        "user": {key: user.pk for key, user in applicants.items()},
        "application_history": {
            key: app.history.order_by("pk").first().pk for key, app in applications.items()
        },
        "unit_history": {key: units[key].history.get().pk for key in ("A", "B")},
    }
    # What a page must never show about an object its user may not see.
    secrets = {
        "application": {
            key: [f"部门标记{key}", APPLICANT_NAMES[key], applicants[key].id_number]
            for key in APPLICATIONS
        },
        "unit": {key: [units[key].credit_code] for key in UNITS},
        "user": {key: [applicants[key].id_number] for key in APPLICATIONS},
        "application_history": {key: [] for key in APPLICATIONS},
        "unit_history": {key: [] for key in ("A", "B")},
    }
    return {"users": users, "pks": pks, "secrets": secrets}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once and rolled back after the module, like Django's setUpTestData: every cell
    only reads it, and each test's own transaction undoes anything a cell might change."""
    with django_db_blocker.unblock(), transaction.atomic():
        factories.ensure_reference_data()
        world = build_world()
        # Each test starts from exactly this: its own transaction is rolled back after it.
        world["snapshot"] = snapshot()
        yield world
        transaction.set_rollback(True)


def snapshot() -> dict:
    """Everything a foreign request could change."""
    return {
        "applications": sorted(
            ExpertApplication.objects.values_list(
                "pk", "status", "user_id", "department", "updated_at", "decided_at"
            )
        ),
        "units": sorted(
            Unit.objects.values_list(
                "pk", "status", "name", "credit_code", "profile_updated_at", "decided_at"
            )
        ),
        "users": sorted(
            User.objects.values_list("pk", "kind", "unit_id", "is_staff", "is_superuser")
        ),
        "application_history": ApplicationTransition.objects.count(),
        "unit_history": UnitTransition.objects.count(),
        "sms": SMSMessage.objects.count(),
    }


def login_as(client, world: dict, role: str):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return user


# --- the cells ------------------------------------------------------------------------------


def answered(response) -> str:
    """The answer as the outcome names it: a status code, or where a redirect leads."""
    if response.status_code == 302:
        for outcome, login in (
            (Outcome.LOGIN, "accounts:login"),
            (Outcome.ADMIN_LOGIN, "admin:login"),
        ):
            if response.url.startswith(reverse(login) + "?next="):
                return outcome.value
        return f"302 to {response.url}"
    return str(response.status_code)


def check_cell(client, world: dict, cell: Cell) -> list[str]:
    """Make the cell's request; what went wrong, if anything."""
    url = reverse(cell.page.url_name, args=[world["pks"][cell.page.subject][cell.key]])
    response = getattr(client, cell.method)(url, dict(cell.page.data))
    problems = []
    if answered(response) != cell.outcome.value:
        problems.append(f"{cell}: answered {answered(response)}, expected {cell.outcome.value}")
    after = snapshot()
    if after != world["snapshot"]:
        changed = [name for name in after if after[name] != world["snapshot"][name]]
        problems.append(f"{cell}: changed {changed}")
    # Every page's header names the user and their unit, so their own name may appear.
    if cell.role not in (f"applicant_{cell.key}", f"unit_{cell.key}"):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in world["secrets"][cell.page.subject][cell.key]:
            if secret.encode() in body:
                problems.append(f"{cell}: the answer shows {secret!r}")
    return problems


@pytest.mark.parametrize(("page", "role", "cells"), GROUPS)
def test_foreign_objects_answer_without_changing_anything(client, db, world, page, role, cells):
    login_as(client, world, role)

    problems = [problem for cell in cells for problem in check_cell(client, world, cell)]

    assert problems == [], "\n".join(problems)


def test_foreign_object_cells_tried():
    by_outcome = {o: sum(1 for cell in CELLS if cell.outcome is o) for o in Outcome}
    assert by_outcome == {
        Outcome.LOGIN: 50,
        Outcome.ADMIN_LOGIN: 90,
        Outcome.FORBIDDEN: 308,
        Outcome.NOT_FOUND: 52,
        Outcome.NOT_ALLOWED: 184,
    }
    assert len(CELLS) == 684
    assert len(GROUPS) == 131


# --- lists ----------------------------------------------------------------------------------


def _names(response) -> set[str]:
    return {row.real_name for row in response.context["rows"]}


@pytest.mark.parametrize("q", ["", "欧阳", "司马迁", "欧阳远", "教授", "person"])
@pytest.mark.parametrize("status", ["all", *S.values])
@pytest.mark.parametrize("unit_key", ["A", "B"])
def test_unit_people_lists_only_the_units_own_people(client, db, world, unit_key, status, q):
    login_as(client, world, f"unit_{unit_key}")
    own = {key for key in APPLICATIONS if key.startswith(unit_key)}
    own_status = {key: S.PENDING_UNIT if key.endswith("_pending") else S.APPROVED for key in own}
    foreign_names = {APPLICANT_NAMES[key] for key in APPLICATIONS if key not in own}
    matching = {
        key
        for key in own
        # 教授 is everyone's title and every username starts with "person": both match all.
        if q in ("教授", "person") or q in APPLICANT_NAMES[key]
    }

    response = client.get(reverse("experts:unit_people"), {"status": status, "q": q})

    assert response.status_code == 200
    shown = matching if status == "all" else {k for k in matching if own_status[k] == status}
    assert _names(response) == {APPLICANT_NAMES[key] for key in shown}
    tabs = {value: count for value, _label, count in response.context["tabs"]}
    assert tabs["all"] == len(matching)
    page = response.content.decode()
    for name in foreign_names - {q}:  # the search box repeats q
        assert name not in page


def test_pending_unit_cannot_open_the_people_list(client, db, world):
    login_as(client, world, "unit_C")
    response = client.get(reverse("experts:unit_people"), {"q": "欧阳"})
    assert response.status_code == 403
    # It is told where it stands, not only that it may not (found by a unit's walk).
    assert "单位注册尚未通过市科技局审核，通过后才能使用此功能。" in response.content.decode()
    assert reverse("accounts:unit_home") in response.content.decode()


@pytest.mark.parametrize("unit_key", ["A", "B"])
def test_unit_profile_shows_only_the_units_own_details(client, db, world, unit_key):
    login_as(client, world, f"unit_{unit_key}")
    other = "B" if unit_key == "A" else "A"

    response = client.get(reverse("accounts:unit_profile"))

    assert response.status_code == 200
    assert response.context["unit"].pk == world["pks"]["unit"][unit_key]
    page = response.content.decode()
    assert UNIT_NAMES[other] not in page and UNIT_NAMES["C"] not in page
    for secret in world["secrets"]["unit"][other] + world["secrets"]["unit"]["C"]:
        assert secret not in page


@pytest.mark.parametrize(
    ("q", "expected_units"),
    [
        ("", {"A", "B"}),
        ("测试", {"A", "B"}),
        (UNIT_NAMES["C"], set()),
        ("光谷", set()),
    ],
)
@pytest.mark.parametrize("role", ["anonymous", "applicant_A_pending", "unit_C", "reviewer"])
def test_unit_search_offers_only_approved_units(client, db, world, role, q, expected_units):
    login_as(client, world, role)

    results = client.get(reverse("accounts:unit_search"), {"q": q}).json()["results"]

    assert {row["id"] for row in results} == {world["pks"]["unit"][k] for k in expected_units}


def test_unit_search_by_credit_code_offers_only_approved_units(client, db, world):
    codes = {key: world["secrets"]["unit"][key][0] for key in UNITS}
    for key, expected_ids in (("A", {"A"}), ("B", {"B"}), ("C", set())):
        results = client.get(reverse("accounts:unit_search"), {"q": codes[key]}).json()
        assert {row["id"] for row in results["results"]} == {
            world["pks"]["unit"][k] for k in expected_ids
        }


@pytest.mark.parametrize("url_name", ["experts:home", "experts:form"])
@pytest.mark.parametrize("key", APPLICATIONS)
def test_applicant_pages_show_only_their_own_application(client, db, world, key, url_name):
    user = login_as(client, world, f"applicant_{key}")
    own_pk = world["pks"]["application"][key]

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert response.context["application"].pk == own_pk
    assert response.context["application"].user_id == user.pk
    if "history" in response.context:
        history = list(response.context["history"])
        assert history, "the applicant's own history is shown"
        assert {row.application_id for row in history} == {own_pk}
    page = response.content.decode()
    for other in APPLICATIONS:
        if other != key:
            assert APPLICANT_NAMES[other] not in page
            assert f"部门标记{other}" not in page
