import itertools
import sys

from django.conf import settings

from sms.backends import BaseBackend
from sms.models import masked_number

_ids = itertools.count(1)


class ConsoleBackend(BaseBackend):
    """Prints each message to standard output: the default for development. With DEBUG off
    (a deployment that has not chosen its provider yet, a restore drill) the number is
    masked, as admin shows it: the output is the service's log, which leaves the host
    (docs/audit.md), and a whole mobile number has no business there."""

    privacy_provider = "不经短信服务商：短信只写入本系统服务器的日志（开发和演示环境）"

    def send(
        self,
        to: str,
        body: str,
        *,
        template: str = "",
        params: dict | None = None,
        reference: str = "",
    ) -> str:
        message_id = f"console-{next(_ids)}"
        shown = to if settings.DEBUG else masked_number(to)
        sys.stdout.write(f"[SMS to {shown}] {body}\n")
        sys.stdout.flush()
        return message_id
