"""SMS backends, chosen by settings.SMS_BACKEND like Django's EMAIL_BACKEND.

A backend's `send(to, body)` returns the provider's message id or raises SMSError, whose
`permanent` flag says whether retrying could ever help (an invalid number: it cannot).
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class SMSError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class BaseBackend:
    def send(self, to: str, body: str) -> str:
        raise NotImplementedError


@cache
def _backend_class(path: str) -> type[BaseBackend]:
    return import_string(path)


def get_backend() -> BaseBackend:
    return _backend_class(settings.SMS_BACKEND)()
