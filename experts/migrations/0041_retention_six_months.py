"""The DELETE trigger keeps 含敏感信息导出名单, as the trail, six months at least: 186 days
(audit.models.RETENTION), not 180, which fell short of six calendar months (up to 184 days) in
some spans."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('experts', '0040_attachment_change_request'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='exportedapplication',
            name='exported_keep_retention',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='exportedapplication',
            trigger=pgtrigger.compiler.Trigger(name='exported_keep_retention', sql=pgtrigger.compiler.UpsertTriggerSql(condition="WHEN (OLD.at > now() - interval '186 days')", func="IF EXISTS (SELECT FROM audit_auditevent AS event JOIN experts_exportjob AS job ON event.object_id = job.id::text WHERE event.id = OLD.event_id AND event.object_type = 'experts.exportjob' AND job.status = 'failed' AND job.file_name = '') THEN RETURN OLD; END IF; RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;", hash='f1aa107bef38f24164714bbdadd43aad65728464', operation='DELETE', pgid='pgtrigger_exported_keep_retention_5210c', table='experts_exportedapplication', when='BEFORE')),
        ),
    ]
