"""Auditor's walk: the audit trail and the draws' record refused UPDATE, DELETE and TRUNCATE,
but the review histories did not. From a database shell anyone could rewrite who recommended or
approved an application, and the 审核记录 the unit, the bureau and the applicant read agreed with
the forgery. Now PostgreSQL refuses all three on each history (portal.triggers); the one update
let through is reencrypt_personal_data rewriting a 提交's encrypted numbers under a new key."""

import io

import pgtrigger
import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as unit_services
from accounts.models import UnitStatus, UnitTransition
from changes import services as change_services
from changes.admin import ChangeHistoryInline
from changes.models import ChangeStatus, ChangeTransition
from experts import services
from experts.models import ApplicationStatus as S
from experts.models import ApplicationTransition, ExpertApplication
from portal.crypto import decrypt
from tests import factories
from tests.changes.helpers import admitted
from tests.changes.test_change_and_draws import cleaned

pytestmark = pytest.mark.django_db

HISTORIES = {
    ApplicationTransition: "application_history",
    ChangeTransition: "change_history",
    UnitTransition: "unit_history",
}


@pytest.fixture
def histories(reference_data, unit, reviewer) -> dict:
    """Each history as the services write it: an application submitted, recommended and
    approved; a unit's registration approved; a 变更申请 confirmed by its unit. Returns each
    model's rows, oldest first."""
    applicant = factories.make_applicant(unit)
    application = applicant.application
    services.submit_application(application, applicant)
    services.recommend_application(application, factories.unit_account(unit))
    services.approve_application(application, reviewer)

    pending = factories.make_unit(status=UnitStatus.PENDING)
    unit_services.approve_unit(pending, reviewer)

    expert = admitted(unit)
    saved = change_services.save_changes(
        expert.application, expert, cleaned(expert, title="研究员")
    )
    change_services.confirm_change(saved.request, factories.unit_account(unit))

    return {
        ApplicationTransition: list(application.history.order_by("created_at", "pk")),
        UnitTransition: list(pending.history.order_by("created_at", "pk")),
        ChangeTransition: list(saved.request.history.order_by("created_at", "pk")),
    }


def test_each_step_writes_its_history_row(histories, reviewer):
    steps = {
        model: [(row.action, row.from_status, row.to_status) for row in rows]
        for model, rows in histories.items()
    }
    assert steps == {
        ApplicationTransition: [
            ("submit", S.DRAFT, S.PENDING_UNIT),
            ("recommend", S.PENDING_UNIT, S.PENDING_BUREAU),
            ("approve", S.PENDING_BUREAU, S.APPROVED),
        ],
        UnitTransition: [("approve", UnitStatus.PENDING, UnitStatus.APPROVED)],
        ChangeTransition: [
            ("submit", "", ChangeStatus.PENDING_UNIT),
            ("confirm", ChangeStatus.PENDING_UNIT, ChangeStatus.PENDING_BUREAU),
        ],
    }
    assert histories[ApplicationTransition][-1].actor == reviewer
    assert histories[ApplicationTransition][0].snapshot["rows"]


def test_each_history_declares_its_three_refusals():
    """What migrate installs on PostgreSQL (and /healthz?details counts): a row trigger for
    UPDATE and for DELETE, a statement trigger for TRUNCATE, on each history."""
    for model, prefix in HISTORIES.items():
        declared = {
            trigger.name: (str(trigger.operation), str(trigger.level))
            for registered_model, trigger in pgtrigger.registered()
            if registered_model is model
        }
        assert declared == {
            f"{prefix}_no_update": ("UPDATE", "ROW"),
            f"{prefix}_no_delete": ("DELETE", "ROW"),
            f"{prefix}_no_truncate": ("TRUNCATE", "STATEMENT"),
        }, model


def refused(operation: str):
    return pytest.raises(DatabaseError, match=f"Cannot {operation}")


