from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def fill(apps, schema_editor):
    """Each existing 提交 whose row before it is a 退回 left a returned draft: one UPDATE.
    "Before" is by time, then by id for rows of the same moment (as 0028 reads it)."""
    db = schema_editor.connection.alias
    transition = apps.get_model("experts", "ApplicationTransition")
    previous = (
        transition.objects.using(db)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
            application=OuterRef("application"),
        )
        .order_by("-created_at", "-pk")
        .values("action")[:1]
    )
    answered = (
        transition.objects.using(db)
        .filter(action="submit")
        .annotate(previous=Subquery(previous))
        .filter(previous="send_back")
    )
    transition.objects.using(db).filter(pk__in=answered.values("pk")).update(from_returned=True)


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0030_unfreezing"),
    ]

    operations = [
        migrations.AddField(
            model_name="applicationtransition",
            name="from_returned",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="原状态为已退回"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
