from django.core.management.base import CommandError

from experts.exports import run_pending
from portal.worker import WorkerCommand


class Command(WorkerCommand):
    """One job at a time per worker: a worker's memory is one export's (docs/performance.md);
    more workers run more exports side by side, each claiming its own. A job interrupted by a
    database that went away is marked failed by a later round (experts.exports.STALE_AFTER).
    A job whose file the disk refused (full, read-only) is marked failed and the worker goes
    on to the next; run once, it then exits with an error, for whoever scheduled it."""

    help = "执行排队的导出任务（导出Excel），并删除过期的导出文件。"
    loop_help = "一直运行（后台进程的运行方式），每隔 SECONDS 秒检查一次排队的导出任务"
    worker_name = "export worker"

    def handle(self, *args, loop=None, **options):
        self.failed = 0
        super().handle(*args, loop=loop, **options)
        if self.failed:  # only a single run returns
            raise CommandError(f"{self.failed}个导出任务因导出文件未能保存而失败，详见日志。")

    def run_round(self) -> dict[str, int]:
        result = run_pending()
        self.failed += result["failed"]
        return result
