"""A disk that fills up, at the storage's boundary: the tests run as root (CI), where a
read-only folder does not refuse a write, and no test may fill a real disk."""

import errno
import os

from django.core.files.storage import FileSystemStorage


class FullDiskStorage(FileSystemStorage):
    """The private storage on a disk with `room` bytes left: a file's first bytes are written,
    then the write fails with ENOSPC, and the part written stays on the disk, as a full file
    system leaves it. Reading, listing and deleting work as usual."""

    room = 1024

    def save(self, name, content, max_length=None):
        name = self.get_available_name(name, max_length=max_length)
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        content.seek(0)
        with open(path, "wb") as part:
            part.write(content.read(self.room))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)


def full_disk(settings, location) -> None:
    """Point the default (private) storage at a full disk in `location` for this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.storages.FullDiskStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
