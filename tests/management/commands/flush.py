"""The tests' flush: Django's own, with the audit table's TRUNCATE trigger ignored.

Transactional tests (pytest-django's transaction=True, the live server's) end with Django's
flush, a TRUNCATE of every table, which the trigger refuses on purpose (audit.AuditEvent; a
deployment's `manage.py flush` must fail). tests.settings installs this package as an app, so
this command takes flush's name for the tests only (Django's "overriding commands")."""

import pgtrigger
from django.core.management.commands import flush


class Command(flush.Command):
    def handle(self, **options):
        with pgtrigger.ignore("audit.AuditEvent:audit_no_truncate"):
            return super().handle(**options)
