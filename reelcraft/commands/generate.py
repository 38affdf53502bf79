"""`reelcraft generate`: upload the image, generate, show progress, write the MP4."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from reelcraft.cli import EXIT_FAILED, exit_code_for, print_json
from reelcraft.commands.client import with_client
from shared.catalogue import shipped_catalogue
from shared.client import ServiceClient
from shared.errors import ErrorCode, ReelcraftError, human_message
from shared.schemas import Generation, GenerationRequest
from shared.states import JobState

POLL_S = 0.3


def _progress_line(g: Generation, started: float) -> str:
    pct = f"{g.progress:5.1f}%" if g.progress is not None else "   ..."
    sub = f" ({g.provider_status})" if g.provider_status else ""
    return f"\r{g.state.value:<11} {pct}{sub:<24} {time.monotonic() - started:6.1f} s"


async def _wait(client: ServiceClient, g: Generation, quiet: bool) -> Generation:
    started = time.monotonic()
    while not g.state.is_terminal:
        if not quiet:
            sys.stderr.write(_progress_line(g, started))
            sys.stderr.flush()
        await asyncio.sleep(POLL_S)
        g = await client.generation(g.id)
    if not quiet:
        sys.stderr.write(_progress_line(g, started) + "\n")
    return g


def _generate(args: argparse.Namespace) -> int:
    image = Path(args.image)
    if not image.is_file():
        raise ReelcraftError(ErrorCode.INVALID_INPUT, f"no image at {image}")
    book = shipped_catalogue().price_book(args.price_book)
    duration = args.duration or book.default_duration

    async def work(client: ServiceClient) -> int:
        uploaded = await client.upload_input_file(image)
        request = GenerationRequest(
            model=args.model,
            input_image_sha256=uploaded.sha256,
            character_name=args.character or image.stem.replace("_", " ").title(),
            prompt=args.prompt or "",
            duration_s=duration,
            resolution=args.resolution,
            aspect_ratio=args.aspect_ratio,
            seed=args.seed,
            price_book=args.price_book,
        )
        g = await client.create_generation(request)
        if args.no_wait:
            if args.json:
                print_json(g)
            else:
                sys.stdout.write(f"{g.id}\n")
            return 0
        try:
            g = await _wait(client, g, quiet=args.json)
        except KeyboardInterrupt:
            await client.cancel(g.id)
            raise
        written = None
        if g.state is JobState.READY and args.out:
            written = await client.download_video(g.id, Path(args.out))
        if args.json:
            print_json(g.model_dump(mode="json") | {"out": args.out, "bytes": written})
        elif g.state is JobState.READY:
            where = f" -> {args.out} ({written:,} bytes)" if args.out else ""
            sys.stdout.write(f"{g.id} ready: {g.credits_charged} credits{where}\n")
        if g.state is JobState.READY:
            return 0
        code = g.error_code or ErrorCode.INTERNAL
        sys.stderr.write(
            f"reelcraft: {code.value}: {g.error_message or human_message(code)}"
            f" (credits refunded)\n"
        )
        return exit_code_for(code) if code is ErrorCode.INVALID_INPUT else EXIT_FAILED

    return with_client(args, work)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("generate", help="generate a video from a character image")
    p.add_argument("--model", required=True)
    p.add_argument("--image", required=True, metavar="PATH")
    p.add_argument("--prompt", default="", metavar="TEXT")
    p.add_argument("--character", default=None, metavar="NAME")
    p.add_argument("--duration", type=int, default=None, metavar="S")
    p.add_argument("--resolution", default=None, metavar="R")
    p.add_argument("--aspect-ratio", default="9:16")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--price-book", default="default")
    p.add_argument("--out", default=None, metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-wait", action="store_true")
    p.set_defaults(handler=_generate)
