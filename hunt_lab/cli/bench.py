"""``hunt bench engine``: the standard workload in process, against the seed's baseline."""

from __future__ import annotations

import argparse
import json
import math

import trio

from hunt.cli._common import add_config_options, config_from_args, console, err_console

from ._extra import needs_lab_extra
from .bench_cluster import register_cluster
from .bench_log import register_bench_log
from .bench_reliability import register_bench


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks (engine in process; see also e2e)")
    kinds = bench.add_subparsers(title="benchmarks", metavar="BENCH", required=True)
    engine = kinds.add_parser(
        "engine", help="standard workload through router -> actor -> SQLite vs the seed's baseline",
        description="Runs the standard workload (hunt_lab/workload.py) in process against the engine and the seed's "
                    "baseline, in the same process and run: max throughput, then open-loop latency at half "
                    "the engine's max and at 80% of the baseline's max. Prints medians of --repeat rounds.")
    add_config_options(engine)
    engine.add_argument("--hunts", type=int, default=1, help="hunts sharing the load (default 1; try 50)")
    engine.add_argument("--players", type=int, default=1000, help="players per hunt (default 1000)")
    engine.add_argument("--seconds", type=float, default=5.0, help="length of each measured run (default 5)")
    engine.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians (default 3)")
    engine.add_argument("--rate", type=float, help="open-loop rate for the latency run (default: half the max)")
    engine.add_argument("--synchronous", choices=["OFF", "NORMAL", "FULL", "EXTRA"],
                        help="SQLite synchronous mode (default from config: FULL)")
    engine.add_argument("--preload", type=int, default=0, metavar="N",
                        help="also measure hunts that already hold N events each (e.g. 2000000), against "
                             "the fresh ones of the same round (default 0: fresh hunts only)")
    engine.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    engine.set_defaults(func=needs_lab_extra(_engine))

    e2e = kinds.add_parser(
        "e2e", help="hunt server vs a bare echo server on the same stack, same client, same run",
        description="Starts `hunt serve` and then a bare echo websocket server (same stack) as subprocesses, "
                    "drives both with the same simulated players at rising rates, and reports the hunt "
                    "server's best ack rate as a fraction of the echo ceiling. Writes a markdown table and a "
                    "PNG plot of latency against throughput.")
    e2e.add_argument("--rates", default="1000,2500,5000,10000,20000",
                     help="comma-separated offered rates, events/s (default %(default)s)")
    e2e.add_argument("--players", type=int, default=1000, help="connections (default %(default)s)")
    e2e.add_argument("--seconds", type=float, default=5.0, help="seconds per rate (default %(default)s)")
    e2e.add_argument("--batch", type=int, default=1, help="pings per batch frame (e.g. 50); 1 = the standard mix")
    e2e.add_argument("--latency-rate", type=float, default=5000,
                     help="report p50/p99 at the offered rate closest to this (default %(default)s)")
    e2e.add_argument("--slo-ms", type=float, default=1000.0,
                     help="a rate counts as sustained if its p99 stays within this (default %(default)s)")
    e2e.add_argument("--workers", default="1",
                     help="comma-separated `hunt serve --workers` counts to run in turn, e.g. 1,2 (default 1); "
                          "with 1 and N the report has CPU per command by role and a projection")
    e2e.add_argument("--out", default="bench-results", help="directory for the table and plot (default %(default)s)")
    e2e.add_argument("--json", action="store_true", help="print one JSON object")
    e2e.set_defaults(func=needs_lab_extra(_e2e))
    register_bench(kinds)  # overload, connections, crash
    register_cluster(kinds)  # failover
    register_bench_log(kinds)  # record-log


def _engine(args: argparse.Namespace) -> int:
    from ..bench.engine import run_benchmark

    extra = {"store": {"synchronous": args.synchronous}} if args.synchronous else {}
    config = config_from_args(args, **extra)
    if min(args.hunts, args.players, args.repeat) < 1 or args.seconds <= 0 or args.preload < 0:
        err_console.print("hunt bench engine: --hunts, --players, --repeat and --seconds must be positive, "
                          "--preload not negative")
        return 2
    say = (lambda line: err_console.print(line, highlight=False)) if args.json else (
        lambda line: console.print(line, highlight=False))
    result = trio.run(lambda: run_benchmark(config, hunts=args.hunts, players=args.players, seconds=args.seconds,
                                            repeat=args.repeat, rate=args.rate, report=say, preload=args.preload))
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
    table.add_row("CPU per command (process CPU / acks)", f"{r['cpu_us_per_command']:.1f} µs",
                  f"{r['baseline_cpu_us_per_command']:.1f} µs", "")
    table.add_row("peak RSS (growth during the run)", f"{r['peak_rss_mb']:.0f} MB ({r['rss_growth_mb']:+.0f})", "", "")
    if "preload_events" in r:
        table.add_row(f"max throughput, hunts preloaded with {r['preload_events']:,} events",
                      f"{r['preloaded_events_per_s']:,.0f}", "", f"{r['preloaded_ratio']}x fresh")
        table.add_row("peak RSS preloaded (growth during the run)",
                      f"{r['preloaded_peak_rss_mb']:.0f} MB ({r['preloaded_rss_growth_mb']:+.0f})", "", "")
    console.print(table)


def _e2e(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..bench.e2e import markdown, run_e2e

    try:
        rates = sorted(float(r) for r in args.rates.split(","))
    except ValueError:
        err_console.print(f"hunt bench e2e: --rates must be numbers separated by commas, got {args.rates!r}")
        return 2
    try:
        workers = tuple(int(w) for w in args.workers.split(","))
    except ValueError:
        err_console.print(f"hunt bench e2e: --workers must be counts separated by commas, got {args.workers!r}")
        return 2
    if not workers or min(workers) < 1:
        err_console.print("hunt bench e2e: --workers counts must be at least 1")
        return 2
    if not rates or min(rates) <= 0 or args.players < 1 or args.batch < 1 or args.seconds <= 0:
        err_console.print("hunt bench e2e: rates, --players, --batch and --seconds must be positive")
        return 2

    def say(line: str) -> None:
        (err_console if args.json else console).print(line, highlight=False)

    result = run_e2e(rates=rates, players=args.players, seconds=args.seconds, batch=args.batch,
                     latency_rate=args.latency_rate, out_dir=Path(args.out), report=say, slo_ms=args.slo_ms,
                     workers=workers)
    if args.json:
        print(json.dumps(result))
    else:
        console.print(markdown(result), highlight=False)
        console.print(f"table: {result['table']}" + (f"\nplot: {result['plot']}" if result["plot"] else
                                                       "\nplot: skipped (pip install matplotlib)"))
    return 1 if result["lost"] else 0
