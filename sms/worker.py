"""How the SMS worker learns of new messages: woken at once on PostgreSQL, by polling elsewhere.

The request that queues a message only writes its outbox row (and, on PostgreSQL, a NOTIFY that
is delivered when its transaction commits); the worker, `manage.py send_queued_sms --loop N`,
sends it. So a decision never waits for the SMS provider.
"""

import contextlib
import logging
import time

import psycopg
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

CHANNEL = "sms_outbox"
# Without LISTEN/NOTIFY (SQLite) the worker looks for new messages this often.
POLL_SECONDS = 1.0


def outbox_channel(statement: str) -> bool:
    """Run LISTEN or NOTIFY on the outbox channel; False (nothing done) off PostgreSQL.

    Raw SQL because LISTEN and NOTIFY are PostgreSQL statements the ORM has no way to say."""
    if statement not in ("LISTEN", "NOTIFY"):
        raise ValueError(statement)
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"{statement} {CHANNEL}")
    return True


def notify_worker() -> None:
    """Wake a listening worker once the caller's transaction commits (dropped on rollback)."""
    outbox_channel("NOTIFY")


class Waiter:
    """Waits between the worker's rounds until a message is queued or `timeout` passes."""

    def __init__(self):
        self.listening_on = None  # the psycopg connection this worker LISTENs on

    def wait(self, timeout: float) -> None:
        if connection.vendor != "postgresql":
            time.sleep(min(timeout, POLL_SECONDS))
            return
        try:
            connection.ensure_connection()
            raw = connection.connection
            if raw is not self.listening_on:
                # A new connection (the first, or one reopened after the database came back):
                # listen, and go round at once for messages queued while nobody listened.
                outbox_channel("LISTEN")
                self.listening_on = raw
                return
            # Notifications that arrived during the last round come out first.
            for _ in raw.notifies(timeout=timeout, stop_after=1):
                pass
        except (DatabaseError, psycopg.Error) as error:
            # notifies() raises psycopg's own errors, which Django does not wrap.
            self.lost(error, timeout)

    def lost(self, error: Exception, timeout: float) -> None:
        logger.warning("SMS worker: lost the database while waiting (%s); retrying", error)
        self.listening_on = None
        with contextlib.suppress(DatabaseError):
            connection.close()
        time.sleep(timeout)
