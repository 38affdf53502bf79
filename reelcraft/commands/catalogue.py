"""`reelcraft models` and `reelcraft quote`: the catalogue and prices, no service needed."""

from __future__ import annotations

import argparse
import sys

from reelcraft.cli import print_json
from shared.catalogue import DEFAULT_PRICE_BOOK, shipped_catalogue
from shared.listing import model_listings
from shared.quote import quote


def _models(args: argparse.Namespace) -> int:
    listings = model_listings(shipped_catalogue(), args.price_book)
    if args.json:
        print_json(listings)
        return 0
    book = shipped_catalogue().price_book(args.price_book)
    out = [f"{book.title}  (price book {book.id} v{book.version})", ""]
    for m in listings:
        badge = f" [{m.badge}]" if m.badge else ""
        audio = ", audio" if m.audio else ""
        out.append(
            f"{m.label} ({m.model}) by {m.provider}{badge}: {m.quality_tag}{audio}, "
            f"~{round(m.estimated_render_s / 60)} min"
        )
        for q in m.prices:
            state = f"via {q.route}" if q.available else q.unavailable_reason
            out.append(
                f"    {q.duration_s:>3} s {q.resolution:>6}  {q.credits:>6} credits  {state}"
            )
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _quote(args: argparse.Namespace) -> int:
    q = quote(
        shipped_catalogue(), args.model, args.duration, args.resolution, price_book=args.price_book
    )
    if args.json:
        print_json(q)
        return 0
    line = (
        f"{q.model} {q.duration_s} s {q.resolution}: {q.credits} credits "
        f"(provider ${q.provider_cost_usd}, margin {q.margin}x)"
    )
    if not q.available:
        line += f"\n  unavailable: {q.unavailable_reason}"
    sys.stdout.write(line + "\n")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("models", help="list models with every offered price")
    p.add_argument("--price-book", default=DEFAULT_PRICE_BOOK)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_models)

    q = sub.add_parser("quote", help="price one generation")
    q.add_argument("model")
    q.add_argument("--duration", type=int, required=True, metavar="S")
    q.add_argument("--resolution", default=None, metavar="R")
    q.add_argument("--price-book", default=DEFAULT_PRICE_BOOK)
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_quote)
