"""``hunt relay``: the outbox relay as a process of its own (or ``--status`` of the one running)."""

from __future__ import annotations

import argparse
import asyncio
import time

import orjson
from rich.table import Table

from ..config import Config
from ._common import add_config_options, config_from_args, console, err_console


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "relay", help="publish every committed event to NATS JetStream, exactly once (until Ctrl-C)",
        description="Runs the outbox relay outside the server: every hunt in the data dir, in order, once, to "
                    "the stream of [broker] (subjects hunt.<id>.events). Cursors are written only for hunts no "
                    "server holds; see docs/relay.md. With --status: print the lag the running relay "
                    "(standalone or the server's) last reported.")
    add_config_options(parser)
    parser.add_argument("--url", help="NATS url (default from config: broker.url)")
    parser.add_argument("--status", action="store_true", help="print the last status a relay wrote and exit")
    parser.add_argument("--json", action="store_true", help="with --status: print JSON")
    parser.set_defaults(func=_relay)


def _relay(args: argparse.Namespace) -> int:
    config = config_from_args(args, **({"broker": {"url": args.url}} if args.url else {}))
    if args.status:
        return _status(config, args.json)
    if not config.broker.url:
        err_console.print("hunt relay: no broker: set broker.url (or HUNT_BROKER_URL, or --url)")
        return 2
    from ..relay import run_standalone

    config.data_path.mkdir(parents=True, exist_ok=True)
    console.print(f"relaying {config.data_path} to {config.broker.url} (stream {config.broker.stream}); Ctrl-C stops")
    asyncio.run(run_standalone(config))
    return 0


def _status(config: Config, as_json: bool) -> int:
    from ..relay import read_relay_status

    stats = read_relay_status(config.data_path)
    if stats is None:
        err_console.print(f"no relay has run on {config.data_path}")
        return 1
    if as_json:
        print(orjson.dumps(stats.to_dict()).decode())
        return 0
    age = time.time() - stats.updated_ts
    console.print(f"relay {stats.state} ({stats.url}, stream {stats.stream}), reported {age:.1f} s ago; "
                  f"{stats.published:,} published, {stats.duplicates:,} duplicates, {stats.sessions} sessions, "
                  f"{stats.errors} errors" + (f" (last: {stats.last_error})" if stats.last_error else ""))
    table = Table(title="lag per hunt")
    for column in ("hunt", "committed", "published", "cursor", "events behind", "seconds behind"):
        table.add_column(column, justify="left" if column == "hunt" else "right")
    for lag in stats.hunts:
        table.add_row(lag.hunt, f"{lag.committed:,}", f"{lag.published:,}", f"{lag.cursor:,}",
                      f"{lag.lag_events:,}", f"{lag.lag_s:.3f}")
    console.print(table)
    return 0
