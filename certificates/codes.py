"""Verification codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
60 bits from `secrets`, printed in groups of four (ABCD-EFGH-JKMN). A leaf module."""

import re
import secrets
import unicodedata

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # 31 characters: 12 of them carry 59 bits
LENGTH = 12
GROUP = 4
# Whatever people put between the groups: spaces, any dash, underscores, dots.
SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−﹣－_.·]+")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    """ABCDEFGHJKMN → ABCD-EFGH-JKMN, as printed and shown."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """What a person typed or scanned, as stored: full-width letters made ASCII (NFKC),
    separators removed, upper case. Anything else is left for the lookup to not find."""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper()
