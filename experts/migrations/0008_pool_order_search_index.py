"""专家库's order index (status, decided_at, id) carries each application's search text, so
that a term that many approved experts have is searched along 专家库's order by the index
alone: finding the first 1,001 of 5,623 with 集成电路 read 9,611 index entries in 1.7 ms,
where counting them through the gram index took 2.6-3.4 ms and finding the page's keys 0.3 ms
more (experts.search.how_common; docs/performance.md).

On PostgreSQL the new index is built CONCURRENTLY before the old one is dropped, so that the
pool keeps its index and applicants can save their forms meanwhile."""

from django.db import migrations, models

OLD = models.Index(fields=["status", "decided_at", "id"], name="experts_exp_status_23e0d3_idx")
NEW = models.Index(
    fields=["status", "decided_at", "id"],
    include=["search_text"],
    name="experts_pool_order_search",
)


def _swap(schema_editor, model, build, drop, columns):
    if schema_editor.connection.vendor == "postgresql":
        # A concurrent build that failed leaves an invalid index of that name behind: drop it
        # (this runs only while the index is not meant to exist), then build.
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{build.name}"')
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY "{build.name}" ON "{model._meta.db_table}" {columns}'
        )
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{drop.name}"')
    else:
        schema_editor.add_index(model, build)
        schema_editor.remove_index(model, drop)


def forwards(apps, schema_editor):
    model = apps.get_model("experts", "ExpertApplication")
    columns = "(status, decided_at, id) INCLUDE (search_text)"
    _swap(schema_editor, model, NEW, OLD, columns)


def backwards(apps, schema_editor):
    model = apps.get_model("experts", "ExpertApplication")
    _swap(schema_editor, model, OLD, NEW, "(status, decided_at, id)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("experts", "0007_status_title_level_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex("expertapplication", OLD.name),
                migrations.AddIndex("expertapplication", NEW),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
