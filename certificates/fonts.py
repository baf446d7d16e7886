"""The certificate's typeface: Noto Serif CJK SC from Debian's fonts-noto-cjk.

The whole font (65,535 glyphs, 26 MB with its four sister faces) costs WeasyPrint ~60 ms per
document: it copies the file and subsets it every time. `manage.py build_certificate_font`
makes, once, a subset with the characters a certificate nearly always needs (GB 2312 and ASCII:
7,540 characters, 2.5 MB); the PDF names it first and the whole font after it, so a rarer
character in a name is still drawn, from the whole font (docs/performance.md has the figures)."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Serif CJK SC"  # fontconfig's name for the whole font, the fallback
SUBSET_NAME = "certificate-serif-sc.otf"


def subset_path() -> Path:
    return Path(settings.CERTIFICATE_FONT_DIR) / SUBSET_NAME


def common_characters() -> set[int]:
    """Printable ASCII, the full-width forms, and every character of GB 2312 (6,763 hanzi with
    its punctuation): the names, units and fields of nearly every expert."""
    characters = set(range(0x20, 0x7F)) | set(range(0xFF01, 0xFF5F))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue  # an unassigned code point of the table
    return characters


def build_subset(target: Path, characters: set[int], source: Path = SOURCE) -> Path:
    """Write the Simplified Chinese face of `source` cut down to `characters` to `target`
    (replaced atomically, so a worker never reads half a file)."""
    collection = TTCollection(str(source), lazy=True)
    face = next(
        (font for font in collection if font["name"].getDebugName(1) == SOURCE_FAMILY), None
    )
    if face is None:
        raise LookupError(f"{source} has no {SOURCE_FAMILY} face")
    options = subset.Options()
    # No OpenType layout features: the certificate is set horizontally with plain glyphs, and
    # WeasyPrint drops GSUB and GPOS from the fonts it embeds anyway. Half the size.
    options.layout_features = []
    options.name_IDs = ["*"]  # the licence and copyright notices travel with the font
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(face)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".otf")
    os.close(handle)
    face.save(temporary)
    os.replace(temporary, target)
    return target
