"""The loop the background workers share (portal.worker): `send_queued_sms` and `run_exports`
survive a database that goes away while they loop, and stop on it when run once."""

import io

import pytest
from django.db import InterfaceError, OperationalError

from portal.worker import WorkerCommand


class Stop(Exception):
    """Raised by the test's wait() to end the loop after the rounds it scripted."""


class Scripted(WorkerCommand):
    """Each round takes the next of `rounds`: a result to return, or an error to raise."""

    worker_name = "test worker"

    def __init__(self, rounds):
        super().__init__(stdout=io.StringIO(), stderr=io.StringIO())
        self.rounds = list(rounds)
        self.waits = []

    def run_round(self):
        outcome = self.rounds.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def wait(self, seconds):
        self.waits.append(seconds)
        if not self.rounds:
            raise Stop


def test_a_single_run_prints_what_it_did_even_when_nothing():
    command = Scripted([{"sent": 0, "failed": 0}])
    command.handle(loop=None)
    assert command.stdout.getvalue() == "sent=0 failed=0\n"
    assert command.waits == []


def test_a_single_run_stops_on_an_unreachable_database():
    command = Scripted([OperationalError("server closed the connection")])
    with pytest.raises(OperationalError):
        command.handle(loop=None)


@pytest.mark.django_db
def test_the_loop_says_the_database_is_away_and_carries_on(caplog):
    command = Scripted(
        [
            {"exports": 0},  # quiet: nothing done, nothing printed
            OperationalError("connection refused"),
            InterfaceError("connection already closed"),
            {"exports": 2},
        ]
    )
    with pytest.raises(Stop):
        command.handle(loop=0.5)
    assert command.stdout.getvalue() == "exports=2\n"
    errors = command.stderr.getvalue().splitlines()
    assert errors == [
        "数据库暂时不可用，0.5秒后重试：connection refused",
        "数据库暂时不可用，0.5秒后重试：connection already closed",
    ]
    assert command.waits == [0.5] * 4
    assert [r.getMessage() for r in caplog.records] == [
        "test worker: database unavailable; retrying"
    ] * 2


@pytest.mark.django_db  # the loop closes stale connections first (on SQLite one is open)
def test_any_other_error_stops_the_loop():
    command = Scripted([ValueError("a bug")])
    with pytest.raises(ValueError):
        command.handle(loop=0.5)
