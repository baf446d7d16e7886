from portal.worker import WorkerCommand
from sms.outbox import send_due
from sms.worker import Waiter


class Command(WorkerCommand):
    """The messages wait in the outbox (sms.outbox) while the provider or the database is away;
    failed ones are retried after their backoff."""

    help = "发送短信队列中到期的短信（失败的短信按退避时间重试）。"
    loop_help = (
        "keep running (the worker's mode): on PostgreSQL woken as soon as a message is"
        " queued, and looking for due retries at least every SECONDS; elsewhere polling"
        " every second"
    )
    worker_name = "SMS worker"

    def handle(self, *args, **options):
        self.waiter = Waiter()
        return super().handle(*args, **options)

    def run_round(self) -> dict[str, int]:
        return send_due()

    def wait(self, seconds: float) -> None:
        self.waiter.wait(seconds)