@pytest.mark.postgres
@pytest.mark.parametrize("model", HISTORIES, ids=lambda model: model.__name__)
def test_the_database_refuses_to_rewrite_or_delete_a_history_row(histories, model, unit):
    """The walk's own statements, from a database shell: who acted, the words, the step."""
    row = histories[model][-1]
    stored = model.objects.filter(pk=row.pk).values().get()
    table = model._meta.db_table
    stranger = factories.unit_account(unit).pk
    for statement, params in [
        (f"UPDATE {table} SET actor_id = %s WHERE id = %s", [stranger, row.pk]),
        (f"UPDATE {table} SET comment = '同意', action = 'approve' WHERE id = %s", [row.pk]),
        (f"UPDATE {table} SET created_at = created_at - interval '1 day'", []),
    ]:
        with refused("update"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    with refused("delete"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])
    # Through the ORM alike.
    with refused("update"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(comment="事后补写")
    with refused("delete"), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()

    assert model.objects.filter(pk=row.pk).values().get() == stored


@pytest.mark.postgres
@pytest.mark.parametrize("model", HISTORIES, ids=lambda model: model.__name__)
def test_the_database_refuses_to_truncate_a_history_table(histories, model):
    with connection.cursor() as cursor:
        # The inserts' deferred foreign-key checks would refuse a TRUNCATE in this transaction
        # by themselves; checked now, they leave the trigger to do the refusing.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    table = model._meta.db_table
    with refused("truncate"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert model.objects.count() == len(histories[model])


def forged(snapshot: dict, index: int, place: int, value) -> dict:
    rows = [list(row) for row in snapshot["rows"]]
    rows[index][place] = value
    return {**snapshot, "rows": rows}


@pytest.mark.postgres
def test_a_submissions_snapshot_takes_only_new_tokens_of_its_secret_values(histories):
    """The UPDATE trigger lets through what reencrypt_personal_data writes, nothing else: what
    was submitted, as the reviewers compare it, stays as submitted."""
    submission = histories[ApplicationTransition][0]
    snapshot = submission.snapshot
    plain = next(i for i, row in enumerate(snapshot["rows"]) if not row[3] and row[2])
    secret = next(i for i, row in enumerate(snapshot["rows"]) if row[3])
    rows = ApplicationTransition.objects.filter(pk=submission.pk)
    for attempt in [
        forged(snapshot, plain, 2, "伪造的内容"),  # a value shown as submitted
        forged(snapshot, secret, 3, False),  # a number shown in clear
        forged(snapshot, secret, 1, "手机"),  # a number under another label
        {**snapshot, "rows": snapshot["rows"][1:]},  # a row taken out
        {**snapshot, "attachments": [["学历证书", "证书.pdf", 1, "0" * 64]]},  # its 证明材料
        {**snapshot, "version": 1},
        None,
    ]:
        with refused("update"), transaction.atomic():
            rows.update(snapshot=attempt)
    with refused("update"), transaction.atomic():
        rows.update(snapshot=forged(snapshot, secret, 2, "x"), comment="改写")

    token = Fernet(Fernet.generate_key()).encrypt(b"420102198001010011").decode()
    assert rows.update(snapshot=forged(snapshot, secret, 2, token)) == 1
    assert rows.get().snapshot == forged(snapshot, secret, 2, token)


@pytest.mark.postgres
def test_only_an_erased_applications_snapshot_may_be_emptied_and_nothing_else(histories):
    """删除个人信息 (experts.erasure) sets a 提交's snapshot to null once it has set the
    application's erased_at; the trigger lets that through and nothing more: not before the
    erasure, not with another column, not another snapshot, not one put back."""
    submission = histories[ApplicationTransition][0]
    rows = ApplicationTransition.objects.filter(pk=submission.pk)
    with refused("update"), transaction.atomic():
        rows.update(snapshot=None)
    ExpertApplication.objects.filter(pk=submission.application_id).update(erased_at=timezone.now())
    for attempt in [
        {"snapshot": None, "comment": "改写"},
        {"snapshot": {**submission.snapshot, "version": 1}},
    ]:
        with refused("update"), transaction.atomic():
            rows.update(**attempt)

    assert rows.update(snapshot=None) == 1

    with refused("update"), transaction.atomic():
        rows.update(snapshot=submission.snapshot)
    assert rows.values_list("snapshot", "comment").get() == (None, submission.comment)


def test_reencryption_rewrites_a_submissions_snapshot_and_nothing_else(histories, settings):
    """After a key rotation (docs/security.md), on PostgreSQL past the UPDATE trigger."""
    submission = histories[ApplicationTransition][0]
    before = submission.snapshot
    secret = [row[2] for row in before["rows"] if row[3]]
    assert secret
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]

    call_command("reencrypt_personal_data", stdout=io.StringIO())

    after = ApplicationTransition.objects.get(pk=submission.pk)
    rewritten = [row[2] for row in after.snapshot["rows"] if row[3]]
    assert len(rewritten) == len(secret) and set(rewritten).isdisjoint(secret)
    assert [decrypt(token) for token in rewritten] == [decrypt(token) for token in secret]
    assert all(Fernet(new_key).decrypt(token.encode()) for token in rewritten)
    assert [row for row in after.snapshot["rows"] if not row[3]] == [
        row for row in before["rows"] if not row[3]
    ]
    assert (after.actor_id, after.action, after.comment, after.created_at) == (
        submission.actor_id,
        submission.action,
        submission.comment,
        submission.created_at,
    )


def test_admin_deletes_no_history_row(client, histories):
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "Op#Pass2026x")
    client.force_login(operator)
    for model in (ApplicationTransition, UnitTransition):
        row = histories[model][-1]
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_delete"
        response = client.post(reverse(name, args=[row.pk]), {"post": "yes"})
        assert response.status_code == 403
        assert model.objects.filter(pk=row.pk).exists()
    # A 变更申请's history shows only inside the request's page, read-only.
    assert not admin.site.is_registered(ChangeTransition)
    assert ChangeHistoryInline.can_delete is False
