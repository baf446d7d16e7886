"""Every role × every state × every action on an expert application, as real HTTP requests.

A person can only act through the portal's pages, so each cell logs a role in with the test
client, POSTs one action at one application (the owner's, in one state), and checks the outcome
the design promises: the right role in the right state moves the application (one history row;
one SMS for a bureau decision); everyone and everything else changes nothing and answers with a
login redirect (visitors), 403 (the page is not for that role), 404 (the application is outside
the user's scope) or a message saying why (right person, wrong state).

The expectation is written as a rule (`expected`), never recorded from what the app does.
The test ids name each cell and its expected outcome, so `pytest -v` lists every cell tried.
"""

import itertools

import pytest
from django.urls import reverse

from accounts.models import UnitStatus
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories
from tests.matrix import Action, Outcome, assert_answer

S = ApplicationStatus

ROLES = (
    "anonymous",
    "owner",
    "same_unit_applicant",
    "other_unit_applicant",
    "own_unit",
    "other_unit",
    "pending_unit",
    "reviewer",
)
APPLICANTS = frozenset({"owner", "same_unit_applicant", "other_unit_applicant"})
APPROVED_UNITS = frozenset({"own_unit", "other_unit"})

# The other applicants keep their own application in 信息未填写, so that a request of theirs
# which succeeds on their own application shows it never reaches the owner's.
OTHERS_STATE = S.DRAFT
# 所在部门 as posted by the form actions: stored only when a draft save is allowed.
POSTED_DEPARTMENT = "矩阵测试部门"


ACTIONS = {
    "submit": Action(
        "experts:form", False, APPLICANTS, frozenset({"owner"}), S.DRAFT, S.PENDING_UNIT, 0
    ),
    "save": Action("experts:form", False, APPLICANTS, frozenset({"owner"}), S.DRAFT, None, 0),
    "revise": Action(
        "experts:revise", False, APPLICANTS, frozenset({"owner"}), S.REJECTED, S.DRAFT, 0
    ),
    "recommend": Action(
        "experts:unit_recommend",
        True,
        APPROVED_UNITS,
        frozenset({"own_unit"}),
        S.PENDING_UNIT,
        S.PENDING_BUREAU,
        0,
        (("comment", "同意推荐"),),
    ),
    "send_back": Action(
        "experts:unit_return",
        True,
        APPROVED_UNITS,
        frozenset({"own_unit"}),
        S.PENDING_UNIT,
        S.DRAFT,
        1,  # the applicant is told: 已被所在单位退回
        (("reason", "请补充主要业绩材料"),),
    ),
    "approve": Action(
        "experts:bureau_approve",
        True,
        frozenset({"reviewer"}),
        frozenset({"reviewer"}),
        S.PENDING_BUREAU,
        S.APPROVED,
        1,
        (("comment", "同意入库"),),
    ),
    "reject": Action(
        "experts:bureau_reject",
        True,
        frozenset({"reviewer"}),
        frozenset({"reviewer"}),
        S.PENDING_BUREAU,
        S.REJECTED,
        1,
        (("reason", "专业领域与需求不符"),),
    ),
    # 撤回同意 before admission: only the confirmation page's button acts (its GET asks).
    "withdraw_application": Action(
        "experts:withdraw_consent",
        False,
        APPLICANTS,
        frozenset({"owner"}),
        (S.DRAFT, S.PENDING_UNIT, S.PENDING_BUREAU, S.REJECTED),
        S.DRAFT,
        0,
        (("confirmed", "yes"),),
    ),
    # After admission (experts.lifecycle): the expert's own steps from their home page …
    "confirm_info": Action(
        "experts:applicant_act",
        False,
        APPLICANTS,
        frozenset({"owner"}),
        S.APPROVED,
        S.APPROVED,
        0,
        url_kwargs=(("action", "confirm"),),
    ),
    "request_unfreeze": Action(
        "experts:applicant_act",
        False,
        APPLICANTS,
        frozenset({"owner"}),
        S.FROZEN,
        S.PENDING_BUREAU,
        0,
        url_kwargs=(("action", "unfreeze"),),
    ),
    "request_exit": Action(
        "experts:applicant_act",
        False,
        APPLICANTS,
        frozenset({"owner"}),
        (S.APPROVED, S.FROZEN),
        S.EXIT_PENDING,
        0,
        url_kwargs=(("action", "exit"),),
    ),
    "withdraw_exit": Action(
        "experts:applicant_act",
        False,
        APPLICANTS,
        frozenset({"owner"}),
        S.EXIT_PENDING,
        S.APPROVED,
        0,
        url_kwargs=(("action", "withdraw_exit"),),
    ),
    "reapply": Action(
        "experts:applicant_act",
        False,
        APPLICANTS,
        frozenset({"owner"}),
        S.EXITED,
        S.DRAFT,
        0,
        url_kwargs=(("action", "reapply"),),
    ),
    # … and the bureau's.
    "confirm_exit": Action(
        "experts:bureau_confirm_exit",
        True,
        frozenset({"reviewer"}),
        frozenset({"reviewer"}),
        S.EXIT_PENDING,
        S.EXITED,
        1,
    ),
    "remove": Action(
        "experts:bureau_remove",
        True,
        frozenset({"reviewer"}),
        frozenset({"reviewer"}),
        (S.APPROVED, S.FROZEN, S.EXIT_PENDING),
        S.EXITED,
        1,
        (("code", "false_info"), ("reason", "学历信息不实")),
    ),
    # 撤销入库（公示异议）: the factory's 审核通过 is decided now, within its 公示期.
    "revoke": Action(
        "experts:bureau_revoke",
        True,
        frozenset({"reviewer"}),
        frozenset({"reviewer"}),
        S.APPROVED,
        S.REJECTED,
        1,
        (("reason", "公示期间收到实名异议，经核实学历不实"),),
    ),
}


