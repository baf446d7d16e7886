"""Every role × every state × every action on a unit registration, as real HTTP requests.

待审核 --审核通过 (bureau)--> 已通过, 待审核 --审核不通过 (bureau, reason)--> 未通过,
未通过 --重新提交 (the unit's own account)--> 待审核. Each cell logs a role in with the test client,
POSTs one action at one unit in one state, and checks what the design promises: the right role
in the right state moves the unit (one history row; one SMS for a bureau decision); everything
else changes nothing and answers with a login redirect, 403, or a message saying why.

The expectation is written as a rule (`expected`), never recorded from what the app does.
The test ids name each cell and its expected outcome, so `pytest -v` lists every cell tried.
"""

import itertools

import pytest
from django.urls import reverse

from accounts.models import Unit, UnitStatus
from sms.models import SMSMessage
from tests import factories
from tests.matrix import Action, Outcome, assert_answer

U = UnitStatus

ROLES = (
    "anonymous",
    "applicant",
    "own_account",
    "approved_unit_account",
    "pending_unit_account",
    "rejected_unit_account",
    "reviewer",
)
UNIT_ACCOUNTS = frozenset(
    {"own_account", "approved_unit_account", "pending_unit_account", "rejected_unit_account"}
)
# The state of the other units' own registrations: 重新提交 has no pk, so it reaches only these.
OWN_UNIT_STATE = {
    "approved_unit_account": U.APPROVED,
    "pending_unit_account": U.PENDING,
    "rejected_unit_account": U.REJECTED,
}
CORRECTED = "（更正）"  # appended to 单位名称 by the resubmit form: kept only when it is allowed


REVIEWER = frozenset({"reviewer"})
ACTIONS = {
    "approve": Action(
        "accounts:bureau_unit_approve", True, REVIEWER, REVIEWER, U.PENDING, U.APPROVED, 1
    ),
    "reject": Action(
        "accounts:bureau_unit_reject",
        True,
        REVIEWER,
        REVIEWER,
        U.PENDING,
        U.REJECTED,
        1,
        (("reason", "营业执照扫描件不清晰"),),
    ),
    "resubmit": Action(
        "accounts:unit_resubmit",
        False,
        UNIT_ACCOUNTS,
        frozenset({"own_account"}),
        U.REJECTED,
        U.PENDING,
        0,
    ),
}


def expected(role: str, action: str, state: str) -> Outcome:
    spec = ACTIONS[action]
    if role == "anonymous":
        return Outcome.LOGIN
    if role not in spec.page_roles:
        return Outcome.FORBIDDEN
    if role not in spec.scope_roles:
        return Outcome.OWN_ONLY
    return Outcome.DONE if state == spec.source else Outcome.REFUSED


def own_outcome(role: str, action: str) -> Outcome:
    """What another unit's request does to its own registration."""
    return Outcome.DONE if ACTIONS[action].source == OWN_UNIT_STATE[role] else Outcome.REFUSED


CELLS = [
    pytest.param(
        role,
        action,
        state,
        expected(role, action, state),
        id=f"{action}-{state}-{role}-{expected(role, action, state).value}",
    )
    for action, state, role in itertools.product(ACTIONS, U.values, ROLES)
]


def build_cast(unit_state: str) -> dict:
    """Every role once, around one unit whose registration is in `unit_state`."""
    unit = factories.make_unit(unit_state)
    approved = factories.make_unit(U.APPROVED)
    return {
        "unit": unit,
        "anonymous": None,
        "applicant": factories.make_applicant(approved),
        "own_account": factories.unit_account(unit),
        "approved_unit_account": factories.unit_account(approved),
        "pending_unit_account": factories.unit_account(factories.make_unit(U.PENDING)),
        "rejected_unit_account": factories.unit_account(factories.make_unit(U.REJECTED)),
        "reviewer": factories.make_reviewer(),
    }


def snapshot(unit: Unit) -> dict:
    unit = Unit.objects.get(pk=unit.pk)
    return {"status": unit.status, "name": unit.name, "history": unit.history.count()}


def resubmit_data(unit: Unit) -> dict:
    """The resubmit form as the unit posts it, with a corrected 单位名称; the licence is kept."""
    return {
        "name": unit.name + CORRECTED,
        "credit_code": unit.credit_code,
        "nature": unit.nature,
        "district": unit.district,
        "address": unit.address,
        "contact_name": unit.contact_name,
        "contact_mobile": "13900139000",
        "email": unit.email,
    }


def post_action(client, action: str, role: str, cast: dict):
    spec = ACTIONS[action]
    actor = cast[role]
    if actor is not None:
        client.force_login(actor)
    kwargs = {"pk": cast["unit"].pk} if spec.takes_pk else None
    if action == "resubmit":
        # A unit account posts its own unit's form; anyone else posts the subject unit's.
        data = resubmit_data(actor.unit if role in UNIT_ACCOUNTS else cast["unit"])
    else:
        data = dict(spec.data)
    return client.post(reverse(spec.url_name, kwargs=kwargs), data)


def assert_moved(unit: Unit, before: dict, action: str, actor) -> None:
    spec = ACTIONS[action]
    after = snapshot(unit)
    assert after["status"] == spec.target
    assert after["history"] == before["history"] + 1
    row = unit.history.order_by("-pk").first()
    assert (row.actor_id, row.action, row.from_status, row.to_status) == (
        actor.pk,
        action,
        before["status"],
        spec.target,
    )
    if action == "resubmit":
        assert after["name"] == before["name"] + CORRECTED


@pytest.mark.parametrize(("role", "action", "state", "outcome"), CELLS)
def test_unit_registration_cell(client, db, role, action, state, outcome):
    cast = build_cast(state)
    unit, actor = cast["unit"], cast[role]
    before = snapshot(unit)
    actors_own_before = snapshot(actor.unit) if outcome is Outcome.OWN_ONLY else None
    sms_before = SMSMessage.objects.count()

    response = post_action(client, action, role, cast)

    if outcome is Outcome.DONE:
        assert_answer(response, outcome)
        assert_moved(unit, before, action, actor)
        assert SMSMessage.objects.count() == sms_before + ACTIONS[action].sms
        return
    # Nothing happened to the unit's registration, whatever the answer.
    assert snapshot(unit) == before
    if outcome is Outcome.OWN_ONLY:
        assert_answer(response, own_outcome(role, action))
        if own_outcome(role, action) is Outcome.DONE:
            assert_moved(actor.unit, actors_own_before, action, actor)
        else:
            assert snapshot(actor.unit) == actors_own_before
    else:
        assert_answer(response, outcome)
    assert SMSMessage.objects.count() == sms_before


def test_matrix_tries_every_cell():
    assert len(CELLS) == len(ROLES) * len(U.values) * len(ACTIONS) == 63


@pytest.mark.parametrize("as_role", ["anonymous", "reviewer"])
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_get_on_post_only_action_is_405(client, db, action, as_role):
    spec = ACTIONS[action]
    cast = build_cast(spec.source)
    if cast[as_role] is not None:
        client.force_login(cast[as_role])
    before = snapshot(cast["unit"])

    response = client.get(reverse(spec.url_name, kwargs={"pk": cast["unit"].pk}), dict(spec.data))

    assert response.status_code == 405
    assert snapshot(cast["unit"]) == before
    assert SMSMessage.objects.count() == 0
