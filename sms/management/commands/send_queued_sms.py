import logging

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections

from sms.outbox import send_due
from sms.worker import Waiter

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "发送短信队列中到期的短信（失败的短信按退避时间重试）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help=(
                "keep running (the worker's mode): on PostgreSQL woken as soon as a message is"
                " queued, and looking for due retries at least every SECONDS; elsewhere polling"
                " every second"
            ),
        )

    def handle(self, *args, loop=None, **options):
        waiter = Waiter()
        while True:
            if loop:
                # As before each web request: drop a connection that broke (the database
                # restarted) or outlived CONN_MAX_AGE, so that this round opens a fresh one.
                # (A single run leaves the caller's connection alone.)
                close_old_connections()
            try:
                result = send_due()
            except (OperationalError, InterfaceError) as error:
                # The database is unreachable or the connection broke (a restart, a failover).
                # The messages wait in the outbox; the worker tries again next round rather
                # than exiting and leaving them to whoever restarts it. Any other error (a
                # missing migration, a bug) still stops it.
                if not loop:
                    raise
                logger.warning("SMS worker: database unavailable; retrying", exc_info=True)
                self.stderr.write(f"数据库暂时不可用，{loop:g}秒后重试：{error}")
            else:
                if any(result.values()) or not loop:
                    self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
            if not loop:
                return
            waiter.wait(loop)
