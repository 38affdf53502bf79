"""`reelcraft jobs list | show ID | cancel ID [--json]`."""

from __future__ import annotations

import argparse
import sys

from reelcraft.cli import print_json
from reelcraft.commands.client import with_client
from shared.client import ServiceClient
from shared.schemas import Generation
from shared.states import JobState


def describe(g: Generation) -> str:
    progress = f" {g.progress:.0f}%" if g.progress is not None and not g.state.is_terminal else ""
    error = f"  {g.error_code.value}: {g.error_message}" if g.error_code else ""
    return (
        f"{g.id}  {g.request.model:<18} {g.request.duration_s:>3} s  "
        f"{g.state.value}{progress}  {g.post_state.value}  "
        f"{g.credits_charged or g.credits_reserved} credits{error}"
    )


def _list(args: argparse.Namespace) -> int:
    async def work(client: ServiceClient) -> int:
        page = await client.generations(
            state=[JobState(s) for s in args.state] if args.state else None, limit=args.limit
        )
        if args.json:
            print_json(page)
        else:
            sys.stdout.write("".join(describe(g) + "\n" for g in page.items) or "no jobs\n")
        return 0

    return with_client(args, work)


def _show(args: argparse.Namespace) -> int:
    async def work(client: ServiceClient) -> int:
        generation = await client.generation(args.id)
        events = await client.timeline(args.id)
        if args.json:
            print_json(
                {
                    "generation": generation.model_dump(mode="json"),
                    "events": [e.model_dump(mode="json") for e in events],
                }
            )
            return 0
        lines = [describe(generation), ""]
        lines += [f"  {e.at:%H:%M:%S}  {e.to_state or e.kind:<12} {e.cause}" for e in events]
        sys.stdout.write("\n".join(lines) + "\n")
        return 0

    return with_client(args, work)


def _cancel(args: argparse.Namespace) -> int:
    async def work(client: ServiceClient) -> int:
        generation = await client.cancel(args.id)
        if args.json:
            print_json(generation)
        else:
            sys.stdout.write(describe(generation) + "\n")
        return 0

    return with_client(args, work)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs = sub.add_parser("jobs", help="list, inspect and cancel generations")
    actions = jobs.add_subparsers(dest="jobs_command", required=True)
    p = actions.add_parser("list")
    p.add_argument("--state", action="append", choices=[s.value for s in JobState])
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list)
    for name, handler in (("show", _show), ("cancel", _cancel)):
        p = actions.add_parser(name)
        p.add_argument("id")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=handler)
