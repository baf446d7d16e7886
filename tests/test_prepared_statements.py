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


def test_a_search_is_planned_for_its_own_term_every_time():
    run(matching(ExpertApplication.objects.all(), "集成电路"), 8)
    run(User.objects.filter(real_name__icontains="张伟"), 8)
    assert not [s for s in prepared() if " LIKE " in s]
