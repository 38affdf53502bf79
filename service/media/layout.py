"""Where cached files live on disk, and the atomic moves that put them there.

Layout under the media root (``Settings.media_dir``)::

    tmp/<uuid>.part                 downloads and encodes in progress (never served)
    ab/cd/<sha256>.<ext>            content-addressed originals (videos, input images)
    thumbs/ab/<sha256>-<width>.jpg  poster frames, derived from the video of that hash

Two directory levels keep every directory small with a hundred thousand files. A file only
appears under its final name through ``os.replace`` from ``tmp/`` on the same filesystem,
after an fsync, so a reader never sees a partial file and a crash leaves only ``.part``
files behind, which ``sweep_tmp`` removes.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

EXTENSIONS = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "image/png": "png",
    "image/jpeg": "jpg",
}


def check_sha256(sha256: str) -> str:
    """The hash, if it is one; paths are built from it, so nothing else may pass."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
    return sha256


class MediaLayout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        self.thumbs_dir = root / "thumbs"

    def ensure(self) -> None:
        for d in (self.root, self.tmp_dir, self.thumbs_dir):
            d.mkdir(parents=True, exist_ok=True)

    def new_tmp(self, suffix: str = ".part") -> Path:
        return self.tmp_dir / f"{uuid.uuid4().hex}{suffix}"

    def relative_path(self, sha256: str, mime: str) -> str:
        """The stored (POSIX, relative) path of a file; the database keeps this form."""
        check_sha256(sha256)
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{EXTENSIONS[mime]}"

    def absolute(self, relative: str) -> Path:
        return self.root / Path(relative)

    def thumbnail_path(self, sha256: str, width: int) -> Path:
        check_sha256(sha256)
        return self.thumbs_dir / sha256[:2] / f"{sha256}-{width}.jpg"

    def sweep_tmp(self, older_than_s: float = 6 * 3600) -> int:
        """Delete leftovers of crashed downloads; young files may belong to a live process."""
        cutoff = time.time() - older_than_s
        removed = 0
        for p in self.tmp_dir.glob("*"):
            try:
                if p.stat().st_mtime < cutoff:
                    p.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, final: Path) -> None:
    """Atomically move a finished, fsynced temporary file to its content-addressed name."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def write_atomic(final: Path, data: bytes, tmp_dir: Path) -> None:
    """Write small derived files (thumbnails, images) so readers see all or nothing."""
    tmp = tmp_dir / f"{uuid.uuid4().hex}.part"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
