from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

# Each step's end, and the state its start left the application in (experts.services.STEP_STARTS).
WAITING_FOR = {
    "recommend": "pending_unit",  # the 提交 before it
    "approve": "pending_bureau",  # the 推荐 before it
    "reject": "pending_bureau",
}


def fill(apps, schema_editor):
    """Each existing 推荐, 审核通过 and 审核不通过 gets the time of the latest row before it that
    left the application waiting for that step: one UPDATE per action. "Before" is by time,
    then by id for rows of the same moment."""
    db = schema_editor.connection.alias
    transition = apps.get_model("experts", "ApplicationTransition")
    for action, waiting in WAITING_FOR.items():
        began = (
            transition.objects.using(db)
            .filter(
                Q(created_at__lt=OuterRef("created_at"))
                | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
                application=OuterRef("application"),
                to_status=waiting,
            )
            .order_by("-created_at", "-pk")
            .values("created_at")[:1]
        )
        transition.objects.using(db).filter(action=action).update(step_started_at=Subquery(began))


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0027_transition_steps_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="applicationtransition",
            name="experts_transition_steps",
        ),
        migrations.AddField(
            model_name="applicationtransition",
            name="step_started_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="环节开始时间"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="applicationtransition",
            index=models.Index(
                fields=["action", "created_at"],
                include=("application", "step_started_at"),
                name="experts_transition_steps",
            ),
        ),
    ]
