"""专家库's own search index: the gram index of migration 0003, of approved applications only.

专家库 searches approved applications only. With the index of every application, counting the
first 1,001 approved rows with 集成电路 read the pairs of all 10,051 applications with that term
and 1,047 table pages, 785 rows of them in other statuses (5.4-6.5 ms); with this one, 5,623
and 744 pages (3.1-3.6 ms; docs/performance.md). The queue's search, over the other statuses,
keeps the index of every application.

Built CONCURRENTLY, so that applicants can save their forms while it is built."""

from django.db import migrations

CREATE = """
CREATE INDEX CONCURRENTLY IF NOT EXISTS experts_application_pool_search_grams
    ON experts_expertapplication USING gin (expert_search_grams(search_text))
    WHERE status = 'approved'
"""
DROP = "DROP INDEX CONCURRENTLY IF EXISTS experts_application_pool_search_grams"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("experts", "0005_unit_status_counts")]

    operations = [migrations.RunPython(create, drop)]
