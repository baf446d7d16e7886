"""deploy/runtime-role.sql: the services' role, when it does not own the tables, does the
portal's work (a decision writes its history, audit row, SMS and counts) and cannot change or
delete the audit trail or a draw's record, even with pgtrigger.ignore set in its session: the
privilege, not the trigger, refuses it.

The role is made for the test (NOLOGIN, a name of its own) and dropped after it, with what it
was granted: the machine's PostgreSQL keeps no trace of the run."""

import secrets
import shutil
import subprocess
from pathlib import Path

import pgtrigger
import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from experts import services
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests.factories import make_applicant, make_reviewer, make_unit

pytestmark = pytest.mark.postgres
SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "runtime-role.sql"


def psql(*args: str) -> subprocess.CompletedProcess:
    """psql on the test database, as the tests' own (superuser) role, in a session of its own:
    what it grants is committed, as an operator's run of the script is."""
    settings = connection.settings_dict
    env = {"PGPASSWORD": settings["PASSWORD"] or "", "PATH": "/usr/bin:/bin"}
    command = [shutil.which("psql") or "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    command += ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    command += ["-U", settings["USER"], "-d", settings["NAME"], *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def runtime_role(db):
    name = f"test_portal_runtime_{secrets.token_hex(4)}"
    made = psql("-c", f'CREATE ROLE "{name}" NOLOGIN')
    assert made.returncode == 0, made.stderr
    try:
        granted = psql("-v", f"runtime={name}", "-f", str(SCRIPT))
        assert granted.returncode == 0, granted.stderr
        yield name
    finally:
        psql("-c", f'DROP OWNED BY "{name}"', "-c", f'DROP ROLE "{name}"')


def as_role(name: str):
    """The rest of the test's transaction runs with `name`'s privileges (SET LOCAL ROLE)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{name}"')


def refused(sql: str) -> str:
    """What PostgreSQL says to `sql`, sent with the audit trail's UPDATE trigger set aside
    (pgtrigger.ignore: a set_config any role's session may send)."""
    ignored = pgtrigger.ignore("audit.AuditEvent:audit_no_update")
    with pytest.raises(DatabaseError) as caught, ignored, transaction.atomic():
        connection.cursor().execute(sql)
    return str(caught.value)


def test_the_services_role_decides_and_cannot_rewrite_the_trail(runtime_role):
    unit = make_unit()
    reviewer = make_reviewer()
    application = make_applicant(unit, status=ApplicationStatus.PENDING_BUREAU).application
    before = AuditEvent.objects.count()

    as_role(runtime_role)
    services.approve_application(application, reviewer)

    assert ExpertApplication.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED
    assert AuditEvent.objects.count() > before
    assert SMSMessage.objects.filter(to=application.user.mobile).exists()
    for sql in (
        "UPDATE audit_auditevent SET detail = 'rewritten'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent CASCADE",
        "UPDATE draws_pick SET role = role",
        "DELETE FROM draws_round",
        "UPDATE experts_exportedapplication SET at = at",
    ):
        assert "permission denied" in refused(sql), sql


def test_the_services_role_takes_every_step_of_a_draw(runtime_role, unit, other_unit):
    """Second read: each step after the draw locks its row (SELECT … FOR UPDATE), which needs an
    UPDATE privilege: with none on draws_draw, 确认参加, 短信通知 and 作废 were all refused."""
    from draws import services as draws
    from draws.models import Event, Void
    from tests.draws.test_draws import expert, make, members_of

    field = expert(unit).disciplines.get()
    expert(other_unit)
    reviewer = make_reviewer()

    as_role(runtime_role)
    draw = make(reviewer, field, 1, reserves=1)
    draws.answer(reviewer, draw, members_of(draw)[0], Event.Action.CONFIRM)
    draws.notify(reviewer, draw)
    draws.void(reviewer, draw, "录入错误")

    assert Void.objects.filter(draw=draw).exists()
    assert "permission denied" not in refused("UPDATE draws_draw SET id = id")  # the trigger's


def test_the_services_role_erases_personal_data(
    runtime_role, reference_data, unit, private_storage
):
    """删除个人信息 empties the submitted snapshots in the history (an UPDATE the history's
    trigger lets through) and writes its audit row: both allowed to the services' role."""
    from experts.erasure import erase_personal_data
    from tests.experts.test_consent import exited_with_everything

    reviewer = make_reviewer()
    application = exited_with_everything(unit, reviewer, private_storage)

    as_role(runtime_role)
    erased = erase_personal_data(application, reviewer)

    assert "提交记录中的专家信息1条" in erased
    assert ExpertApplication.objects.get(pk=application.pk).erased_at is not None


def test_without_the_script_the_same_role_could_not_work(runtime_role):
    """The test's own control: a role granted nothing is refused at the first read, so the
    decision above ran on the script's grants."""
    bare = f"test_portal_bare_{secrets.token_hex(4)}"
    assert psql("-c", f'CREATE ROLE "{bare}" NOLOGIN').returncode == 0
    try:
        as_role(bare)
        assert "permission denied" in refused("SELECT count(*) FROM experts_expertapplication")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        psql("-c", f'DROP ROLE "{bare}"')
