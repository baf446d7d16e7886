"""The tests' flush: Django's own, with the TRUNCATE triggers ignored.

Transactional tests (pytest-django's transaction=True, the live server's) end with Django's
flush, a TRUNCATE of every table, which the append-only tables' statement triggers refuse on
purpose (audit.AuditEvent, the draws app's record; a deployment's `manage.py flush` must fail).
tests.settings installs this package as an app, so this command takes flush's name for the
tests only (Django's "overriding commands")."""

import pgtrigger
from django.core.management.commands import flush


def truncate_triggers() -> list[str]:
    """The URIs of every registered trigger that refuses a TRUNCATE."""
    return [
        trigger.get_uri(model)
        for model, trigger in pgtrigger.registered()
        if str(trigger.operation) == str(pgtrigger.Truncate)
    ]


class Command(flush.Command):
    def handle(self, **options):
        with pgtrigger.ignore(*truncate_triggers()):
            return super().handle(**options)
