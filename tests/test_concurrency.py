"""People acting on one application at the same moment: exactly one transition happens.

Twenty reviewers deciding at once, a unit's recommendation posted from several tabs, an
applicant's double-clicked 提交: each repetition starts every request at one barrier, one thread
and one PostgreSQL connection per request, through real HTTP requests of the test client. The
row lock in the services must let exactly one through; the others must be told plainly that it
was already handled, never see a 500, and no second history row or SMS may appear.

Run with -s to see one summary line per race.
"""

import html
import itertools
import logging
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from experts import counts
from experts.models import ApplicationStatus, ExpertApplication
from sms.backends import locmem
from sms.models import SMSMessage
from sms.outbox import send_due
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

S = ApplicationStatus
REPETITIONS = 50
REVIEWERS = 20
TABS = 5
REASON = "研究方向与本次征集的专业领域不符。"
# (action, url name, posted data, label, resulting status), alternating between the reviewers.
DECISIONS = [
    ("approve", "experts:bureau_approve", {"comment": ""}, "审核通过", S.APPROVED),
    ("reject", "experts:bureau_reject", {"reason": REASON}, "审核不通过", S.REJECTED),
]
REDIRECTED = (302, 200)


@pytest.fixture(autouse=True)
def _quiet_logs(caplog):
    # Over two thousand requests: the audit trail's JSON lines and the refused 提交s' "Bad
    # Request" would bury the summaries. A 500 is still logged (django.request, ERROR).
    caplog.set_level(logging.WARNING, logger="portal.audit")
    caplog.set_level(logging.ERROR, logger="django.request")


def already_handled(current: str, action: str) -> str:
    return f"当前状态为“{current}”，不能执行“{action}”操作，可能已在其他窗口或由他人处理。"


@dataclass(frozen=True)
class Attempt:
    """What one request came back with: every status of its redirect chain and the messages
    of the page the person ends on."""

    statuses: tuple[int, ...]
    said: tuple[tuple[int, str], ...]
    shown_on_page: bool
    harness_error: str = ""


@dataclass
class Tally:
    """Counts over all repetitions of one race, and every deviation with its repetition."""

    name: str
    attempts: int = 0
    transitions: int = 0
    server_errors: int = 0
    duplicates: int = 0
    told_already_handled: int = 0
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def check(
        self,
        repetition: int,
        attempts: list[Attempt | None],
        *,
        success: list[str],
        refusals: list[set[str]],
        refusal_statuses: frozenset[tuple[int, ...]] = frozenset({REDIRECTED}),
    ) -> list[int]:
        """Classify each attempt; return the indexes of those that succeeded."""
        winners = []
        for index, attempt in enumerate(attempts):
            self.attempts += 1
            where = f"repetition {repetition}, request {index}"
            if attempt is None or attempt.harness_error:
                self.problems.append(f"{where}: no answer\n{attempt and attempt.harness_error}")
                continue
            if any(status >= 500 for status in attempt.statuses):
                self.server_errors += 1
                self.problems.append(f"{where}: {attempt.statuses}")
                continue
            if not attempt.shown_on_page:
                self.problems.append(f"{where}: message not on the page: {attempt.said}")
            if attempt.said == ((messages.SUCCESS, success[index]),):
                winners.append(index)
                if attempt.statuses != REDIRECTED:
                    self.problems.append(f"{where}: succeeded with {attempt.statuses}")
            elif (
                len(attempt.said) == 1
                and attempt.said[0][0] == messages.ERROR
                and attempt.said[0][1] in refusals[index]
                and attempt.statuses in refusal_statuses
            ):
                self.told_already_handled += 1
            else:
                self.problems.append(f"{where}: {attempt.statuses} {attempt.said}")
        if len(winners) != 1:
            self.problems.append(f"repetition {repetition}: {len(winners)} successes")
        return winners

    def count_rows(self, repetition: int, what: str, rows: list, expected: list) -> None:
        self.duplicates += max(0, len(rows) - 1)
        if rows != expected:
            self.problems.append(f"repetition {repetition}: {what} {rows} != {expected}")

    def report(self) -> str:
        line = (
            f"{self.name}: {self.attempts} concurrent attempts → {self.transitions} transitions, "
            f"{self.told_already_handled} told already handled, {self.server_errors} 500s, "
            f"{self.duplicates} duplicates ({time.monotonic() - self.started:.1f} s)"
        )
        print(f"\n{line}")
        return line


