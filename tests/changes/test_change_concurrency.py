"""Two confirmations at once (issue 23, "Done means"): two clicks of the unit, or two
reviewers deciding, at the same moment on PostgreSQL: exactly one applies; the other is told
plainly it was handled; no second history row, no second SMS, the counts stay exact."""

import pytest
from django.urls import reverse

from changes.models import ChangeRequest, ChangeStatus
from experts import counts
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import admitted, key_request
from tests.test_concurrency import Tally, already_handled, assert_counts_exact, logged_in, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPETITIONS = 10
CLICKS = 4


def test_two_unit_confirmations_at_once_confirm_once(reference_data, unit, other_unit):
    account = factories.unit_account(other_unit)
    clients = [logged_in(account) for _ in range(CLICKS)]
    tally = Tally(f"unit: {REPETITIONS} × {CLICKS} clicks of 确认 on one change request")
    for repetition in range(REPETITIONS):
        expert = admitted(unit)
        change = key_request(expert, new_unit=other_unit)
        url = reverse("changes:unit_confirm", args=[change.pk])

        attempts = race([(client, url, {"comment": ""}) for client in clients])

        name = expert.real_name
        tally.check(
            repetition,
            attempts,
            success=[f"已确认{name}的变更申请，将由市科技局审核。"] * CLICKS,
            refusals=[{already_handled("待科技局审核", "确认")}] * CLICKS,
        )
        change.refresh_from_db()
        history = list(change.history.values_list("action", "actor_id"))
        tally.transitions += len(history)
        tally.count_rows(repetition, "history", history, [("confirm", account.pk)])
        assert change.status == ChangeStatus.PENDING_BUREAU
    assert tally.problems == [], tally.report()
    assert (tally.transitions, tally.server_errors, tally.duplicates) == (REPETITIONS, 0, 0)


def test_two_reviewers_deciding_at_once_apply_once(reference_data, unit, other_unit):
    reviewers = [factories.make_reviewer() for _ in range(CLICKS)]
    clients = [logged_in(reviewer) for reviewer in reviewers]
    # Alternating 审核通过 and 审核不通过: whichever comes first decides; the other is refused.
    posts = [
        ("changes:bureau_approve", {"comment": ""}, "审核通过"),
        ("changes:bureau_reject", {"reason": "材料不全"}, "审核不通过"),
    ] * (CLICKS // 2)
    tally = Tally(f"bureau: {REPETITIONS} × {CLICKS} reviewers deciding one change request")
    for repetition in range(REPETITIONS):
        expert = admitted(unit)
        change = key_request(expert, status=ChangeStatus.PENDING_BUREAU, new_unit=other_unit)

        attempts = race(
            [
                (client, reverse(url, args=[change.pk]), data)
                for client, (url, data, _) in zip(clients, posts, strict=True)
            ]
        )

        change.refresh_from_db()
        name = expert.real_name
        success = {
            "审核通过": f"{name}的变更申请已通过，新信息已生效，短信通知将在几秒内发出。",
            "审核不通过": f"{name}的变更申请审核不通过，短信通知将在几秒内发出。",
        }
        current = change.get_status_display()
        tally.check(
            repetition,
            attempts,
            success=[success[label] for _, _, label in posts],
            refusals=[{already_handled(current, label)} for _, _, label in posts],
        )
        history = list(change.history.values_list("action", flat=True))
        tally.transitions += len(history)
        tally.count_rows(repetition, "history", history, history[:1])
        applied = list(expert.application.history.values_list("action", flat=True))
        expected = ["apply_change"] if change.status == ChangeStatus.APPROVED else []
        tally.count_rows(repetition, "applied", applied, expected)
        sms = list(SMSMessage.objects.filter(to=expert.application.mobile).values_list("body"))
        tally.count_rows(repetition, "sms to the expert", sms, sms[:1])
        if len(sms) != 1:
            tally.problems.append(f"repetition {repetition}: {len(sms)} SMS")
    assert tally.problems == [], tally.report()
    assert (tally.transitions, tally.server_errors, tally.duplicates) == (REPETITIONS, 0, 0)
    # Every approved move shifted the per-unit counts once, and only once.
    assert_counts_exact()
    moved = ChangeRequest.objects.filter(status=ChangeStatus.APPROVED).count()
    live = ExpertApplication.objects.filter(unit=other_unit).count()
    assert counts.for_unit(other_unit.pk).get(ApplicationStatus.APPROVED, 0) == live == moved
