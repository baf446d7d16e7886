"""Every role × every state × every action on a 变更申请, as real HTTP requests (as
tests/experts/test_transition_matrix.py does for the application): the right role in the right
state moves it (one history row; one SMS for a bureau decision); everyone and everything else
changes nothing and answers with a login redirect, 403, 404 or a message saying why."""

import itertools

import pytest
from django.urls import reverse

from changes.models import OPEN, REVIEWED, ChangeRequest, ChangeStatus
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import admitted, key_request
from tests.matrix import Action, Outcome, assert_answer

pytestmark = pytest.mark.django_db
S = ChangeStatus

ROLES = ("anonymous", "owner", "other_applicant", "own_unit", "other_unit", "reviewer")
APPLICANTS = frozenset({"owner", "other_applicant"})
UNITS = frozenset({"own_unit", "other_unit"})
REVIEWERS = frozenset({"reviewer"})

ACTIONS = {
    "confirm": Action(
        "changes:unit_confirm",
        True,
        UNITS,
        frozenset({"own_unit"}),
        S.PENDING_UNIT,
        S.PENDING_BUREAU,
        0,
        (("comment", "属实"),),
    ),
    "send_back": Action(
        "changes:unit_return",
        True,
        UNITS,
        frozenset({"own_unit"}),
        S.PENDING_UNIT,
        S.REJECTED,
        1,
        (("reason", "材料不符"),),
    ),
    "approve": Action(
        "changes:bureau_approve",
        True,
        REVIEWERS,
        REVIEWERS,
        S.PENDING_BUREAU,
        S.APPROVED,
        1,
        (("comment", ""),),
    ),
    "reject": Action(
        "changes:bureau_reject",
        True,
        REVIEWERS,
        REVIEWERS,
        S.PENDING_BUREAU,
        S.REJECTED,
        1,
        (("reason", "未提供证明"),),
    ),
    "withdraw": Action(
        "changes:withdraw", True, APPLICANTS, frozenset({"owner"}), "open", S.WITHDRAWN, 0
    ),
}


def expected(role: str, action: str, state: str) -> Outcome:
    spec = ACTIONS[action]
    if role == "anonymous":
        return Outcome.LOGIN
    if role not in spec.page_roles:
        return Outcome.FORBIDDEN
    if role not in spec.scope_roles:
        return Outcome.NOT_FOUND
    sources = OPEN if spec.source == "open" else [spec.source]
    return Outcome.DONE if state in sources else Outcome.REFUSED


CELLS = [
    pytest.param(
        role,
        action,
        state,
        expected(role, action, state),
        id=f"{action}-{state}-{role}-{expected(role, action, state).value}",
    )
    for action, state, role in itertools.product(ACTIONS, REVIEWED, ROLES)
]


@pytest.mark.parametrize(("role", "action", "state", "outcome"), CELLS)
def test_change_request_cell(client, reference_data, role, action, state, outcome):
    own_unit, other_unit = factories.make_unit(), factories.make_unit()
    owner = admitted(own_unit, name="赵明")
    cast = {
        "anonymous": None,
        "owner": owner,
        "other_applicant": admitted(own_unit),
        "own_unit": factories.unit_account(own_unit),
        "other_unit": factories.unit_account(other_unit),
        "reviewer": factories.make_reviewer(),
    }
    request = key_request(owner, status=state)
    actor = cast[role]
    if actor is not None:
        client.force_login(actor)
    spec = ACTIONS[action]

    response = client.post(reverse(spec.url_name, args=[request.pk]), dict(spec.data))

    after = ChangeRequest.objects.get(pk=request.pk)
    history = list(after.history.values_list("action", "from_status", "to_status", "actor_id"))
    if outcome is Outcome.DONE:
        assert_answer(response, outcome)
        assert after.status == spec.target
        assert history == [(action, state, spec.target, actor.pk)]
        assert SMSMessage.objects.count() == spec.sms
        applied = owner.application.history.filter(action="apply_change").count()
        assert applied == (1 if action == "approve" else 0)
    else:
        says = "不能执行" if outcome is Outcome.REFUSED else None
        assert_answer(response, outcome, says)
        assert (after.status, history, SMSMessage.objects.count()) == (state, [], 0)
        assert owner.application.history.count() == 0


def test_the_matrix_covers_every_state_action_and_role():
    assert len(CELLS) == len(ACTIONS) * len(REVIEWED) * len(ROLES) == 150
    done = [cell for cell in CELLS if cell.values[3] is Outcome.DONE]
    # confirm, send_back, approve, reject from their one state; withdraw from both open ones.
    assert len(done) == 6


def test_close_is_offered_by_no_page_and_fired_by_no_person_but_a_reviewer(unit, reviewer):
    """关闭 follows an expert out of 审核通过 (changes.receivers): no URL posts it, and of the
    people only a bureau reviewer (who takes an expert out) may fire it; the system (None) too."""
    from changes import urls
    from portal.workflow import WorkflowError, fire, transition_of

    named = {t.name for t in ChangeRequest().get_all_status_transitions()}
    # 提交 and 修改 are the expert's saves of 修改专家信息 (changes.services.save_changes).
    assert named - set(ACTIONS) == {"close", "submit", "amend"}
    assert not any(
        name in (pattern.name or "")
        for pattern in urls.urlpatterns
        for name in ("close", "submit", "amend")
    )

    owner = admitted(unit)
    request = key_request(owner)
    close = transition_of(request, "close")
    for person in (owner, factories.unit_account(unit), admitted(unit)):
        assert not close.has_perm(request, person)
        with pytest.raises(WorkflowError, match="您没有权限执行“关闭”操作"):
            fire(request, "close", person)
    assert close.has_perm(request, reviewer) and close.has_perm(request, None)
