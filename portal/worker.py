"""The loop the portal's background workers share (`send_queued_sms`, `run_exports`).

Run once, a worker does one round and prints what it did. With `--loop SECONDS` it keeps going
(the worker's mode in docker-compose.yml): before each round it drops a connection that broke
or outlived CONN_MAX_AGE, as Django does before each web request, and when the database is
unreachable or the connection breaks (a restart, a failover) it says so and tries again next
round, rather than exiting and leaving its queue to whoever restarts it. Any other error (a
missing migration, a bug) still stops it.
"""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections


class WorkerCommand(BaseCommand):
    """A management command that runs `run_round()` once, or every `--loop` seconds."""

    # What `--loop` does, for `--help`.
    loop_help = "一直运行（后台进程的运行方式），每隔 SECONDS 秒处理一轮"
    # Who is retrying, in the log.
    worker_name = "worker"

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, metavar="SECONDS", help=self.loop_help)

    def run_round(self) -> dict[str, int]:
        """One round's work; returns what it did, by name (printed as name=count)."""
        raise NotImplementedError

    def wait(self, seconds: float) -> None:
        """Between rounds of the loop."""
        time.sleep(seconds)

    def handle(self, *args, loop=None, **options):
        while True:
            if loop:
                # A single run leaves the caller's connection alone.
                close_old_connections()
            try:
                result = self.run_round()
            except (OperationalError, InterfaceError) as error:
                if not loop:
                    raise
                # Logged under the command's own module, as before the loop was shared.
                logging.getLogger(type(self).__module__).warning(
                    "%s: database unavailable; retrying", self.worker_name, exc_info=True
                )
                self.stderr.write(f"数据库暂时不可用，{loop:g}秒后重试：{error}")
            else:
                # The loop is quiet while there is nothing to do.
                if any(result.values()) or not loop:
                    self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
            if not loop:
                return
            self.wait(loop)
