"""The draw itself, as plain functions that anyone can re-run from a draw's record.

Each eligible expert id gets the rank SHA-256("<seed>:<id>") (hex); the experts with the lowest
ranks are chosen, in rank order. A seed of 256 bits from `secrets` makes the ranks a uniform
random order of the eligible set, so every eligible expert is equally likely to be chosen, and
the result depends on nothing but the seed and the ids: not on Python's `random` (whose
algorithms may change between versions), the database's order, or the machine. The README shows
how to check a draw by hand.
"""

import hashlib
import heapq
import secrets


def new_seed() -> str:
    """A fresh seed: 32 random bytes from the operating system, as 64 hex digits."""
    return secrets.token_hex(32)


def eligible_text(ids) -> str:
    """The eligible ids in ascending order, joined by commas: what eligible_hash digests, and
    the file a reviewer downloads to check a round by hand."""
    return ",".join(str(pk) for pk in sorted(ids))


def eligible_hash(ids) -> str:
    """SHA-256 of eligible_text(ids): it pins the set a round drew from, so that a changed
    list is seen."""
    return hashlib.sha256(eligible_text(ids).encode()).hexdigest()


def rank(seed: str, pk: int) -> str:
    return hashlib.sha256(f"{seed}:{pk}".encode()).hexdigest()


def select(seed: str, ids, n: int) -> list[int]:
    """The `n` ids of `ids` with the lowest ranks under `seed`, lowest first."""
    return heapq.nsmallest(n, ids, key=lambda pk: (rank(seed, pk), pk))
