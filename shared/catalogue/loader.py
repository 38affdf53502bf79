"""Load and cross-check the shipped catalogue and price books (validated, versioned)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from shared.catalogue.schema import (
    CatalogueFile,
    ModelDefinition,
    Offering,
    PerSecondRule,
    PriceBook,
    TableRule,
)
from shared.catalogue_files import read_catalogue_files
from shared.errors import ErrorCode, ReelcraftError

DEFAULT_PRICE_BOOK = "default"


class CatalogueError(ValueError):
    """The shipped data is inconsistent: a packaging bug, never a user error."""


@dataclass(frozen=True)
class Catalogue:
    version: str
    digest: str
    models: dict[str, ModelDefinition]
    price_books: dict[str, PriceBook] = field(default_factory=dict)

    def model(self, model_id: str) -> ModelDefinition:
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, f"unknown model {model_id!r} (known: {known})"
            ) from None

    def price_book(self, book_id: str = DEFAULT_PRICE_BOOK) -> PriceBook:
        try:
            return self.price_books[book_id]
        except KeyError:
            known = ", ".join(sorted(self.price_books))
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, f"unknown price book {book_id!r} (known: {known})"
            ) from None

    def routes_for(self, book: PriceBook, offering: Offering) -> list[str]:
        model = self.models[offering.model]
        return list(offering.routes) if offering.routes else [r.name for r in model.routes]


def _check_offering(
    book: PriceBook, offering: Offering, models: dict[str, ModelDefinition]
) -> None:
    where = f"price book {book.id}, model {offering.model}"
    model = models.get(offering.model)
    if model is None:
        raise CatalogueError(f"{where}: not in the catalogue")
    known_routes = {r.name for r in model.routes}
    for name in (offering.routes or ()) + tuple(offering.cost_usd_per_second):
        if name not in known_routes:
            raise CatalogueError(f"{where}: unknown route {name!r}")
    rule = offering.price
    if isinstance(rule, TableRule):
        for d in offering.durations:
            for res in offering.resolutions:
                if res not in rule.table.get(d, {}):
                    raise CatalogueError(f"{where}: price table lacks {d} s at {res}")
    if isinstance(rule, PerSecondRule) and isinstance(rule.rate, dict):
        missing = set(offering.resolutions) - set(rule.rate)
        if missing:
            raise CatalogueError(f"{where}: no rate for {sorted(missing)}")


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Parse and validate `models.yaml` and every price book under `directory`."""
    files = read_catalogue_files(directory)
    models_path, raw = files.models
    try:
        cat = CatalogueFile.model_validate(yaml.safe_load(raw))
    except ValidationError as exc:
        raise CatalogueError(f"{models_path}: {exc}") from exc
    models = {m.id: m for m in cat.models}
    if len(models) != len(cat.models):
        raise CatalogueError(f"{models_path}: duplicate model ids")
    books: dict[str, PriceBook] = {}
    for path, raw_book in files.price_books:
        try:
            book = PriceBook.model_validate(yaml.safe_load(raw_book))
        except ValidationError as exc:
            raise CatalogueError(f"{path}: {exc}") from exc
        if book.id != path.stem:
            raise CatalogueError(f"{path}: id {book.id!r} does not match the file name")
        for offering in book.offerings:
            _check_offering(book, offering, models)
        books[book.id] = book
    if DEFAULT_PRICE_BOOK not in books:
        raise CatalogueError("no default price book")
    return Catalogue(version=cat.version, digest=files.digest, models=models, price_books=books)


@lru_cache(maxsize=1)
def shipped_catalogue() -> Catalogue:
    """The catalogue shipped with the app, parsed once per process."""
    return load_catalogue()
