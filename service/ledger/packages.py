"""Credit packages for sale (resources/catalogue/credit_packages.yaml), validated on load.

The packages are counted in credits of a named price book; the loader checks the file's
stated credit value against that book, so repricing credits cannot silently change what a
package is worth.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.catalogue import Catalogue, CatalogueError, shipped_catalogue
from shared.errors import ErrorCode, ReelcraftError
from shared.ledger_schemas import CreditPackage


class PackageFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    price_book: str
    credit_value_usd: Decimal = Field(gt=0)
    packages: tuple[CreditPackage, ...] = Field(min_length=1)

    @field_validator("packages")
    @classmethod
    def _unique(cls, packages: tuple[CreditPackage, ...]) -> tuple[CreditPackage, ...]:
        ids = [p.id for p in packages]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate package ids: {ids}")
        return packages

    def get(self, package_id: str) -> CreditPackage:
        for p in self.packages:
            if p.id == package_id:
                return p
        known = ", ".join(p.id for p in self.packages)
        raise ReelcraftError(
            ErrorCode.INVALID_INPUT, f"unknown credit package {package_id!r} (known: {known})"
        )


def default_path() -> Path:
    return Path(str(resources.files("resources"))) / "catalogue" / "credit_packages.yaml"


def load_packages(path: Path | None = None, catalogue: Catalogue | None = None) -> PackageFile:
    source = path or default_path()
    try:
        parsed = PackageFile.model_validate(yaml.safe_load(source.read_bytes()))
    except ValidationError as exc:
        raise CatalogueError(f"{source}: {exc}") from exc
    book = (catalogue or shipped_catalogue()).price_books.get(parsed.price_book)
    if book is None:
        raise CatalogueError(f"{source}: unknown price book {parsed.price_book!r}")
    if book.credit_value_usd != parsed.credit_value_usd:
        raise CatalogueError(
            f"{source}: packages assume {parsed.credit_value_usd} USD per credit, price book "
            f"{book.id} says {book.credit_value_usd}"
        )
    return parsed


@lru_cache(maxsize=1)
def shipped_packages() -> PackageFile:
    return load_packages()
