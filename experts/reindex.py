"""Recomputing every stored keyed hash under the current FIELD_HMAC_KEY (python manage.py
reindex_personal_data), so that its former value can leave FIELD_HMAC_OLD_KEYS after a rotation
(docs/security.md, Keys and their rotation).

A keyed hash (portal.crypto.blind_index) cannot be turned into another key's: it is recomputed
from the value it stands for. Three places keep one:

- accounts.User.id_number_index, from the account's own ID number (stored encrypted): always
  recomputed.
- accounts.Blacklist.id_number_index (禁入), which keeps no number: an entry was made from the
  removed account's ID number, so it is re-keyed through that account, found by the account's
  number hashed under the current key, each old key, or the account's stored hash (also under a
  former key no longer listed). An entry that matches no account's number (the account's ID
  number was corrected after the ban) cannot be recomputed; it keeps matching under the old keys
  while they are listed, and the run says how many such entries are still in force.
- certificates.Certificate.details_index, from what the certificate prints of its holder, read
  from the application as it is now: re-keyed while it still matches those details under an old
  key. One that matches them under no key was printed before a 信息变更 and reads 已失效 under
  any key; it is left as it is.

Rows are read in batches by primary key, each batch in its own transaction (the rows it rewrites
locked), and only a hash not already under the current key is written: a second run writes
nothing, and an interrupted run may simply be started again. `dry_run` counts the same and
writes nothing. A run that writes records one audit event with the counts, never a value.
"""

import datetime
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from accounts.models import Blacklist, User
from accounts.permissions import SYSTEM_ROLE
from audit.log import record
from audit.models import AuditEvent
from certificates.models import Certificate
from certificates.rules import details_indexes
from experts.reencrypt import pk_batches

BATCH = 500
COMMAND = "reindex_personal_data"


class DuplicateIdNumber(Exception):
    """Two accounts hold one ID number: a single hash cannot be stored for both, and which
    account is the person's is for an operator to decide. The message names the accounts."""


@dataclass(frozen=True)
class Reindexed:
    """How many hashes were (or, in a dry run, would be) recomputed, and the 禁入 entries no
    account's ID number matches: `orphan_bans`, of which `orphan_bans_in_force` still bar."""

    accounts: int
    bans: int
    certificates: int
    orphan_bans: int
    orphan_bans_in_force: int
    # The last day of the latest such entry in force; None when one is for good (or none is).
    orphans_until: datetime.date | None = None


def _account_batch(ids: list[int], dry_run: bool, matched: set[int]) -> tuple[int, int]:
    """Recompute one batch of accounts and the 禁入 entries of their ID numbers; returns how
    many of each were (would be) rewritten, and adds every entry found to `matched`."""
    rows = User.objects.filter(pk__in=ids).exclude(id_number="")
    if not dry_run:
        rows = rows.select_for_update(of=("self",))
    changed: dict[int, str] = {}  # account → its hash under the current key, where it differs
    current_of: dict[str, str] = {}  # any hash of an account's number → the current key's
    for user in rows.only("pk", "id_type", "id_number", "id_number_index"):
        current, *old = User.id_indexes(user.id_type, user.id_number)
        for index in (current, *old, user.id_number_index):
            if index:
                current_of[index] = current
        if user.id_number_index != current:
            changed[user.pk] = current
    _refuse_duplicates(changed)
    bans = Blacklist.objects.filter(id_number_index__in=list(current_of))
    rekey = []
    for pk, index in bans.values_list("pk", "id_number_index"):
        matched.add(pk)
        if index != current_of[index]:
            rekey.append((pk, current_of[index]))
    if not dry_run:
        for pk, current in changed.items():
            User.objects.filter(pk=pk).update(id_number_index=current)
        for pk, current in rekey:
            Blacklist.objects.filter(pk=pk).update(id_number_index=current)
    return len(changed), len(rekey)


def _refuse_duplicates(changed: dict[int, str]) -> None:
    """Raise DuplicateIdNumber if a new hash is another account's (the unique constraint would
    refuse it; this says which accounts)."""
    if not changed:
        return
    seen: dict[str, int] = {}
    others = User.objects.filter(id_number_index__in=list(changed.values())).exclude(
        pk__in=list(changed)
    )
    for pk, index in others.values_list("pk", "id_number_index"):
        seen[index] = pk
    for pk, current in changed.items():
        if current in seen:
            raise DuplicateIdNumber(
                f"账号（编号{seen[current]}）与账号（编号{pk}）的证件号码相同，"
                "请运维人员先核实并更正其中一个，再运行本命令。"
            )
        seen[current] = pk


def _certificate_batch(ids: list[int], dry_run: bool) -> int:
    """Re-key one batch of certificates still matching their holder's details under an old
    key; returns how many were (would be) rewritten."""
    rows = Certificate.objects.filter(pk__in=ids).select_related(
        "application__user", "application__unit"
    )
    if not dry_run:
        rows = rows.select_for_update(of=("self",))
    rewritten = 0
    for certificate in rows:
        current, *old = details_indexes(certificate.application)
        if certificate.details_index == current or certificate.details_index not in old:
            continue
        admission = Certificate.objects.filter(
            application_id=certificate.application_id,
            admitted_at=certificate.admitted_at,
            details_index=current,
        )
        if admission.exists():
            # Issued again under the current key before the old one was listed: that one is
            # the holder's; this one reads 已失效 once the old key leaves.
            continue
        if not dry_run:
            Certificate.objects.filter(pk=certificate.pk).update(details_index=current)
        rewritten += 1
    return rewritten


def reindex_all(batch: int = BATCH, *, dry_run: bool = False) -> Reindexed:
    """Every stored hash under the current FIELD_HMAC_KEY (see the module's docstring).

    Side effects unless `dry_run`: rewrites the hashes that differ, batch by batch, and, when it
    rewrote any, records one audit event (重算个人信息索引) with the counts. Raises
    DuplicateIdNumber, before the batch holding the second account is written, if two accounts
    hold one ID number."""
    accounts = bans = certificates = 0
    matched: set[int] = set()
    for ids in pk_batches(User, batch):
        with transaction.atomic():
            done_accounts, done_bans = _account_batch(ids, dry_run, matched)
        accounts += done_accounts
        bans += done_bans
    for ids in pk_batches(Certificate, batch):
        with transaction.atomic():
            certificates += _certificate_batch(ids, dry_run)
    orphans = Blacklist.objects.exclude(pk__in=matched)
    today = timezone.localdate()
    barring = orphans.filter(models.Q(until__isnull=True) | models.Q(until__gte=today))
    for_good = barring.filter(until__isnull=True).exists()
    latest = barring.aggregate(latest=models.Max("until"))["latest"]
    done = Reindexed(
        accounts=accounts,
        bans=bans,
        certificates=certificates,
        orphan_bans=orphans.count(),
        orphan_bans_in_force=barring.count(),
        orphans_until=None if for_good else latest,
    )
    # A run that recomputed nothing changed no stored hash: no event, as for reencrypt_all
    # (the orphans it found are in the command's own output).
    if not dry_run and (done.accounts or done.bans or done.certificates):
        record(
            AuditEvent.Action.REINDEX,
            username=COMMAND,
            role=SYSTEM_ROLE,
            detail=(
                f"证件号码索引{done.accounts}条，禁入名单{done.bans}条，入库证明"
                f"{done.certificates}份；无法重算的禁入名单{done.orphan_bans}条"
                f"（仍在禁入期内{done.orphan_bans_in_force}条）"
            ),
        )
    return done
