"""The price list the Create screen shows: every offered model of a price book with its price
at every duration and resolution, as plain data.

It arrives from two places in one shape: the service's `GET /models` (live availability,
measured render times) and, before the service has answered, a snapshot of the shipped
catalogue (`price_list_snapshot.py`, written by `make price-list`). The snapshot is trusted only
while its fingerprint matches the catalogue files; otherwise the list is computed from them,
so a price on screen never comes from a stale file. No pydantic, YAML, json or hashlib here:
this module is on the studio's start-up path, where each costs milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from shared.catalogue_files import read_catalogue_files

log = logging.getLogger(__name__)


class Price(NamedTuple):
    duration_s: int
    resolution: str
    credits: int
    available: bool
    unavailable_reason: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Price:
        return cls(
            int(data["duration_s"]),
            str(data["resolution"]),
            int(data["credits"]),
            bool(data["available"]),
            data.get("unavailable_reason"),
        )


class Offer(NamedTuple):
    """One model as the price book offers it."""

    model: str
    label: str
    provider: str
    description: str
    badge: str | None
    audio: bool
    quality_tag: str
    estimated_render_s: int
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    default_resolution: str
    prices: tuple[Price, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Offer:
        return cls(
            model=str(data["model"]),
            label=str(data["label"]),
            provider=str(data["provider"]),
            description=str(data["description"]),
            badge=data.get("badge"),
            audio=bool(data["audio"]),
            quality_tag=str(data["quality_tag"]),
            estimated_render_s=int(data["estimated_render_s"]),
            durations=tuple(int(d) for d in data["durations"]),
            resolutions=tuple(str(r) for r in data["resolutions"]),
            default_resolution=str(data["default_resolution"]),
            prices=tuple(Price.from_json(p) for p in data["prices"]),
        )


class PriceList(NamedTuple):
    price_book: str
    default_model: str
    default_duration: int
    generation_enabled: bool
    offers: tuple[Offer, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceList:
        """From `GET /models` (as JSON) or the shipped snapshot: the same shape."""
        return cls(
            price_book=str(data["price_book"]),
            default_model=str(data["default_model"]),
            default_duration=int(data["default_duration"]),
            generation_enabled=bool(data["generation_enabled"]),
            offers=tuple(Offer.from_json(m) for m in data["models"]),
        )


def shipped_price_list() -> PriceList:
    """The default price book with every route up, as the studio shows it before the service
    answers: the snapshot when it matches the catalogue files, else computed from them."""
    from shared import price_list_snapshot as snapshot

    if read_catalogue_files().fingerprint == snapshot.FINGERPRINT:
        return PriceList.from_json(snapshot.PRICE_LIST)
    log.warning("the price list snapshot is stale (make price-list): computing it")
    from shared.listing import price_list_document

    return PriceList.from_json(price_list_document())
