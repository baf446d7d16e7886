"""A disabled or dropped append-only trigger is said where operators look: /healthz?details
(503) and the admin index. The plain /healthz stays one query."""

import re
from pathlib import Path

import pgtrigger
import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from draws.models import Round

DEPLOYMENT_DOC = Path(__file__).resolve().parents[1] / "docs" / "deployment.md"


def disable(model, name: str) -> str:
    """ALTER TABLE … DISABLE TRIGGER, as the auditor's walk did (rolled back with the test)."""
    [trigger] = [t for m, t in pgtrigger.registered() if m is model and t.name == name]
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {model._meta.db_table} DISABLE TRIGGER {trigger.get_pgid(model)}"
        )
    return trigger.get_uri(model)


@pytest.mark.postgres
def test_healthz_details_say_every_trigger_is_installed_and_enabled(client, db):
    response = client.get("/healthz", {"details": "1"})
    body = response.content.decode()
    total = len(pgtrigger.registered())
    assert response.status_code == 200 and body.startswith("ok\n")
    assert f"triggers: {total}个保护触发器均已安装并启用\n" in body


@pytest.mark.postgres
def test_healthz_details_answer_503_naming_a_disabled_trigger(client, db):
    """Auditor's walk: after ALTER TABLE draws_round DISABLE TRIGGER … /healthz?details said ok."""
    uri = disable(Round, "draw_round_no_update")

    response = client.get("/healthz", {"details": "1"})

    body = response.content.decode()
    assert response.status_code == 503
    assert body.splitlines()[0] == "protection triggers not all installed and enabled"
    total = len(pgtrigger.registered())
    assert (
        f"triggers: {total}个保护触发器中1个未安装或已停用，记录可被改写："
        f"{uri}（表 draws_round，已停用）\n"
    ) in body
    # The probe's plain answer is the node's and its database's, as before: one query.
    assert client.get("/healthz").content == b"ok\n"


@pytest.mark.postgres
def test_healthz_details_name_a_dropped_trigger(client, db):
    [(model, trigger)] = pgtrigger.registered("audit.AuditEvent:audit_no_truncate")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {trigger.get_pgid(model)} ON audit_auditevent")

    response = client.get("/healthz", {"details": "1"})

    assert response.status_code == 503
    assert "audit.AuditEvent:audit_no_truncate（表 audit_auditevent，未安装）" in (
        response.content.decode()
    )


def test_the_plain_healthz_asks_nothing_of_the_triggers(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/healthz").content == b"ok\n"


def test_healthz_details_say_what_the_database_has(client, db):
    """On PostgreSQL every trigger is counted as installed and enabled; on SQLite (the README's
    demo) the line says there are none, not that all is well."""
    body = client.get("/healthz", {"details": "1"}).content.decode()
    if connection.vendor == "postgresql":
        assert re.search(r"^triggers: \d+个保护触发器均已安装并启用$", body, re.M), body
    else:
        assert "triggers: 当前数据库不是 PostgreSQL，没有保护触发器（仅开发环境）\n" in body


@pytest.mark.postgres
def test_the_admin_index_names_a_disabled_trigger(client, db):
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "Op#Pass2026x")
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert 'class="help" data-testid="trigger-notice">保护触发器：' in page

    uri = disable(Round, "draw_round_no_update")

    page = client.get("/admin/").content.decode()
    assert 'class="errornote" data-testid="trigger-notice">' in page
    assert f"{uri}（表 draws_round，已停用）" in page
    # Another admin page reads no trigger: the index alone calls the check.
    with connection.execute_wrapper(refuse_catalogue_queries):
        assert client.get("/admin/draws/draw/").status_code == 200


def refuse_catalogue_queries(execute, sql, params, many, context):
    assert "pg_trigger" not in sql, "a page other than the admin index read the triggers"
    return execute(sql, params, many, context)


def test_the_operators_guide_names_as_many_triggers_as_the_models_declare():
    """docs/deployment.md shows the line an operator should see: its count follows the tables
    made append-only (the audit trail, the draws' record, the review histories, the record of
    who was in each export 含敏感信息)."""
    guide = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    [shown] = re.findall(r"`triggers: (\d+)个保护触发器均已安装并启用`", guide)
    [stated] = re.findall(r"(\d+) in all\.", guide)
    assert int(shown) == int(stated) == len(pgtrigger.registered()) == 36


def test_no_triggers_is_a_fault_outside_development(settings):
    """等保 walk: /healthz?details answered 200 "ok" on a production SQLite database, while
    nothing kept the audit trail append-only."""
    from portal.triggers import TriggerState

    without = TriggerState(applies=False, total=0, faults=[])
    settings.DEBUG = True
    assert without.ok
    assert without.message == "当前数据库不是 PostgreSQL，没有保护触发器（仅开发环境）"

    settings.DEBUG = False
    assert not without.ok
    assert "不能用于生产环境" in without.message
    assert TriggerState(applies=True, total=3, faults=[]).ok