def expected(role: str, action: str, state: str) -> Outcome:
    spec = ACTIONS[action]
    if role == "anonymous":
        return Outcome.LOGIN
    if role not in spec.page_roles:
        return Outcome.FORBIDDEN
    if role not in spec.scope_roles:
        return Outcome.NOT_FOUND if spec.takes_pk else Outcome.OWN_ONLY
    return Outcome.DONE if spec.starts_from(state) else Outcome.REFUSED


def own_outcome(action: str) -> Outcome:
    """What another applicant's request does to their own application (in OTHERS_STATE)."""
    return Outcome.DONE if ACTIONS[action].starts_from(OTHERS_STATE) else Outcome.REFUSED


CELLS = [
    pytest.param(
        role,
        action,
        state,
        expected(role, action, state),
        id=f"{action}-{state}-{role}-{expected(role, action, state).value}",
    )
    for action, state, role in itertools.product(ACTIONS, S.values, ROLES)
]
# Pages whose GET is a form or a confirmation, never the action.
ASKING_PAGES = ("experts:form", "experts:withdraw_consent")
POST_ONLY = [name for name, spec in ACTIONS.items() if spec.url_name not in ASKING_PAGES]


# --- arrange -------------------------------------------------------------------------------


def build_cast(owner_state: str) -> dict:
    """Every role once, around one owner's application in `owner_state`."""
    own_unit = factories.make_unit(UnitStatus.APPROVED)
    other_unit = factories.make_unit(UnitStatus.APPROVED)
    pending_unit = factories.make_unit(UnitStatus.PENDING)
    return {
        "anonymous": None,
        "owner": factories.make_applicant(own_unit, status=owner_state),
        "same_unit_applicant": factories.make_applicant(own_unit, status=OTHERS_STATE),
        "other_unit_applicant": factories.make_applicant(other_unit, status=OTHERS_STATE),
        "own_unit": factories.unit_account(own_unit),
        "other_unit": factories.unit_account(other_unit),
        "pending_unit": factories.unit_account(pending_unit),
        "reviewer": factories.make_reviewer(),
    }


