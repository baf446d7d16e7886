"""The DELETE trigger keeps the trail six months at least: 186 days (audit.models.RETENTION),
not 180, which fell short of six calendar months (up to 184 days) in some spans."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0026_export_scope'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='auditevent',
            name='audit_keep_retention',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='auditevent',
            trigger=pgtrigger.compiler.Trigger(name='audit_keep_retention', sql=pgtrigger.compiler.UpsertTriggerSql(condition="WHEN (OLD.at > now() - interval '186 days')", func="RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;", hash='8dcd2b9ea183bf7e6f27881f3411696b681021b0', operation='DELETE', pgid='pgtrigger_audit_keep_retention_e5113', table='audit_auditevent', when='BEFORE')),
        ),
    ]
