"""The record keeps the names it shows as they were when drawn: each quota's 专业领域 name, each
pick's expert name, unit and title (draws.models). Rows inserted from now on carry them.

Rows drawn before this migration are filled from the current values: the names they had at
the draw were never kept, so today's are the best there is (a field or expert renamed before
the upgrade shows the new name on those old records). Filling them is an UPDATE, which the
tables' append-only triggers refuse: the two UPDATE triggers are dropped before it and
installed again after it, in this migration's transaction (PostgreSQL's DDL is transactional:
no other session ever sees the tables without them, and a failed fill leaves them as they were).

Not pgtrigger.ignore around the UPDATE, as this migration first did: ignore sends a set_config
in front of each statement, which PostgreSQL refuses once values are bound on the server
(DATABASE_PREPARE_THRESHOLD, docs/deployment.md), and `migrate` must work there too. Databases
that ran the earlier form are in the same state."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

# The two UPDATE triggers as draws 0001 installed them (and the models still declare them).
QUOTA_NO_UPDATE = pgtrigger.compiler.Trigger(name='draw_quota_no_update', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;", hash='822ee835db465442a0a07b33064dae21c6deb35a', operation='UPDATE', pgid='pgtrigger_draw_quota_no_update_270bc', table='draws_quota', when='BEFORE'))
PICK_NO_UPDATE = pgtrigger.compiler.Trigger(name='draw_pick_no_update', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;", hash='6f59f6aa6e0e58cf125a4234dd974152110f5076', operation='UPDATE', pgid='pgtrigger_draw_pick_no_update_063e9', table='draws_pick', when='BEFORE'))


def fill_from_current_values(apps, schema_editor):
    Quota = apps.get_model("draws", "Quota")
    Pick = apps.get_model("draws", "Pick")
    Discipline = apps.get_model("experts", "Discipline")
    ExpertApplication = apps.get_model("experts", "ExpertApplication")
    expert = ExpertApplication.objects.filter(pk=OuterRef("application_id"))
    alias = schema_editor.connection.alias
    Quota.objects.using(alias).update(
        discipline_name=Subquery(
            Discipline.objects.filter(pk=OuterRef("discipline_id")).values("name")[:1]
        )
    )
    Pick.objects.using(alias).update(
        expert_name=Coalesce(Subquery(expert.values("user__real_name")[:1]), Value("")),
        unit_name=Coalesce(Subquery(expert.values("unit__name")[:1]), Value("")),
        title=Coalesce(Subquery(expert.values("title")[:1]), Value("")),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("draws", "0004_no_truncate"),
        ("experts", "0030_unfreezing"),
    ]

    operations = [
        migrations.AddField(
            model_name="quota",
            name="discipline_name",
            field=models.CharField(
                default="", max_length=50, verbose_name="专业领域名称（抽取时）"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pick",
            name="expert_name",
            field=models.CharField(default="", max_length=50, verbose_name="姓名（抽取时）"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pick",
            name="unit_name",
            field=models.CharField(blank=True, max_length=100, verbose_name="工作单位（抽取时）"),
        ),
        migrations.AddField(
            model_name="pick",
            name="title",
            field=models.CharField(
                blank=True, max_length=100, verbose_name="专业技术职称（抽取时）"
            ),
        ),
        pgtrigger.migrations.RemoveTrigger(model_name="quota", name="draw_quota_no_update"),
        pgtrigger.migrations.RemoveTrigger(model_name="pick", name="draw_pick_no_update"),
        migrations.RunPython(fill_from_current_values, migrations.RunPython.noop),
        pgtrigger.migrations.AddTrigger(model_name="quota", trigger=QUOTA_NO_UPDATE),
        pgtrigger.migrations.AddTrigger(model_name="pick", trigger=PICK_NO_UPDATE),
    ]
