"""On PostgreSQL a query run five times on a connection is prepared, and a search never is
(portal/postgresql/base.py)."""

import pytest
from django.db import connection

from accounts.models import User
from experts.models import ExpertApplication
from experts.search import matching

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def plans(text: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of each prepared statement containing `text`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE strpos(statement, %s) > 0",
            [text],
        )
        return cursor.fetchall()


def run(queryset, times: int) -> None:
    for _ in range(times):
        list(queryset.all())  # a fresh query each time, not the cached rows


def test_the_backend_binds_parameters_on_the_server_and_prepares():
    assert connection.settings_dict["ENGINE"] == "portal.postgresql"
    assert connection.connection.prepare_threshold == 5


def test_a_query_run_five_times_is_prepared():
    query = User.objects.filter(pk=12345, email="prepared@example.com")
    statement = '"accounts_user"."email" = $1 AND "accounts_user"."id" = $2'
    run(query, 5)
    assert not [s for s in prepared() if statement in s]
    run(query, 1)  # from now on, executed without being parsed and planned again
    assert [s for s in prepared() if statement in s]


def test_a_prepared_list_query_is_planned_once():
    """PostgreSQL's own rule planned a list page's `status = $1 … LIMIT 25` afresh on every run:
    its generic plan looked costlier than the plan for 'approved' (portal/postgresql/base.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
    page = ExpertApplication.objects.filter(status="approved").order_by("-decided_at", "-pk")
    run(page.values("pk", "title")[:25], 9)
    # Prepared after five runs; the four after it ran the one plan (PostgreSQL on its own
    # plans the first five runs of a prepared statement for their values).
    assert plans('"decided_at" DESC') == [(4, 0)]


def test_a_search_is_planned_for_its_own_term_every_time():
    run(matching(ExpertApplication.objects.all(), "集成电路"), 8)
    run(User.objects.filter(real_name__icontains="张伟"), 8)
    assert not [s for s in prepared() if " LIKE " in s]


def test_a_common_terms_walk_is_prepared_and_planned_once():
    """Its plan is the list's order index whatever the term (experts.search.matching)."""
    approved = ExpertApplication.objects.filter(status="approved")
    walk = matching(approved, "集成电路", common=True).order_by("-decided_at", "-pk")
    run(walk.values_list("pk", flat=True)[:1001], 9)
    assert plans("STRPOS(") == [(4, 0)]


def test_a_search_reaches_postgresql_with_its_term_written_in():
    """Generic plans (plan_cache_mode) also take a query sent once with parameters: a search
    carries none, its term written into the SQL, so that it is planned for that term."""
    import tempfile

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        try:
            list(matching(ExpertApplication.objects.all(), "Optics"))
            list(User.objects.filter(pk=12345, email="traced@example.com"))
        finally:
            pgconn.untrace()
        trace.seek(0)
        sent = trace.read().decode("ascii", "replace").splitlines()
    # Sent as a plain Query message, values and all; no Parse with $1 for it.
    search = [line for line in sent if " LIKE " in line]
    assert len(search) == 1 and "\tQuery\t" in search[0]
    assert "$1" not in search[0] and "'%optics%'" in search[0]
    other = [line for line in sent if "\tParse\t" in line and "traced" not in line]
    assert any("$1" in line for line in other)  # everything else binds on the server


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
    import psycopg

    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    with psycopg.connect(**{k: params[k] for k in keys if k in params}, autocommit=True) as other:
        other.execute(sql)


def fetch(sql: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, [1])
        return cursor.fetchall()


def test_a_migration_changing_a_prepared_column_type_is_survived(probe_table):
    for _ in range(6):
        fetch(probe_table)
    assert [s for s in prepared() if "prepared_probe" in s]
    alter_from_another_connection("ALTER TABLE prepared_probe ALTER COLUMN name TYPE varchar(20)")
    # PostgreSQL refuses the prepared statement ("cached plan must not change result type"):
    # the backend forgets its prepared statements and runs the query again.
    assert fetch(probe_table) == [(1, "a")]
    assert fetch(probe_table) == [(1, "a")]


def test_inside_a_transaction_it_fails_once_and_the_rollback_clears_it(probe_table):
    from django.db import transaction

    for _ in range(6):
        fetch(probe_table)
    alter_from_another_connection("ALTER TABLE prepared_probe ALTER COLUMN name TYPE text")
    refused = pytest.raises(Exception, match="cached plan must not change result type")
    with refused, transaction.atomic():
        fetch(probe_table)
    assert fetch(probe_table) == [(1, "a")]
