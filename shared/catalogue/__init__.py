"""The model catalogue: what each model is, how it is reached, and how it is priced."""

from shared.catalogue.loader import (
    DEFAULT_PRICE_BOOK,
    Catalogue,
    CatalogueError,
    load_catalogue,
    shipped_catalogue,
)
from shared.catalogue.schema import ModelDefinition, Offering, PriceBook, Route

__all__ = [
    "DEFAULT_PRICE_BOOK",
    "Catalogue",
    "CatalogueError",
    "ModelDefinition",
    "Offering",
    "PriceBook",
    "Route",
    "load_catalogue",
    "shipped_catalogue",
]
