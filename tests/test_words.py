"""portal.words.half_width: the one way the portal reads full-width letters and digits, used by
the forms (plain_text), the identifiers' validators and the SMS's masking of numbers."""

import pytest

from portal.words import half_width


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("０１２３４５６７８９", "0123456789"),
        ("ＡＢＣＸＹＺ", "ABCXYZ"),
        ("ａｂｃｘｙｚ", "abcxyz"),  # each letter keeps its case: a caller upper-cases if it must
        ("武汉ＡＩ研究院３号楼", "武汉AI研究院3号楼"),
    ],
    ids=["digits", "upper-case letters", "lower-case letters", "in a name"],
)
def test_full_width_letters_and_digits_read_as_ascii(typed, read):
    assert half_width(typed) == read


def test_full_width_punctuation_and_spaces_stay():
    # Ordinary Chinese writing: （，：；！？） and the full-width space, dash and at sign.
    typed = "单位（总部），地址：珞喻路；电话！？\u3000－＠［］"
    assert half_width(typed) == typed
