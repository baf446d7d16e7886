"""SMS backends, chosen by settings.SMS_BACKEND like Django's EMAIL_BACKEND.

A backend's `send(to, body, template=…, params=…)` returns the provider's message id or raises
SMSError, whose `permanent` flag says whether retrying could ever help (an invalid number: it
cannot), and whose `unsure` flag says the provider may have taken the message although no
answer came. A backend that can list what it sent (`find_sent`) lets the outbox settle such a
message before trying again, so an SMS is neither lost nor sent twice.

`body` is the whole text (【PORTAL_NAME】 and the words), for a provider that sends text;
`template` (a key of sms.templates, "" on rows older than templates) and `params` are the same
message for a provider that sends only templates approved beforehand (阿里云短信).
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class SMSError(Exception):
    """`reason` is the failure in a few Chinese words for the portal's pages; the message
    itself keeps the provider's text for operators."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        unsure: bool = False,
        reason: str = "短信服务暂时不可用",
    ):
        super().__init__(message)
        self.permanent = permanent
        self.unsure = unsure
        self.reason = reason


class BaseBackend:
    # Whether find_sent can tell if a message went out; without it an unsure send is left
    # for an operator rather than risk sending twice.
    can_find_sent = False
    # Who receives the mobile number and the text, and where, in the words of the privacy
    # notice (/privacy/; portal.privacy); settings.PRIVACY_SMS_PROVIDER, when set, says it instead.
    privacy_provider = "本系统配置的短信服务"

    def send(
        self,
        to: str,
        body: str,
        *,
        template: str = "",
        params: dict | None = None,
        reference: str = "",
    ) -> str:
        raise NotImplementedError

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
        """The provider's id of this message if it was taken since `since`, else None."""
        raise NotImplementedError


@cache
def _backend_class(path: str) -> type[BaseBackend]:
    return import_string(path)


def backend_class() -> type[BaseBackend]:
    """The configured backend's class, for what it says about itself (privacy_provider)."""
    return _backend_class(settings.SMS_BACKEND)


def get_backend() -> BaseBackend:
    return _backend_class(settings.SMS_BACKEND)()
