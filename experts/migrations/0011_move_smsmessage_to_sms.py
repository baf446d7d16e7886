"""SMSMessage now belongs to the sms app (sms 0001). Removed from the experts app's state only:
its table, experts_smsmessage, stays with its rows and is the sms app's from here on.

Its content type moves with it, so that permissions granted on the outbox and admin's history
of its rows stay attached to the model."""

from django.db import migrations


def move_content_type(apps, schema_editor, source="experts", target="sms"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=target, model="smsmessage").exists():
        ContentType.objects.using(db).filter(app_label=source, model="smsmessage").update(
            app_label=target
        )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="sms", target="experts")


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0010_remove_poolversion"),
        ("sms", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SMSMessage")],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back, elidable=True),
    ]
