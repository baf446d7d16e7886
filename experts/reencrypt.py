"""Rewriting every encrypted personal number under the first of FIELD_ENCRYPTION_KEYS
(python manage.py reencrypt_personal_data), so that an old key can be dropped after a rotation
(docs/security.md, Keys and their rotation).

Encrypted values live in three columns (accounts.User.id_number, ExpertApplication.bank_account
and the authenticators' secret keys, accounts.Authenticator.key) and inside JSON copies: each
提交's snapshot (ApplicationTransition.snapshot) and each 变更申请's values and its before/after
(ChangeRequest). Rows are read in batches by primary key, each
batch locked and rewritten in its own transaction; a value already under the first key is left
as it is, so a second run writes nothing and an interrupted run may simply be started again.
`dry_run` counts the same and writes nothing. A run that writes records one audit event with
the counts, never a value; a run that finds nothing to rewrite records none.
"""

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models.functions import Cast

from accounts.models import Authenticator, User
from accounts.permissions import SYSTEM_ROLE
from audit.log import record
from audit.models import AuditEvent
from changes.fields import SECRET
from changes.models import ChangeRequest
from experts.models import ApplicationTransition, ExpertApplication
from portal.crypto import decrypt, reencrypted

BATCH = 500
COMMAND = "reencrypt_personal_data"


def pk_batches(model, batch: int) -> Iterator[list[int]]:
    """The model's primary keys in ascending order, `batch` at a time (also reindex's)."""
    ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        yield ids[start : start + batch]


def _column(model, field: str, batch: int, dry_run: bool) -> int:
    """Rewrite one encrypted column; returns how many rows it rewrote (would rewrite)."""
    changed = 0
    for ids in pk_batches(model, batch):
        with transaction.atomic():
            rows = model.objects.filter(pk__in=ids)
            if not dry_run:
                rows = rows.select_for_update(of=("self",))
            # The stored token as text: read through the field, it would come back decrypted.
            rows = (
                rows.exclude(**{field: ""})
                .annotate(token=Cast(field, output_field=models.TextField()))
                .values_list("pk", "token")
            )
            for pk, token in rows:
                if reencrypted(token) != token:
                    if not dry_run:
                        # The field encrypts what it is given, under the first key.
                        model.objects.filter(pk=pk).update(**{field: decrypt(token)})
                    changed += 1
    return changed


def _snapshot(snapshot: dict | None) -> dict | None:
    """A snapshot (experts.snapshots) with its secret rows under the first key."""
    if not snapshot:
        return snapshot
    rows = [
        [section, label, reencrypted(value) if secret and value else value, secret]
        for section, label, value, secret in snapshot["rows"]
    ]
    return {**snapshot, "rows": rows}


def _values(values: dict) -> dict:
    """A 变更申请's values (changes.fields.encode) with its secret ones under the first key."""
    return {
        name: reencrypted(value) if name in SECRET and value else value
        for name, value in values.items()
    }


def _json(model, fields: dict[str, Callable], batch: int, dry_run: bool) -> int:
    """Rewrite JSON columns, each through its function; returns how many rows it rewrote
    (would rewrite)."""
    changed = 0
    names = list(fields)
    for ids in pk_batches(model, batch):
        with transaction.atomic():
            rows = model.objects.filter(pk__in=ids)
            if not dry_run:
                rows = rows.select_for_update(of=("self",))
            for pk, *stored in rows.values_list("pk", *names):
                new = {name: fields[name](value) for name, value in zip(names, stored, strict=True)}
                if new != dict(zip(names, stored, strict=True)):
                    if not dry_run:
                        model.objects.filter(pk=pk).update(**new)
                    changed += 1
    return changed


@dataclass(frozen=True)
class Rewritten:
    """How many rows of each place were (or, in a dry run, would be) rewritten."""

    id_numbers: int
    bank_accounts: int
    authenticator_keys: int
    snapshots: int
    change_requests: int

    def counts(self) -> str:
        """The counts as the command prints them and the audit event records them."""
        return (
            f"证件号码{self.id_numbers}条，银行账号{self.bank_accounts}条，"
            f"身份验证器密钥{self.authenticator_keys}条，"
            f"提交记录{self.snapshots}条，变更申请{self.change_requests}条"
        )


def reencrypt_all(batch: int = BATCH, *, dry_run: bool = False) -> Rewritten:
    """Every encrypted value under the first key.

    Side effects unless `dry_run`: rewrites, batch by batch, only the rows with a value under
    another key, and, when it rewrote any, records one audit event (重新加密个人信息) with the
    counts, never a value."""
    done = Rewritten(
        id_numbers=_column(User, "id_number", batch, dry_run),
        bank_accounts=_column(ExpertApplication, "bank_account", batch, dry_run),
        authenticator_keys=_column(Authenticator, "key", batch, dry_run),
        snapshots=_json(ApplicationTransition, {"snapshot": _snapshot}, batch, dry_run),
        change_requests=_json(
            ChangeRequest,
            {"values": _values, "before": _snapshot, "after": _snapshot},
            batch,
            dry_run,
        ),
    )
    # A run that rewrote nothing (everything already under the first key) changed no personal
    # data: nothing to account for, and a rerun leaves the trail as it was.
    if not dry_run and any(dataclasses.astuple(done)):
        record(
            AuditEvent.Action.REENCRYPT,
            username=COMMAND,
            role=SYSTEM_ROLE,
            detail=done.counts(),
        )
    return done
