import itertools
import sys

from sms.backends import BaseBackend

_ids = itertools.count(1)


class ConsoleBackend(BaseBackend):
    """Prints each message to standard output: the default for development."""

    privacy_provider = "不经短信服务商：短信只写入本系统服务器的日志（开发和演示环境）"

    def send(self, to: str, body: str) -> str:
        message_id = f"console-{next(_ids)}"
        sys.stdout.write(f"[SMS to {to}] {body}\n")
        sys.stdout.flush()
        return message_id
