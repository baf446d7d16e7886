"""The portal under its opt-in DATABASE_PREPARE_THRESHOLD (docs/deployment.md): values bound on
the server, where PostgreSQL refuses two commands in one statement, and with them what
pgtrigger.ignore sends (a set_config in front of each statement). `migrate` installs the portal,
删除个人信息 empties the erased person's 提交 snapshots, and a failed export forgets its record,
each past the append-only triggers without ignore; seed_scale, which needs ignore, says so."""

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pgtrigger
import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from experts import exports
from experts.erasure import erase_personal_data
from experts.models import ApplicationTransition, ExpertApplication, ExportedApplication, ExportJob
from tests.experts.test_consent import exited_with_everything
from tests.experts.test_export import EXPORT_URL, make_pool
from tests.storages import full_disk

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[1]
# What portal.settings makes of DATABASE_PREPARE_THRESHOLD=5 (tests/test_settings.py); the
# plan_cache_mode it adds changes no statement's shape.
SERVER_SIDE = {"server_side_binding": True, "prepare_threshold": 5}


def server_params() -> dict:
    params = connection.get_connection_params()
    return {k: params[k] for k in ("user", "password", "host", "port") if k in params}


@contextlib.contextmanager
def throwaway_database():
    """A database of this test's own, dropped after it: its name."""
    name = f"portal_prepare_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**server_params(), dbname="postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield name
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# A draw recorded before draws 0005 (its table without the names as drawn): one quota, one
# round, one pick, written as that schema has them.
DRAWN_BEFORE_0005 = """
from django.db import connection
from experts.models import ApplicationStatus, Discipline
from tests import factories

person = factories.make_applicant(factories.make_unit(), ApplicationStatus.APPROVED)
reviewer = factories.make_reviewer()
field = Discipline.objects.order_by("pk").first()
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO draws_draw (project_name, review_at, review_place, criteria, created_at,"
        " created_by_id) VALUES ('评审', now(), '会议室', '{}', now(), %s) RETURNING id",
        [reviewer.pk],
    )
    [(draw,)] = cursor.fetchall()
    cursor.execute(
        "INSERT INTO draws_quota (draw_id, number, count, reserves, discipline_id)"
        " VALUES (%s, 1, 1, 0, %s) RETURNING id",
        [draw, field.pk],
    )
    [(quota,)] = cursor.fetchall()
    cursor.execute(
        "INSERT INTO draws_round (quota_id, number, seed, eligible_ids, eligible_hash,"
        " eligible_count, wanted, picked_ids, created_at, created_by_id)"
        " VALUES (%s, 1, 's', '[]', 'h', 1, 1, '[]', now(), %s) RETURNING id",
        [quota, reviewer.pk],
    )
    [(round_,)] = cursor.fetchall()
    cursor.execute(
        "INSERT INTO draws_pick (draw_id, round_id, application_id, role, position, created_at)"
        " VALUES (%s, %s, %s, 'member', 1, now())",
        [draw, round_, person.application.pk],
    )
"""


@pytest.mark.slow
def test_migrate_installs_and_upgrades_the_portal_with_values_bound_on_the_server():
    """A fresh database: the bureau that turns the option on can install the portal (it once
    died at draws 0005, "cannot insert multiple commands into a prepared statement"). Then an
    install from before draws 0005, with a draw on record, upgrades: the names are filled."""
    params = server_params()
    with throwaway_database() as name:
        url = f"postgres://{params['user']}@{params['host']}:{params.get('port') or 5432}/{name}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        environment.update(DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="5", DEBUG="true")

        def manage(*args) -> str:
            result = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr[-2000:]
            return result.stdout

        assert "Applying draws.0005_names_as_drawn... OK" in manage("migrate", "--no-input")
        with psycopg.connect(**params, dbname=name) as installed:
            assert triggers_enabled(installed) == len(pgtrigger.registered())

        manage("migrate", "--no-input", "draws", "0004")
        manage("shell", "--no-imports", "-c", DRAWN_BEFORE_0005)
        assert "Applying draws.0005_names_as_drawn... OK" in manage("migrate", "--no-input")
        with psycopg.connect(**params, dbname=name) as upgraded:
            names = upgraded.execute(
                "SELECT quota.discipline_name, field.name, pick.expert_name, person.real_name"
                " FROM draws_pick AS pick JOIN draws_round AS round ON round.id = pick.round_id"
                " JOIN draws_quota AS quota ON quota.id = round.quota_id"
                " JOIN experts_discipline AS field ON field.id = quota.discipline_id"
                " JOIN experts_expertapplication AS expert ON expert.id = pick.application_id"
                " JOIN accounts_user AS person ON person.id = expert.user_id"
            ).fetchall()
            # draws 0005's two among them, again
            assert triggers_enabled(upgraded) == len(pgtrigger.registered())
    [(discipline_name, field_name, expert_name, real_name)] = names
    assert (discipline_name, expert_name) == (field_name, real_name) and expert_name


def triggers_enabled(database: psycopg.Connection) -> int:
    """The append-only triggers there and enabled (portal.triggers)."""
    [(count,)] = database.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger_%' AND tgenabled = 'O'"
    ).fetchall()
    return count


@contextlib.contextmanager
def bound_on_the_server():
    """The default connection, reconnected as DATABASE_PREPARE_THRESHOLD=5 makes it; then
    back. Needs a transactional test: closing the connection ends any test transaction."""
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    connection.close()
    options.update(SERVER_SIDE)
    try:
        with connection.cursor() as cursor:
            assert not isinstance(cursor.cursor, psycopg.ClientCursor)  # bound by PostgreSQL
        yield
    finally:
        connection.close()
        options.clear()
        options.update(saved)


@pytest.mark.django_db(transaction=True)
def test_erasing_personal_data_empties_the_snapshots_with_values_bound_on_the_server(
    reference_data, unit, reviewer, private_storage
):
    application = exited_with_everything(unit, reviewer, private_storage)
    history = ApplicationTransition.objects.filter(application=application)
    assert history.filter(snapshot__isnull=False).count() == 1
    steps = list(history.values_list("pk", "action", "actor_id", "created_at"))

    with bound_on_the_server():
        erased = erase_personal_data(application, reviewer)

    assert "提交记录中的专家信息1条" in erased
    assert ExpertApplication.objects.get(pk=application.pk).erased_at is not None
    assert not history.filter(snapshot__isnull=False).exists()
    assert list(history.values_list("pk", "action", "actor_id", "created_at")) == steps


@pytest.mark.django_db(transaction=True)
def test_a_failed_export_forgets_its_record_with_values_bound_on_the_server(
    reference_data, client, reviewer, unit, settings, tmp_path
):
    make_pool(unit, 2)
    client.force_login(reviewer)
    client.post(EXPORT_URL, {"scope": "full", "reason": "组织评审，核对劳务费账户"})
    full_disk(settings, tmp_path)

    with bound_on_the_server():
        assert exports.run_pending() == {"exports": 1, "failed": 1}

    assert ExportJob.objects.get().status == ExportJob.Status.FAILED
    assert ExportedApplication.objects.count() == 0  # no file left the portal


@pytest.mark.django_db(transaction=True)
def test_seed_scale_says_it_needs_the_option_off_before_writing_anything():
    with bound_on_the_server(), pytest.raises(CommandError, match="DATABASE_PREPARE_THRESHOLD"):
        call_command("seed_scale", "--units", "1", "--experts", "1", "--force")
    assert not ExpertApplication.objects.exists()
