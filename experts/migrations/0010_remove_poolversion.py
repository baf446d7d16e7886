"""专家库's version goes (experts 0009): nothing keeps searches any more, so nothing reads it.
On PostgreSQL its triggers, their function and its sequence go first, then the table."""

import importlib

from django.db import migrations

pool_version = importlib.import_module("experts.migrations.0009_pool_version")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(pool_version.BACKWARD)


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(pool_version.FORWARD)


class Migration(migrations.Migration):
    dependencies = [("experts", "0009_pool_version")]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers),
        migrations.DeleteModel(name="PoolVersion"),
    ]
