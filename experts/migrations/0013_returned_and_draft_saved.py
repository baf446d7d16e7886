"""已退回（待修改） and 草稿已保存 (issue 19): kept times, set for the rows that exist already.

A draft whose newest history row is a 退回 is returned, since that row's time. A draft
changed after it was opened (only 保存草稿 and an operator's edit change updated_at; a
transition does not) has a saved draft, at updated_at."""

import datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def set_times(apps, schema_editor):
    ExpertApplication = apps.get_model("experts", "ExpertApplication")
    ApplicationTransition = apps.get_model("experts", "ApplicationTransition")
    db = schema_editor.connection.alias
    drafts = ExpertApplication.objects.using(db).filter(status="draft")
    newest = (
        ApplicationTransition.objects.using(db)
        .filter(application=OuterRef("pk"))
        .order_by("-created_at", "-pk")
    )
    returned_at = Subquery(newest.filter(action="send_back").values("created_at")[:1])
    newest_action = Subquery(newest.values("action")[:1])
    drafts.alias(newest_action=newest_action).filter(newest_action="send_back").update(
        returned_at=returned_at
    )
    drafts.filter(updated_at__gt=F("created_at") + datetime.timedelta(seconds=1)).update(
        draft_saved_at=F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_alter_user_managers"),
        ("experts", "0012_submission_snapshot"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="expertapplication",
            name="draft_saved_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="草稿保存时间"),
        ),
        migrations.AddField(
            model_name="expertapplication",
            name="returned_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="退回时间"),
        ),
        migrations.RunPython(set_times, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="expertapplication",
            index=models.Index(
                condition=models.Q(("returned_at__isnull", False)),
                fields=["unit", "updated_at", "id"],
                name="experts_returned",
            ),
        ),
    ]
