"""How a search box reads what was typed, for every list: the pool's indexed search
(experts.search) and the short lists' scans (portal.filters.contains_any)."""

import unicodedata


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def words(term: str) -> list[str]:
    """The words of a search, each to be found in the text, in any order: “王 人工智能” finds
    王芳 of 人工智能 however the text orders them. Repeated words count once."""
    return list(dict.fromkeys(normalise(term).split()))
