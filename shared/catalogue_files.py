"""The catalogue's source files as bytes, with their digest and fingerprint.

Kept apart from the loader (YAML + pydantic) so the studio can tell whether its shipped price
list still matches the catalogue without paying for either at start-up.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import NamedTuple

import resources


def catalogue_dir() -> Path:
    return Path(resources.__file__).parent / "catalogue"


class CatalogueFiles(NamedTuple):
    models: tuple[Path, bytes]
    price_books: tuple[tuple[Path, bytes], ...]  # sorted by file name

    @property
    def digest(self) -> str:
        """The catalogue version's digest (sha256): in every quote and generation."""
        import hashlib  # ~5 ms to import: not on the studio's start-up path

        hasher = hashlib.sha256(self.models[1])
        for _, raw in self.price_books:
            hasher.update(raw)
        return hasher.hexdigest()[:16]

    @property
    def fingerprint(self) -> str:
        """A cheap change detector (CRC-32 of the files and their names)."""
        crc = 0
        for path, raw in (self.models, *self.price_books):
            crc = zlib.crc32(raw, zlib.crc32(path.name.encode(), crc))
        return f"{crc:08x}"


def read_catalogue_files(directory: Path | None = None) -> CatalogueFiles:
    root = directory or catalogue_dir()
    models = root / "models.yaml"
    books = sorted((root / "price_books").glob("*.yaml"))
    return CatalogueFiles((models, models.read_bytes()), tuple((p, p.read_bytes()) for p in books))
