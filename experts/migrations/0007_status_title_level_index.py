"""专家库 filtered by 职称级别 counts its rows per status: with no index for it, PostgreSQL read
the whole table (36 ms at 100,000 applicants); with (status, title_level), an index-only scan
(2.9 ms; docs/performance.md).

On PostgreSQL it is built CONCURRENTLY, so that applicants can save their forms meanwhile."""

from django.db import migrations, models

INDEX = models.Index(fields=["status", "title_level"], name="experts_status_title_level")


def create(apps, schema_editor):
    model = apps.get_model("experts", "ExpertApplication")
    if schema_editor.connection.vendor == "postgresql":
        # A concurrent build that failed leaves an invalid index of that name behind: drop it
        # (this runs only while the migration is unapplied), then build.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX.name}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY {INDEX.name} ON {model._meta.db_table} (status, title_level)"
        )
    else:
        schema_editor.add_index(model, INDEX)


def drop(apps, schema_editor):
    model = apps.get_model("experts", "ExpertApplication")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX.name}")
    else:
        schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("experts", "0006_pool_search_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex("expertapplication", INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
