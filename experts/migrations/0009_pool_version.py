"""专家库's version (experts.PoolVersion), kept by triggers on PostgreSQL: a new number from a
sequence, with the time, after each statement that inserts, changes (in any column) or deletes
an approved application, or makes one approved, and after the table is truncated.

One number a statement, not a row: a row trigger renewing the one version row for each of a
bulk load's 55,000 approved rows took 35 s, as every renewal left a dead copy of the row for the
next to step over; a statement trigger took 20 ms more than no trigger. It reads the rows the
statement changed (its transition tables): saving a draft took 0.33 ms instead of 0.32
(pgbench, one row updated by its key).

The sequence stands alone (no column owns it), so that nothing resets it: a number once used,
even by a change rolled back, never comes again, and a search kept for it can never be taken
for a later pool's. (A database restored from a backup takes its sequence back too: then the
time tells the versions apart.)

The function runs as its owner (the role that migrates), with the schema the migration ran in:
a role that may only change applications, or a session with another search_path (pg_restore
sets an empty one), changes them as before, instead of failing on the version's row.

Until its transaction ends, a statement that changed approved applications holds the version
row: other decisions on approved applications wait for it, as they wait for the count of
approved applications (experts.counts). A bulk load in one transaction holds it throughout.

A change that alters what a search finds without inserting, updating or deleting rows (a new
`expert_search_grams`, a column rewritten by ALTER TABLE, rows loaded with triggers disabled)
must renew the version itself, in its migration: `UPDATE experts_poolversion SET n =
nextval('experts_pool_version_seq'), changed_at = clock_timestamp()`. Restarting the portal
forgets the kept searches too."""

from django.db import migrations, models

FORWARD = """
CREATE SEQUENCE experts_pool_version_seq;

CREATE FUNCTION experts_pool_changed() RETURNS trigger AS $$
DECLARE
    changed boolean := TG_OP = 'TRUNCATE';
BEGIN
    -- Each branch names only the rows its triggers pass (PL/pgSQL plans a branch when taken).
    IF NOT changed AND TG_OP IN ('UPDATE', 'DELETE') THEN
        changed := EXISTS (SELECT FROM old_rows WHERE status = 'approved');
    END IF;
    IF NOT changed AND TG_OP IN ('INSERT', 'UPDATE') THEN
        changed := EXISTS (SELECT FROM new_rows WHERE status = 'approved');
    END IF;
    IF changed THEN
        INSERT INTO experts_poolversion (id, n, changed_at)
        VALUES (1, nextval('experts_pool_version_seq'), clock_timestamp())
        ON CONFLICT (id) DO UPDATE SET n = excluded.n, changed_at = excluded.changed_at;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT;

CREATE TRIGGER experts_pool_inserted
    AFTER INSERT ON experts_expertapplication REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION experts_pool_changed();
CREATE TRIGGER experts_pool_updated
    AFTER UPDATE ON experts_expertapplication
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION experts_pool_changed();
CREATE TRIGGER experts_pool_deleted
    AFTER DELETE ON experts_expertapplication REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION experts_pool_changed();
CREATE TRIGGER experts_pool_truncated
    AFTER TRUNCATE ON experts_expertapplication
    FOR EACH STATEMENT EXECUTE FUNCTION experts_pool_changed();

INSERT INTO experts_poolversion (id, n, changed_at)
VALUES (1, nextval('experts_pool_version_seq'), clock_timestamp());
"""

BACKWARD = """
DROP TRIGGER IF EXISTS experts_pool_inserted ON experts_expertapplication;
DROP TRIGGER IF EXISTS experts_pool_updated ON experts_expertapplication;
DROP TRIGGER IF EXISTS experts_pool_deleted ON experts_expertapplication;
DROP TRIGGER IF EXISTS experts_pool_truncated ON experts_expertapplication;
DROP FUNCTION IF EXISTS experts_pool_changed();
DROP SEQUENCE IF EXISTS experts_pool_version_seq;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("experts", "0008_pool_order_search_index")]

    operations = [
        migrations.CreateModel(
            name="PoolVersion",
            fields=[
                ("id", models.SmallIntegerField(primary_key=True, serialize=False)),
                ("n", models.BigIntegerField(verbose_name="版本")),
                ("changed_at", models.DateTimeField(verbose_name="变更时间")),
            ],
            options={"verbose_name": "专家库版本", "verbose_name_plural": "专家库版本"},
        ),
        migrations.RunPython(forward, backward),
    ]
