import itertools

from sms.backends import BaseBackend

# Messages sent in this process, for tests to read (like django.core.mail.outbox).
outbox: list[tuple[str, str]] = []
_ids = itertools.count(1)


class LocmemBackend(BaseBackend):
    """Keeps messages in memory: the backend of the test settings."""

    can_find_sent = True

    def send(
        self,
        to: str,
        body: str,
        *,
        template: str = "",
        params: dict | None = None,
        reference: str = "",
    ) -> str:
        outbox.append((to, body))
        return f"locmem-{next(_ids)}"

    def find_sent(
        self,
        to: str,
        body: str,
        since,
        *,
        template: str = "",
        params: dict | None = None,
        reference: str = "",
    ) -> str | None:
        return "locmem-found" if (to, body) in outbox else None
