"""The price list of a price book: every model with every combination it offers."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from shared.catalogue.loader import DEFAULT_PRICE_BOOK, Catalogue
from shared.quote import quote
from shared.schemas import Quote


class ModelListing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    label: str
    provider: str
    family: str
    description: str
    badge: str | None
    audio: bool
    quality_tag: str
    estimated_render_s: int
    aspect_ratios: list[str]
    takes_seed: bool
    takes_negative_prompt: bool
    durations: list[int]
    resolutions: list[str]
    default_resolution: str
    routes: list[str]
    prices: list[Quote]


def model_listings(
    catalogue: Catalogue,
    price_book: str = DEFAULT_PRICE_BOOK,
    *,
    unavailable_routes: Mapping[str, Mapping[str, str]] | None = None,
    estimated_render_s: Mapping[str, int] | None = None,
) -> list[ModelListing]:
    """One listing per offered model, in the price book's order.

    `unavailable_routes` maps model -> route -> reason (the service's live view);
    `estimated_render_s` overrides the catalogue's estimate with measured render times.
    """
    book = catalogue.price_book(price_book)
    listings = []
    for offering in book.offerings:
        model = catalogue.models[offering.model]
        down = (unavailable_routes or {}).get(model.id, {})
        prices = [
            quote(catalogue, model.id, d, r, price_book=book.id, unavailable_routes=down)
            for d in offering.durations
            for r in offering.resolutions
        ]
        listings.append(
            ModelListing(
                model=model.id,
                label=model.label,
                provider=model.provider,
                family=model.family,
                description=model.description,
                badge=offering.badge or model.badge,
                audio=model.audio,
                quality_tag=model.quality_tag,
                estimated_render_s=(estimated_render_s or {}).get(
                    model.id, model.estimated_render_s
                ),
                aspect_ratios=list(model.aspect_ratios),
                takes_seed=model.takes_seed,
                takes_negative_prompt=model.takes_negative_prompt,
                durations=list(offering.durations),
                resolutions=list(offering.resolutions),
                default_resolution=offering.default_resolution,
                routes=catalogue.routes_for(book, offering),
                prices=prices,
            )
        )
    return listings
