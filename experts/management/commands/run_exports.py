from experts.exports import run_pending
from portal.worker import WorkerCommand


class Command(WorkerCommand):
    """One job at a time per worker: a worker's memory is one export's (docs/performance.md);
    more workers run more exports side by side, each claiming its own. A job interrupted by a
    database that went away is marked failed by a later round (experts.exports.STALE_AFTER)."""

    help = "执行排队的导出任务（导出Excel），并删除过期的导出文件。"
    loop_help = "一直运行（后台进程的运行方式），每隔 SECONDS 秒检查一次排队的导出任务"
    worker_name = "export worker"

    def run_round(self) -> dict[str, int]:
        return {"exports": run_pending()}
