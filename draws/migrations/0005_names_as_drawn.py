"""The record keeps the names it shows as they were when drawn: each quota's 专业领域 name, each
pick's expert name, unit and title (draws.models). Rows inserted from now on carry them.

Rows drawn before this migration are filled from the current values: the names they had at
the draw were never kept, so today's are the best there is (a field or expert renamed before
the upgrade shows the new name on those old records). Filling them is an UPDATE, which the
tables' append-only triggers refuse: it runs with those two triggers ignored
(pgtrigger.ignore), in this migration's transaction only."""

import pgtrigger
from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

UPDATES = ["draws.Quota:draw_quota_no_update", "draws.Pick:draw_pick_no_update"]


def fill_from_current_values(apps, schema_editor):
    Quota = apps.get_model("draws", "Quota")
    Pick = apps.get_model("draws", "Pick")
    Discipline = apps.get_model("experts", "Discipline")
    ExpertApplication = apps.get_model("experts", "ExpertApplication")
    expert = ExpertApplication.objects.filter(pk=OuterRef("application_id"))
    alias = schema_editor.connection.alias
    with pgtrigger.ignore(*UPDATES, databases=[alias]):
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
        migrations.RunPython(fill_from_current_values, migrations.RunPython.noop),
    ]
