"""The quote engine: pure, exact, shared by the desktop (instant card prices) and the service
(the price that gets charged)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from shared.catalogue.loader import DEFAULT_PRICE_BOOK, Catalogue
from shared.catalogue.schema import (
    FlatRule,
    ModelDefinition,
    Offering,
    PerSecondRule,
    PriceBook,
    Rounding,
    Route,
    TableRule,
)
from shared.errors import ErrorCode, ReelcraftError
from shared.schemas import Quote

_ROUNDING = {
    Rounding.NEAREST: ROUND_HALF_UP,
    Rounding.UP: ROUND_CEILING,
    Rounding.DOWN: ROUND_FLOOR,
}
_CENT = Decimal("0.01")


def _round(value: Decimal, rounding: Rounding, step: int) -> int:
    steps = (value / step).quantize(Decimal(1), rounding=_ROUNDING[rounding])
    return int(steps) * step


def route_cost_per_second(offering: Offering, route: Route, resolution: str) -> Decimal:
    override = offering.cost_usd_per_second.get(route.name, {})
    if resolution in override:
        return override[resolution]
    if "default" in override:
        return override["default"]
    return route.cost_per_second(resolution)


def price_credits(
    book: PriceBook,
    offering: Offering,
    route: Route,
    duration_s: int,
    resolution: str,
    *,
    audio: bool = True,
    options: Collection[str] = (),
) -> int:
    """Credits for one combination under the offering's price rule."""
    rule = offering.price
    if isinstance(rule, FlatRule):
        return rule.credits
    if isinstance(rule, TableRule):
        return rule.table[duration_s][resolution]
    assert isinstance(rule, PerSecondRule)
    if rule.markup is not None:
        cost = route_cost_per_second(offering, route, resolution)
        rate = cost * rule.markup / book.credit_value_usd
    elif isinstance(rule.rate, Mapping):
        rate = rule.rate[resolution]
    else:
        assert rule.rate is not None
        rate = rule.rate
    per_second = rate * rule.resolution_multipliers.get(resolution, Decimal(1))
    if audio:
        per_second += rule.audio_adder_per_second
    total = per_second * duration_s
    total += sum((rule.option_adders.get(o, Decimal(0)) for o in options), Decimal(0))
    return _round(total, rule.rounding, rule.round_to)


def _offering_or_error(book: PriceBook, model: ModelDefinition) -> Offering:
    try:
        return book.offering(model.id)
    except KeyError:
        raise ReelcraftError(
            ErrorCode.INVALID_INPUT,
            f"model {model.id} is not sold in price book {book.id}",
        ) from None


def quote(
    catalogue: Catalogue,
    model_id: str,
    duration_s: int,
    resolution: str | None = None,
    *,
    price_book: str = DEFAULT_PRICE_BOOK,
    audio: bool = True,
    options: Collection[str] = (),
    unavailable_routes: Mapping[str, str] | None = None,
) -> Quote:
    """Price one generation; say which route would render it or why none can.

    Raises `ReelcraftError(invalid_input)` for an unknown model, or a duration or resolution
    the price book does not offer. `unavailable_routes` maps route name to a reason (outage,
    circuit breaker, no key) supplied by the service at run time.
    """
    book = catalogue.price_book(price_book)
    model = catalogue.model(model_id)
    offering = _offering_or_error(book, model)
    if duration_s not in offering.durations:
        offered = ", ".join(f"{d} s" for d in offering.durations)
        raise ReelcraftError(
            ErrorCode.INVALID_INPUT,
            f"{model.label} is not offered at {duration_s} s (offered: {offered})",
        )
    resolution = resolution or offering.default_resolution
    if resolution not in offering.resolutions:
        raise ReelcraftError(
            ErrorCode.INVALID_INPUT,
            f"{model.label} is not offered at {resolution} "
            f"(offered: {', '.join(offering.resolutions)})",
        )
    routes = [model.route(n) for n in catalogue.routes_for(book, offering)]
    down = unavailable_routes or {}
    chosen: Route | None = None
    reasons: list[str] = []
    for route in routes:
        rejection = route.rejects(duration_s, resolution)
        if rejection is None and route.name in down:
            rejection = f"{route.name}: {down[route.name]}"
        if rejection is None:
            chosen = route
            break
        reasons.append(rejection)
    # Cost (and a markup price) follow the route that renders; if none can, the first route
    # that at least renders this resolution, so the margin stays meaningful.
    costed = chosen or next((r for r in routes if resolution in r.resolutions), routes[0])
    credits = price_credits(
        book, offering, costed, duration_s, resolution, audio=audio, options=options
    )
    provider_cost = (route_cost_per_second(offering, costed, resolution) * duration_s).quantize(
        _CENT, rounding=ROUND_HALF_UP
    )
    margin = (
        (credits * book.credit_value_usd / provider_cost).quantize(_CENT, rounding=ROUND_HALF_UP)
        if provider_cost
        else Decimal(0)
    )
    reason = None
    if chosen is None:
        reason = f"Not offered at {duration_s} s {resolution}: " + "; ".join(reasons)
    return Quote(
        model=model.id,
        price_book=book.id,
        price_book_version=book.version,
        catalogue_version=catalogue.version,
        duration_s=duration_s,
        resolution=resolution,
        credits=credits,
        credit_value_usd=book.credit_value_usd,
        provider_cost_usd=provider_cost,
        margin=margin,
        route=chosen.name if chosen else None,
        available=chosen is not None,
        unavailable_reason=reason,
    )
