import logging
import time

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections

from experts.exports import run_pending

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "执行排队的导出任务（导出Excel），并删除过期的导出文件。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running (the worker's mode), looking for queued exports every SECONDS",
        )

    def handle(self, *args, loop=None, **options):
        # One job at a time per worker: a worker's memory is one export's (docs/performance.md);
        # more workers run more exports side by side, each claiming its own.
        while True:
            if loop:
                close_old_connections()  # as the SMS worker: a fresh connection after a restart
            try:
                ran = run_pending()
            except (OperationalError, InterfaceError) as error:
                # The database is away: the jobs wait in their table, the worker retries. A
                # job interrupted meanwhile is marked failed by a later round (STALE_AFTER).
                if not loop:
                    raise
                logger.warning("export worker: database unavailable; retrying", exc_info=True)
                self.stderr.write(f"数据库暂时不可用，{loop:g}秒后重试：{error}")
            else:
                if ran or not loop:
                    self.stdout.write(f"exports={ran}")
            if not loop:
                return
            time.sleep(loop)
