"""The append-only rule is now declared on AuditEvent (django-pgtrigger): drop the trigger and
function that 0002 wrote by hand, then add pgtrigger's (PostgreSQL only, as both are). 0002's
REVOKE UPDATE stays."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

OLD = "audit_event_append_only"


def drop_hand_written(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {OLD} ON audit_auditevent")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {OLD}()")


def restore_hand_written(apps, schema_editor):
    # 0002's own forward step, so that migrating back leaves the database as 0002 left it.
    import importlib

    importlib.import_module("audit.migrations.0002_append_only").forward(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
    ]

    operations = [
        migrations.RunPython(drop_hand_written, restore_hand_written),
        pgtrigger.migrations.AddTrigger(
            model_name='auditevent',
            trigger=pgtrigger.compiler.Trigger(name='audit_no_update', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;", hash='8640bbc538b1ccf96a2ee99bf10313a58e1f7b24', operation='UPDATE', pgid='pgtrigger_audit_no_update_29748', table='audit_auditevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='auditevent',
            trigger=pgtrigger.compiler.Trigger(name='audit_keep_retention', sql=pgtrigger.compiler.UpsertTriggerSql(condition="WHEN (OLD.at > now() - interval '180 days')", func="RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;", hash='39bbfcb18f77d9e2573d1f0212449aa31055503b', operation='DELETE', pgid='pgtrigger_audit_keep_retention_e5113', table='audit_auditevent', when='BEFORE')),
        ),
    ]