def logged_in(user) -> Client:
    # A 500 comes back as a response of its own: an exception re-raised by the test client
    # could be another thread's, as Django's request signals are process-wide.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def race(requests: list[tuple[Client, str, dict]]) -> list[Attempt | None]:
    """POST every request at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(requests), timeout=30)
    attempts: list[Attempt | None] = [None] * len(requests)

    def post(index: int, client: Client, url: str, data: dict) -> None:
        try:
            barrier.wait()
            response = client.post(url, data, follow=True)
            # Read from this request only: response.context collects every thread's templates.
            said = tuple((m.level, m.message) for m in get_messages(response.wsgi_request))
            page = html.unescape(response.content.decode())
            attempts[index] = Attempt(
                statuses=(*(status for _, status in response.redirect_chain), response.status_code),
                said=said,
                shown_on_page=all(text in page for _, text in said),
            )
        except Exception:
            attempts[index] = Attempt((), (), False, traceback.format_exc())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(index, *request))
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return attempts


def history_of(application: ExpertApplication) -> list[tuple]:
    return list(application.history.values_list("action", "from_status", "to_status", "actor_id"))


def assert_counts_exact():
    """The kept per-status counts survived the race: each transition shifted them once."""
    live = ExpertApplication.objects.order_by().values_list("status").annotate(n=Count("*"))
    assert {s: n for s, n in counts.current().items() if n} == dict(live)


def test_twenty_reviewers_deciding_at_once_make_one_decision_and_one_sms(reference_data, unit):
    reviewers = [factories.make_reviewer() for _ in range(REVIEWERS)]
    clients = [logged_in(reviewer) for reviewer in reviewers]
    decisions = list(itertools.islice(itertools.cycle(DECISIONS), REVIEWERS))
    tally = Tally(f"bureau: {REPETITIONS} × {REVIEWERS} reviewers approving or rejecting")
    decided = Counter()

    for repetition in range(REPETITIONS):
        application = factories.make_applicant(unit, status=S.PENDING_BUREAU).application
        name = application.user.real_name

        attempts = race(
            [
                (client, reverse(url, args=[application.pk]), data)
                for client, (_, url, data, _, _) in zip(clients, decisions, strict=True)
            ]
        )

        send_due()  # the worker's pass: requests only queue the SMS
        application.refresh_from_db()
        current = application.get_status_display()
        success = {
            "approve": f"{name}的专家申请已审核通过，短信通知将在几秒内发给申请人。",
            "reject": f"{name}的专家申请审核不通过，短信通知将在几秒内发给申请人。",
        }
        winners = tally.check(
            repetition,
            attempts,
            success=[success[action] for action, *_ in decisions],
            refusals=[{already_handled(current, label)} for _, _, _, label, _ in decisions],
        )
        history = history_of(application)
        tally.transitions += len(history)
        sms = list(SMSMessage.objects.filter(to=application.mobile).values_list("status", "body"))
        sent = [body for to, body in locmem.outbox if to == application.mobile]
        if len(winners) == 1:
            action, _, _, _, target = decisions[winners[0]]
            decided[action] += 1
            tally.count_rows(
                repetition,
                "history",
                history,
                [(action, S.PENDING_BUREAU, target, reviewers[winners[0]].pk)],
            )
            if application.status != target:
                tally.problems.append(f"repetition {repetition}: {action} but {current}")
        tally.count_rows(repetition, "outbox rows", sms, [(SMSMessage.Status.SENT, *sent[:1])])
        tally.count_rows(repetition, "sent", sent, sent[:1])

    assert tally.problems == [], tally.report()
    assert_counts_exact()
    tally.report()
    print(f"  won by: {decided['approve']} × 审核通过, {decided['reject']} × 审核不通过")
    assert (tally.attempts, tally.transitions, tally.server_errors, tally.duplicates) == (
        REPETITIONS * REVIEWERS,
        REPETITIONS,
        0,
        0,
    )


def test_recommending_from_several_tabs_at_once_recommends_once(reference_data, unit):
    unit_user = factories.unit_account(unit)
    clients = [logged_in(unit_user) for _ in range(TABS)]
    tally = Tally(f"unit: {REPETITIONS} × {TABS} tabs of one unit account recommending")

    for repetition in range(REPETITIONS):
        application = factories.make_applicant(unit, status=S.PENDING_UNIT).application
        url = reverse("experts:unit_recommend", args=[application.pk])

        attempts = race([(client, url, {"comment": "同意推荐"}) for client in clients])

        name = application.user.real_name
        tally.check(
            repetition,
            attempts,
            success=[f"已推荐{name}，专家状态变更为“待科技局审核”。"] * TABS,
            refusals=[{already_handled("待科技局审核", "推荐")}] * TABS,
        )
        application.refresh_from_db()
        history = history_of(application)
        tally.transitions += len(history)
        tally.count_rows(
            repetition,
            "history",
            history,
            [("recommend", S.PENDING_UNIT, S.PENDING_BUREAU, unit_user.pk)],
        )
        if application.status != S.PENDING_BUREAU:
            tally.problems.append(f"repetition {repetition}: {application.status}")

    # A recommendation sends no SMS, so a duplicate one could not hide there either.
    assert SMSMessage.objects.count() == 0
    assert tally.problems == [], tally.report()
    tally.report()
    assert (tally.attempts, tally.transitions, tally.server_errors, tally.duplicates) == (
        REPETITIONS * TABS,
        REPETITIONS,
        0,
        0,
    )


def test_double_clicked_submit_submits_once(reference_data, unit):
    tally = Tally(f"applicant: {REPETITIONS} × {TABS} simultaneous 提交 of one application")
    # A late click meets one of three guards, depending on how far the first one got: the
    # read-only check in the view, the lock in 保存草稿, or the lock in 提交.
    refusals = {
        "专家状态为“待单位推荐”，信息已提交，不能再修改或提交。",
        "专家状态为“待单位推荐”，信息已提交，不能再修改。",
        "专家信息已提交，当前专家状态为“待单位推荐”，无需重复提交。",
    }
    refused_by = Counter({text: 0 for text in refusals})

    for repetition in range(REPETITIONS):
        applicant = factories.make_applicant(unit, status=S.DRAFT)
        clients = [logged_in(applicant) for _ in range(TABS)]
        data = factories.application_post_data(applicant, "submit")
        url = reverse("experts:form")

        attempts = race([(client, url, data) for client in clients])

        tally.check(
            repetition,
            attempts,
            success=["已提交，专家状态变更为“待单位推荐”，请等待单位审核推荐。"] * TABS,
            refusals=[refusals] * TABS,
            # Every late click lands on the home page, which shows the status it reached.
            refusal_statuses=frozenset({REDIRECTED}),
        )
        refused_by.update(
            text
            for attempt in attempts
            if attempt is not None
            for level, text in attempt.said
            if level == messages.ERROR
        )
        application = ExpertApplication.objects.get(user=applicant)
        history = history_of(application)
        tally.transitions += len(history)
        tally.count_rows(
            repetition, "history", history, [("submit", S.DRAFT, S.PENDING_UNIT, applicant.pk)]
        )
        if application.status != S.PENDING_UNIT:
            tally.problems.append(f"repetition {repetition}: {application.status}")

    assert tally.problems == [], tally.report()
    assert_counts_exact()
    tally.report()
    print("  refused by: " + "; ".join(f"{n} × {text}" for text, n in refused_by.items()))
    assert (tally.attempts, tally.transitions, tally.server_errors, tally.duplicates) == (
        REPETITIONS * TABS,
        REPETITIONS,
        0,
        0,
    )


def test_two_senders_racing_send_due_send_each_message_once(reference_data, settings):
    settings.SMS_BACKEND = "sms.backends.locmem.LocmemBackend"
    queued = [
        SMSMessage.objects.create(to=f"+86139{n:08d}", body=f"【测试】第{n}条通知")
        for n in range(30)
    ]
    barrier = threading.Barrier(2, timeout=30)
    results: list[dict | str | None] = [None, None]

    def sender(index: int) -> None:
        try:
            barrier.wait()
            results[index] = send_due()
        except Exception:
            results[index] = traceback.format_exc()
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert all(isinstance(result, dict) for result in results), results
    sends = len(locmem.outbox)
    duplicates = sends - len(set(locmem.outbox))
    print(
        f"\nsms: 2 senders over {len(queued)} queued messages → {sends} sends, "
        f"{duplicates} duplicates; sent/not claimed per sender: "
        + ", ".join(f"{r['sent']}/{r['not_claimed']}" for r in results)
    )
    assert sorted(locmem.outbox) == sorted((message.to, message.body) for message in queued)
    assert sum(result["sent"] for result in results) == 30
    assert sum(result["not_sent"] for result in results) == 0
    assert set(SMSMessage.objects.values_list("status", "attempts")) == {
        (SMSMessage.Status.SENT, 1)
    }
