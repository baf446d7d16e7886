"""The licence scan (营业执照或法人证书扫描件): checked by portal.uploads, the checks the
applicants' 证明材料 share. Its limits are read here when a check runs, so a bureau changes
them (and every message that names them) in one place."""

from portal import uploads

MAX_BYTES = uploads.MAX_BYTES
MEGABYTE = uploads.MEGABYTE
MAX_PIXELS = uploads.MAX_PIXELS

# Where stored scans live (accounts.models.licence_upload_to).
LICENCE_FOLDER = "licences/"


def size_limit() -> str:
    """MAX_BYTES as the messages print it: 5MB (0.5MB for a limit under one)."""
    return uploads.size_text(MAX_BYTES)


def accepted_files() -> str:
    """What the upload field's help says is accepted, read from MAX_BYTES when shown."""
    return f"jpg、png或pdf格式，不超过{size_limit()}"


def validate_licence(upload) -> None:
    """jpg, png or pdf, at most MAX_BYTES, and really of that type, whole and without extras.

    Used as the model field's validator, so admin uploads are checked too; a file already
    stored was checked when it was uploaded.
    """
    if upload.name.startswith(LICENCE_FOLDER):
        return  # stored already: an upload's name is the browser's, without a folder
    uploads.check_scan(upload, noun="扫描件", max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
