"""How the portal reads what was typed: full-width letters and digits as the ordinary ones
(half_width) for what is stored, and how a search box reads a search, for every list: the
pool's indexed search (experts.search) and the short lists' scans (portal.filters.contains_any).

A leaf module (the standard library only), so that any app, sms and accounts' validators
included, may use it."""

import re
import unicodedata

# Full-width digits and Latin letters, upper and lower case (３, Ａ, ａ), which a Chinese input
# method types in its full-width mode: the same to a reader as 3, A and a, others to a search,
# a comparison or a pattern. Full-width punctuation （，：） is ordinary Chinese writing and
# stays. Not NFKC, which would change that punctuation too (and ① to 1, ㎡ to m2).
_HALF_WIDTH = str.maketrans(
    {
        chr(code): chr(code - 0xFEE0)
        for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
    }
)


def half_width(text: str) -> str:
    """`text` with its full-width digits and Latin letters as the ASCII ones, each letter in
    its own case; anything else as it was."""
    return text.translate(_HALF_WIDTH)


# What a reviewer typed as a reason may hold an ID, bank or mobile number. A run of ten or more
# digits (spaces or hyphens between them, an ID number's final X) keeps only its last four, as
# the portal's masks do. Left as typed: a date with its time (2024-05-20 14:30), and a landline
# with its area code (0 then at most 12 digits: 027-8765 4321), which no ID, mobile or card
# number is.
_NUMBER = re.compile(
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}(?: \d{1,2}:\d{2})?)|(?P<number>\d(?:[ -]*\d){9,}[Xx]?)"
)


def _masked(match: re.Match) -> str:
    if match.group("date"):
        return match.group()
    digits = re.sub(r"[ -]", "", match.group())
    if digits.startswith("0") and len(digits) <= 12:
        return match.group()  # a landline with its area code
    return "****" + digits[-4:]


def mask_numbers(text: str) -> str:
    """`text` read with half_width (a full-width ID number is masked too), each long number in
    it (an ID, bank or mobile number) shown by its last four digits only: what an SMS or the
    audit trail may repeat of a reason a person typed."""
    return _NUMBER.sub(_masked, half_width(text))


def normalise(text: str) -> str:
    """A search or the text it is looked for in, as compared: NFKC (full-width letters, digits
    and punctuation to ASCII, so （ finds ( too), lower case, single spaces. Both sides are read
    alike and nothing is shown from it, so folding more than half_width is wanted here."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def words(term: str) -> list[str]:
    """The words of a search, each to be found in the text, in any order: “王 人工智能” finds
    王芳 of 人工智能 however the text orders them. Repeated words count once."""
    return list(dict.fromkeys(normalise(term).split()))