def snapshot(application: ExpertApplication) -> dict:
    application = ExpertApplication.objects.get(pk=application.pk)
    return {
        "status": application.status,
        "department": application.department,
        "history": application.history.count(),
    }


# --- act -----------------------------------------------------------------------------------


def post_action(client, action: str, role: str, cast: dict):
    spec = ACTIONS[action]
    actor, owner = cast[role], cast["owner"]
    if actor is not None:
        client.force_login(actor)
    kwargs = {"pk": owner.application.pk} if spec.takes_pk else {}
    kwargs.update(spec.url_kwargs)
    if spec.url_name == "experts:form":
        # Applicants post their own application's form; anyone else posts the owner's.
        author = actor if role in APPLICANTS else owner
        data = factories.application_post_data(author, action, department=POSTED_DEPARTMENT)
    else:
        data = dict(spec.data)
    return client.post(reverse(spec.url_name, kwargs=kwargs), data)


# --- assert --------------------------------------------------------------------------------


def assert_moved(application, before: dict, action: str, actor) -> None:
    spec = ACTIONS[action]
    after = snapshot(application)
    if spec.target is None:  # 保存草稿: the typed values are kept, the state stays
        assert after == {**before, "department": POSTED_DEPARTMENT}
        return
    assert after["status"] == spec.target
    assert after["history"] == before["history"] + 1
    row = application.history.order_by("-pk").first()
    assert (row.actor_id, row.action, row.from_status, row.to_status) == (
        actor.pk,
        action,
        before["status"],
        spec.target,
    )


@pytest.mark.parametrize(("role", "action", "state", "outcome"), CELLS)
def test_expert_application_cell(client, db, role, action, state, outcome):
    cast = build_cast(state)
    owner, actor = cast["owner"], cast[role]
    before = snapshot(owner.application)
    actors_own_before = snapshot(actor.application) if outcome is Outcome.OWN_ONLY else None
    sms_before = SMSMessage.objects.count()

    response = post_action(client, action, role, cast)

    if outcome is Outcome.DONE:
        assert_answer(response, outcome, says=f"“{S(state).label}”")
        assert_moved(owner.application, before, action, actor)
        assert SMSMessage.objects.count() == sms_before + ACTIONS[action].sms
        return
    # Nothing happened to the owner's application, whatever the answer.
    assert snapshot(owner.application) == before
    if outcome is Outcome.OWN_ONLY:
        assert_answer(response, own_outcome(action), says=f"“{S(OTHERS_STATE).label}”")
        if own_outcome(action) is Outcome.DONE:
            assert_moved(actor.application, actors_own_before, action, actor)
        else:
            assert snapshot(actor.application) == actors_own_before
    else:
        assert_answer(response, outcome, says=f"“{S(state).label}”")
    assert SMSMessage.objects.count() == sms_before


def test_matrix_tries_every_cell():
    assert len(CELLS) == len(ROLES) * len(S.values) * len(ACTIONS) == 1024


@pytest.mark.parametrize("as_role", ["anonymous", "right_role"])
@pytest.mark.parametrize("action", POST_ONLY)
def test_get_on_post_only_action_is_405(client, db, action, as_role):
    spec = ACTIONS[action]
    cast = build_cast(spec.source[0] if isinstance(spec.source, tuple) else spec.source)
    owner = cast["owner"]
    actor = None if as_role == "anonymous" else cast[sorted(spec.scope_roles)[0]]
    if actor is not None:
        client.force_login(actor)
    before = snapshot(owner.application)
    kwargs = {"pk": owner.application.pk} if spec.takes_pk else {}
    kwargs.update(spec.url_kwargs)

    response = client.get(reverse(spec.url_name, kwargs=kwargs), dict(spec.data))

    assert response.status_code == 405
    assert snapshot(owner.application) == before
    assert SMSMessage.objects.count() == 0
