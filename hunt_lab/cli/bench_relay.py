"""``hunt bench-relay``: the outbox relay's figures (keep-up, drain, ack latency, bridge)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
from typing import Any

import trio

from hunt.cli._common import add_config_options, config_from_args, console, err_console

from ._extra import needs_lab_extra


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench-relay", help="benchmark the outbox relay against a real nats-server",
        description="Keep-up: events committed at --rate while the relay publishes them (lag sampled every "
                    "20 ms from the stream). Drain: how fast a backlog is published. Ack latency: the standard "
                    "workload's acks with the relay off, as a process, and as a thread. Bridge: a Trio -> "
                    "asyncio-thread round trip. Starts a throwaway nats-server unless --url is given. Figures are "
                    "medians of --repeat runs.")
    add_config_options(parser)
    parser.add_argument("--url", help="an existing NATS server (default: start a throwaway nats-server)")
    parser.add_argument("--rate", type=float, default=20_000, help="events/s committed in keep-up (default 20000)")
    parser.add_argument("--hunts", type=int, default=1, help="hunts sharing the keep-up load (default 1)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each keep-up run (default 10)")
    parser.add_argument("--backlog", type=int, default=200_000, help="events in the drain run (default 200000)")
    parser.add_argument("--ack-rate", type=float, default=4_000,
                        help="standard workload rate for the ack-latency runs (default 4000/s)")
    parser.add_argument("--ack-seconds", type=float, default=5.0, help="length of each ack-latency run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; figures are medians (default 3)")
    parser.add_argument("--skip", action="append", default=[], choices=["keep-up", "drain", "ack", "bridge"],
                        help="leave a measurement out (repeatable)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.set_defaults(func=needs_lab_extra(_bench))


def _bench(args: argparse.Namespace) -> int:
    from ..bench import relay as bench

    if min(args.rate, args.hunts, args.seconds, args.backlog, args.repeat, args.ack_rate) <= 0:
        err_console.print("hunt bench-relay: every number must be positive")
        return 2
    config = config_from_args(args)
    say = err_console.print if args.json else console.print
    result: dict[str, Any] = {"cpus": os.cpu_count(), "repeat": args.repeat, "batch": config.broker.batch,
                              "loadavg_before": os.getloadavg()[0]}
    try:
        with bench.local_broker(args.url) as url:
            if "bridge" not in args.skip:
                result["bridge"] = bench.bench_bridge()
                say(f"bridge: Trio -> asyncio thread -> Trio round trip {result['bridge']['round_trip_us']} µs")
            if "keep-up" not in args.skip:
                runs = []
                for i in range(args.repeat):
                    run = asyncio.run(bench.bench_keep_up(config, url, hunts=args.hunts, rate=args.rate,
                                                          seconds=args.seconds))
                    runs.append(run)
                    say(f"keep-up {i + 1}/{args.repeat}: offered {run['offered_per_s']:,.0f}/s, committed "
                        f"{run['produced_per_s']:,.0f}/s; lag p50 {run['lag_p50_s']} s, p99 {run['lag_p99_s']} s, "
                        f"max {run['lag_max_s']} s ({run['behind_max_events']:,} events); drained "
                        f"{run['drain_after_stop_s']} s after the last commit; relay CPU "
                        f"{run['relay_cpu_us_per_event']} µs/event ({run['relay_cpu_share']:.0%} of a core)")
                result["keep_up"] = _medians(runs) | {"runs": runs}
            if "drain" not in args.skip:
                runs = [asyncio.run(bench.bench_drain(config, url, hunts=args.hunts, backlog=args.backlog))
                        for _ in range(args.repeat)]
                for run in runs:
                    say(f"drain: {run['events']:,} events in {run['seconds']} s = {run['events_per_s']:,.0f}/s "
                        f"(relay CPU {run['relay_cpu_us_per_event']} µs/event)")
                result["drain"] = _medians(runs) | {"runs": runs}
            if "ack" not in args.skip:
                result["ack_latency"] = trio.run(lambda: bench.bench_ack_latency(
                    config, url, rate=args.ack_rate, seconds=args.ack_seconds, repeat=args.repeat, report=say))
    except RuntimeError as err:
        err_console.print(f"hunt bench-relay: {err}")
        return 2
    result["loadavg_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(result, allow_nan=True))
    else:
        _summary(result)
    return 0


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    return {key: statistics.median(run[key] for run in runs) for key in keys}


def _summary(r: dict[str, Any]) -> None:
    console.print(f"\n[bold]hunt bench-relay[/] — medians of {r['repeat']} runs, {r['cpus']} CPUs, "
                  f"broker.batch {r['batch']}, load average {r['loadavg_before']:.1f} before, "
                  f"{r['loadavg_after']:.1f} after (other work on the machine skews every figure)")
    if "keep_up" in r:
        k = r["keep_up"]
        console.print(f"  keep-up at {k['offered_per_s']:,.0f} events/s ({k['hunts']:.0f} hunts): lag p50 "
                      f"{k['lag_p50_s']} s, p99 {k['lag_p99_s']} s, max {k['lag_max_s']} s; drained "
                      f"{k['drain_after_stop_s']} s after the last commit; relay CPU {k['relay_cpu_us_per_event']} "
                      f"µs/event")
    if "drain" in r:
        d = r["drain"]
        console.print(f"  drain: {d['events_per_s']:,.0f} events/s")
    if "ack_latency" in r:
        a = r["ack_latency"]
        console.print(f"  ack p99 at {a['rate']:,.0f}/s: relay off {a['off_p99_ms']:.2f} ms, as a process "
                      f"{a['process_p99_ms']:.2f} ms ({a['process_p99_vs_off']:.2f}x), as a thread "
                      f"{a['thread_p99_ms']:.2f} ms ({a['thread_p99_vs_off']:.2f}x)")
    if "bridge" in r:
        console.print(f"  bridge round trip: {r['bridge']['round_trip_us']} µs per call")
