import time

from django.core.management.base import BaseCommand

from experts.sms.outbox import send_due


class Command(BaseCommand):
    help = "发送短信队列中到期的短信（失败的短信按退避时间重试）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running, looking for due messages every SECONDS (the worker's mode)",
        )

    def handle(self, *args, loop=None, **options):
        while True:
            result = send_due()
            if any(result.values()) or not loop:
                self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
            if not loop:
                return
            time.sleep(loop)
