from portal.worker import WorkerCommand
from sms.outbox import send_due
from sms.worker import Waiter


class Command(WorkerCommand):
    """The messages wait in the outbox (sms.outbox) while the provider or the database is away;
    failed ones are retried after their backoff."""

    help = "发送短信队列中到期的短信（失败的短信按退避时间重试）。"
    loop_help = (
        "一直运行（后台进程的运行方式）：使用 PostgreSQL 时，短信一进入队列就发送，"
        "并至少每隔 SECONDS 秒检查一次到期重试的短信；使用其他数据库时每秒检查一次"
    )
    worker_name = "SMS worker"

    def handle(self, *args, **options):
        self.waiter = Waiter()
        return super().handle(*args, **options)

    def run_round(self) -> dict[str, int]:
        return send_due()

    def wait(self, seconds: float) -> None:
        self.waiter.wait(seconds)
