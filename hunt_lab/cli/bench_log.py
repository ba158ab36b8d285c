"""``hunt bench record-log``: the cost of cluster mode's log of record on the ack path."""

from __future__ import annotations

import argparse
import json

import trio

from hunt.cli._common import add_config_options, config_from_args, console, err_console

from ._extra import needs_lab_extra


def register_bench_log(kinds: argparse._SubParsersAction) -> None:
    parser = kinds.add_parser(
        "record-log", help="the engine with and without the replicated log stream (cluster mode's log of record)",
        description="Runs the standard workload in process against the engine over its SQLite files, and over the "
                    "same files with every batch first appended to a replicated JetStream stream on a local NATS "
                    "cluster it starts (3 nats-server on loopback, R3), in the same run: max throughput, then "
                    "open-loop ack latency at the same rate for both. Prints medians of --repeat rounds and ratios.")
    add_config_options(parser)
    parser.add_argument("--players", type=int, default=1000, help="players (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured run (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians (default %(default)s)")
    parser.add_argument("--servers", type=int, choices=[1, 3], default=3,
                        help="nats-server processes: 3 (the stream R3) or 1 (R1) (default %(default)s)")
    parser.add_argument("--rate", type=float, help="open-loop rate for the latency runs (default: half the plain max)")
    parser.add_argument("--synchronous", choices=["OFF", "NORMAL", "FULL", "EXTRA"],
                        help="SQLite synchronous mode (default from config: FULL)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=needs_lab_extra(_record_log))


def _record_log(args: argparse.Namespace) -> int:
    from ..bench.record_log import run_record_log_benchmark

    extra = {"store": {"synchronous": args.synchronous}} if args.synchronous else {}
    config = config_from_args(args, **extra)
    if min(args.players, args.repeat) < 1 or args.seconds <= 0 or (args.rate is not None and args.rate <= 0):
        err_console.print("hunt bench record-log: --players, --repeat, --seconds and --rate must be positive")
        return 2
    out = err_console if args.json else console
    try:
        result = trio.run(lambda: run_record_log_benchmark(
            config, players=args.players, seconds=args.seconds, repeat=args.repeat, servers=args.servers,
            rate=args.rate, report=lambda line: out.print(line, highlight=False)))
    except RuntimeError as err:
        err_console.print(f"hunt bench record-log: {err}")
        return 1
    if args.json:
        print(json.dumps(result, allow_nan=True))
        return 0
    from rich.table import Table

    w = result["workload"]
    table = Table(title=f"hunt bench record-log — medians of {w['repeat']} rounds, {w['nats_servers']} NATS "
                        f"server(s), stream R{w['replicas']}, synchronous={w['synchronous']}")
    for column, justify in (("figure", "left"), ("plain", "right"), ("with the log", "right"), ("ratio", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row("max throughput (acks/s)", f"{result['plain_events_per_s']:,.0f}",
                  f"{result['logged_events_per_s']:,.0f}", f"{result['throughput_ratio']}x")
    table.add_row(f"p50 at {result['offered_per_s']:,.0f}/s", f"{result['plain_p50_ms']:.2f} ms",
                  f"{result['logged_p50_ms']:.2f} ms", f"{result['p50_ratio']}x")
    table.add_row(f"p99 at {result['offered_per_s']:,.0f}/s", f"{result['plain_p99_ms']:.2f} ms",
                  f"{result['logged_p99_ms']:.2f} ms", f"{result['p99_ratio']}x")
    console.print(table)
    return 0
