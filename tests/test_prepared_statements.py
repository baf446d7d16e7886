"""On PostgreSQL the portal runs Django's stock backend with its defaults: values are bound on
the client and nothing is prepared, so each search is planned for its own term
(docs/performance.md), and a migration that changes a column type cannot break a query that a
node still serving had prepared."""

import psycopg
import pytest
from django.db import connection, transaction

from accounts.models import User
from experts.models import ExpertApplication
from experts.search import matching

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def run(queryset, times: int) -> None:
    for _ in range(times):
        list(queryset.all())  # a fresh query each time, not the cached rows


def test_the_stock_backend_with_client_side_binding():
    assert connection.settings_dict["ENGINE"] == "django.db.backends.postgresql"
    options = connection.settings_dict["OPTIONS"]
    assert not options.get("server_side_binding") and "prepare_threshold" not in options
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)  # values bound by psycopg


def test_nothing_is_prepared_however_often_it_runs():
    run(User.objects.filter(pk=12345, email="prepared@example.com"), 8)
    run(matching(ExpertApplication.objects.all(), "集成电路"), 8)
    assert prepared() == []


def test_a_search_reaches_postgresql_with_its_term_written_in():
    """No parameter is left for PostgreSQL to plan generically: the term is in the SQL."""
    import tempfile

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        try:
            list(matching(ExpertApplication.objects.all(), "Optics"))
        finally:
            pgconn.untrace()
        trace.seek(0)
        sent = trace.read().decode("ascii", "replace").splitlines()
    search = [line for line in sent if " LIKE " in line]
    assert len(search) == 1
    assert "$1" not in search[0] and "'%optics%'" in search[0]


@pytest.fixture
def probe_table(transactional_db):
    """A table of this test's own, whose column type another connection then changes."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (id integer, name varchar(10))")
        cursor.execute("INSERT INTO prepared_probe VALUES (1, 'a')")
    yield "SELECT id, name FROM prepared_probe WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS prepared_probe")


def alter_from_another_connection(sql: str) -> None:
    """As a migration run by the next release does while this node still serves."""
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    with psycopg.connect(**{k: params[k] for k in keys if k in params}, autocommit=True) as other:
        other.execute(sql)


def fetch(sql: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, [1])
        return cursor.fetchall()


def test_a_migration_changing_a_column_type_is_survived(probe_table):
    for _ in range(6):
        fetch(probe_table)
    alter_from_another_connection("ALTER TABLE prepared_probe ALTER COLUMN name TYPE varchar(20)")
    assert fetch(probe_table) == [(1, "a")]
    alter_from_another_connection("ALTER TABLE prepared_probe ALTER COLUMN name TYPE text")
    with transaction.atomic():
        assert fetch(probe_table) == [(1, "a")]
