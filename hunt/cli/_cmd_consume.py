"""``hunt consume``: the analytics consumer (a durable JetStream pull consumer)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import orjson

from ._common import add_config_options, config_from_args, console, err_console


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "consume", help="keep the organiser's analytics (activity per minute, clue funnels) from the stream",
        description="A durable pull consumer on the relay's stream. Folds every hunt event into "
                    "<data_dir>/analytics.sqlite3, idempotently (each hunt's last applied seq is stored in the "
                    "same transaction). With --show HUNT: print a hunt's analytics and exit.")
    add_config_options(parser)
    parser.add_argument("--url", help="NATS url (default from config: broker.url)")
    parser.add_argument("--durable", help="durable consumer name (default from config: broker.consumer_durable)")
    parser.add_argument("--idle-exit", type=float, metavar="SECONDS",
                        help="exit once no message came for this long (default: run until Ctrl-C)")
    parser.add_argument("--show", metavar="HUNT", help="print the analytics of a hunt as JSON and exit")
    parser.set_defaults(func=_consume)


def _consume(args: argparse.Namespace) -> int:
    broker = {key: value for key, value in (("url", args.url), ("consumer_durable", args.durable)) if value}
    config = config_from_args(args, **({"broker": broker} if broker else {}))
    from ..relay import read_analytics, run_consumer

    if args.show:
        print(orjson.dumps(read_analytics(config.data_path, args.show), option=orjson.OPT_INDENT_2).decode())
        return 0
    if not config.broker.url:
        err_console.print("hunt consume: no broker: set broker.url (or HUNT_BROKER_URL, or --url)")
        return 2
    console.print(f"consuming {config.broker.stream} at {config.broker.url} as {config.broker.consumer_durable}")
    with contextlib.suppress(KeyboardInterrupt):
        stats = asyncio.run(run_consumer(config, idle_exit_s=args.idle_exit))
        console.print(f"applied {stats.applied:,}, skipped {stats.duplicates:,} duplicates, "
                      f"{stats.gaps:,} redelivered for order")
    return 0
