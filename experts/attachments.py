"""证明材料: the scans an applicant adds to their application (职称证书, 学历学位证书 …), checked
as the units' licence scans are (portal.uploads) and kept in the same private storage, outside
every public URL. No model imports: experts.models uses these for its fields."""

import uuid
from pathlib import PurePath

from django.db import models

from portal import uploads

MAX_BYTES = uploads.MAX_BYTES
# How many files one application may carry: enough for a title, a degree and some awards,
# few enough for a reviewer to open each.
MAX_FILES = 10
# Where stored files live (attachment_upload_to).
FOLDER = "attachments/"
# The uploader's file name as kept and offered back on download (the model field's length).
NAME_LENGTH = 100


# What the form, a submission's record and a comparison call the files together (a reviewer's
# 批注 on them, experts.forms; their row in 与上次提交相比, experts.snapshots).
ATTACHMENTS_LABEL = "证明材料"


class AttachmentKind(models.TextChoices):
    TITLE = "title", "职称证书"
    DEGREE = "degree", "学历学位证书"
    OTHER = "other", "其他证明材料"


def attachment_upload_to(attachment, filename: str) -> str:
    # Never keep the uploader's file name on disk: it may carry personal data or path tricks.
    suffix = PurePath(filename).suffix.lower()
    return f"{FOLDER}{uuid.uuid4().hex}{suffix}"


def accepted_files() -> str:
    return f"jpg、png或pdf格式，每份不超过{uploads.size_text(MAX_BYTES)}，最多{MAX_FILES}份"


def validate_attachment(upload) -> None:
    """The licence's checks, said of 证明材料; a file already stored was checked on upload."""
    if upload.name.startswith(FOLDER):
        return  # stored already: an upload's name is the browser's, without a folder
    uploads.check_scan(upload, noun="证明材料", max_bytes=MAX_BYTES)


def original_name(upload) -> str:
    """The browser's file name without any folder, cut to fit (its suffix kept)."""
    name = PurePath((upload.name or "").replace("\\", "/")).name or "证明材料"
    if len(name) <= NAME_LENGTH:
        return name
    suffix = PurePath(name).suffix[:10]
    return name[: NAME_LENGTH - len(suffix)] + suffix


def size_text(size: int) -> str:
    """A file's size as people read it: 820 KB, 1.4 MB."""
    if size < uploads.MEGABYTE:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / uploads.MEGABYTE:.1f} MB"
