"""``hunt bench engine``: the standard workload in process, against the seed's baseline."""

from __future__ import annotations

import argparse
import json
import math

import trio

from ._common import add_config_options, config_from_args, console, err_console


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks (engine in process; see also e2e)")
    kinds = bench.add_subparsers(title="benchmarks", metavar="BENCH", required=True)
    engine = kinds.add_parser(
        "engine", help="standard workload through router -> actor -> SQLite vs the seed's baseline",
        description="Runs the standard workload (DESIGN §8) in process against the engine and the seed's "
                    "baseline, in the same process and run: max throughput, then open-loop latency at half "
                    "the engine's max and at 80%% of the baseline's max. Prints medians of --repeat rounds.")
    add_config_options(engine)
    engine.add_argument("--hunts", type=int, default=1, help="hunts sharing the load (default 1; try 50)")
    engine.add_argument("--players", type=int, default=1000, help="players per hunt (default 1000)")
    engine.add_argument("--seconds", type=float, default=5.0, help="length of each measured run (default 5)")
    engine.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians (default 3)")
    engine.add_argument("--rate", type=float, help="open-loop rate for the latency run (default: half the max)")
    engine.add_argument("--synchronous", choices=["OFF", "NORMAL", "FULL", "EXTRA"],
                        help="SQLite synchronous mode (default from config: FULL)")
    engine.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    engine.set_defaults(func=_engine)


def _engine(args: argparse.Namespace) -> int:
    from ..bench.engine import run_benchmark

    extra = {"store": {"synchronous": args.synchronous}} if args.synchronous else {}
    config = config_from_args(args, **extra)
    if min(args.hunts, args.players, args.repeat) < 1 or args.seconds <= 0:
        err_console.print("hunt bench engine: --hunts, --players, --repeat and --seconds must be positive")
        return 2
    say = (lambda line: err_console.print(line, highlight=False)) if args.json else (
        lambda line: console.print(line, highlight=False))
    result = trio.run(lambda: run_benchmark(config, hunts=args.hunts, players=args.players, seconds=args.seconds,
                                            repeat=args.repeat, rate=args.rate, report=say))
    if args.json:
        print(json.dumps(result, allow_nan=True))
        return 0
    _table(result)
    return 0


def _table(r: dict) -> None:
    from rich.table import Table

    table = Table(title=f"hunt bench engine — medians of {r['workload']['repeat']} rounds, "
                        f"{r['workload']['cpus']} CPUs, synchronous={r['workload']['synchronous']}")
    table.add_column("figure")
    table.add_column("engine", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row("max throughput (acks/s)", f"{r['events_per_s']:,.0f}", f"{r['baseline_events_per_s']:,.0f}",
                  f"{r['throughput_ratio']}x")
    table.add_row(f"p50 / p99 at half max ({r['offered_half_per_s']:,.0f}/s)",
                  f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f} ms", "", "")
    reduction = r["p99_reduction"]
    table.add_row(f"p99 at baseline's load ({r['baseline_load_per_s']:,.0f}/s)",
                  f"{r['engine_p99_at_baseline_load_ms']:.2f} ms", f"{r['baseline_p99_ms']:.2f} ms",
                  "n/a" if math.isnan(reduction) else f"-{reduction:.1%}")
    table.add_row("peak RSS", f"{r['peak_rss_mb']:.0f} MB", "", "")
    console.print(table)
