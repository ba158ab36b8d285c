"""``hunt bench overload | connections | storm | crash``: the reliability harnesses as commands.

Each starts its own ``hunt serve`` child on a throwaway data directory (kept with its logs
under ``--keep DIR`` if given), prints a summary (or one JSON object with ``--json``) and ends
every process it started. See docs/reliability.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from hunt.cli._common import console, err_console

from ._extra import needs_lab_extra

__all__ = ["register_bench"]


def register_bench(kinds: argparse._SubParsersAction) -> None:
    overload = kinds.add_parser(
        "overload", help="a hunt server at twice its measured capacity: refusals or waits, latency, memory, recovery",
        description="Starts `hunt serve` (synchronous=FULL) with a small mailbox, connects --players websocket "
                    "players, measures capacity closed loop, then offers 0.5x, --factor x and 0.5x of it open loop. "
                    "Reports answers by code, p50/p99 per phase (from each command's schedule, and from its send: "
                    "over websockets flow control keeps the excess waiting in the clients and TCP, so expect no "
                    "`overloaded` there and the difference in the first figure; --in-process, the engine refuses "
                    "it), the deepest mailbox seen (admin API), peak RSS and the recovery time after the peak. "
                    "Exit 1 if a promise broke (a command unanswered, a mailbox over capacity, an overloaded "
                    "error without retry_after_ms).")
    overload.add_argument("--players", type=int, default=600,
                          help="connections, one command in flight each (default %(default)s)")
    overload.add_argument("--mailbox", type=int, default=64, help="mailbox capacity (default %(default)s)")
    overload.add_argument("--max-batch", type=int, default=64, help="commands per group commit (default %(default)s)")
    overload.add_argument("--admission-ms", type=int, default=50, help="admission timeout (default %(default)s)")
    overload.add_argument("--factor", type=float, default=2.0, help="peak load, times capacity (default %(default)s)")
    overload.add_argument("--seconds", type=float, default=5.0, help="length of the peak (default %(default)s)")
    overload.add_argument("--polite", action="store_true",
                          help="players honour retry_after_ms: one told `overloaded` sends nothing for that long "
                               "(its next scheduled commands go to other players or wait for one)")
    overload.add_argument("--in-process", action="store_true",
                          help="drive an engine in this process instead (no websocket; the mailbox depth sampled "
                               "every 2 ms), the setting of the overload test")
    overload.add_argument("--commit-delay-ms", type=float, default=0.0,
                          help="with --in-process: a slow disk, each commit sleeps this long first (the test uses 5)")
    _common(overload, _overload)

    connections = kinds.add_parser(
        "connections", help="idle greeted player connections: server RSS per connection, how many fit in 1 GiB",
        description="Starts `hunt serve`, joins --count players, opens one websocket per player that says hello "
                    "with its token and then idles, and reads the server's RSS (psutil) before and after. Raises "
                    "the open-files limit of both processes as needed (up to the hard limit).")
    connections.add_argument("--count", type=int, default=10_000, help="connections (default %(default)s)")
    connections.add_argument("--wave", type=int, default=250, help="connections opened at once (default %(default)s)")
    _common(connections, _connections)

    storm = kinds.add_parser(
        "storm", help="everyone connects and joins at once (a hunt starts): join p50/p99, failures, CPU per join",
        description="Starts `hunt serve` with a started hunt, then opens --connections websockets whose arrivals "
                    "are spread evenly over --seconds (open loop); each joins and stays connected. Reports the "
                    "joins acked, failures by kind, join latency from the moment each was due (connect, "
                    "handshake, commit), the server's CPU per join and the kernel's listen-queue overflows; "
                    "then the same storm against the bare echo server on the same stack. "
                    "Exit 1 if any join failed.")
    storm.add_argument("--connections", type=int, default=3000, help="connections (default %(default)s)")
    storm.add_argument("--seconds", type=float, default=2.0, help="arrivals spread over (default %(default)s)")
    storm.add_argument("--no-echo", dest="echo", action="store_false",
                       help="skip the same storm against the bare echo server (the stack's floor)")
    storm.add_argument("--timeout", type=float, default=30.0,
                       help="a join slower than this fails (default %(default)s)")
    _common(storm, _storm)

    crash = kinds.add_parser(
        "crash", help="kill -9 the server under load, restart, and audit every ack against the log",
        description="Starts `hunt serve` (synchronous=FULL), lets --players websocket players play, SIGKILLs the "
                    "server --kills times at random moments and restarts it; players resend what was never "
                    "answered with the same ids. Then audits the log against every answer (each ack exactly once "
                    "at its seq, refused commands absent, seqs contiguous), the live state against a replay, and "
                    "runs `hunt verify`. Exit 1 if any promise broke.")
    crash.add_argument("--players", type=int, default=12, help="connections (default %(default)s)")
    crash.add_argument("--kills", type=int, default=3, help="SIGKILLs (default %(default)s)")
    crash.add_argument("--seed", type=int, default=1, help="random seed of the kill moments and commands")
    _common(crash, _crash)


def _common(parser: argparse.ArgumentParser, func: Callable[[argparse.Namespace], int]) -> None:
    parser.add_argument("--keep", metavar="DIR", help="keep the data directory and server logs in DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=needs_lab_extra(func))


def _run(args: argparse.Namespace, work: Callable[[Path, Path, Callable[[str], None]], Any]) -> dict[str, Any]:
    def say(line: str) -> None:
        (err_console if args.json else console).print(line, highlight=False)

    # The harnesses poll the admin API (the overload one every 10 ms): one log line per request
    # would drown the report.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
        return dict(trio.run(work, root / "data", root / "logs", say))
    root = Path(tempfile.mkdtemp(prefix="hunt-bench-"))
    try:
        return dict(trio.run(work, root / "data", root / "logs", say))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _print(args: argparse.Namespace, result: dict[str, Any], lines: list[str]) -> None:
    if args.json:
        print(json.dumps(result, default=str))
    else:
        console.print("\n".join(lines), highlight=False)


def _overload(args: argparse.Namespace) -> int:
    from ..bench.overload import Phase, engine_overload
    from ..bench.overload_ws import bench_overload

    if min(args.players, args.mailbox, args.max_batch, args.admission_ms) < 1 or args.factor <= 1 or args.seconds <= 0:
        err_console.print("hunt bench overload: sizes must be positive and --factor above 1")
        return 2
    phases = [Phase("before", 0.5, 3.0), Phase("peak", args.factor, args.seconds), Phase("after", 0.5, 5.0)]
    if args.in_process:
        settings = {"mailbox_capacity": args.mailbox, "max_batch": args.max_batch,
                    "admission_timeout_ms": args.admission_ms}
        result = _run(args, lambda data, logs, say: engine_overload(
            data, engine=settings, phases=phases, commit_delay_s=args.commit_delay_ms / 1000, report=say))
        result["in_process_commit_delay_ms"] = args.commit_delay_ms
    else:
        result = _run(args, lambda data, logs, say: bench_overload(
            data, logs, mailbox=args.mailbox, max_batch=args.max_batch, admission_ms=args.admission_ms,
            players=args.players, phases=phases, polite=args.polite, report=say))
    before, peak, after = result["phases"]
    broken = (result["unanswered"] or result["samples_over_capacity"]
              or any(p["retry_after_missing"] for p in result["phases"]))
    recovery = "never" if result["recovery_s"] is None else f"{result['recovery_s']:.1f} s"
    who = (f"an engine in process ({args.commit_delay_ms:g} ms commit delay)" if args.in_process
           else f"{result['players']} websocket players")
    memory = (f"  process RSS: peak {result['peak_rss_mb']:.0f} MB" if args.in_process else
              f"  server RSS: {result['rss_connected_mb']:.0f} MB connected, peak {result['peak_rss_mb']:.0f} MB, "
              f"end {result['rss_end_mb']:.0f} MB")
    _print(args, result, [
        f"hunt bench overload: {who}, mailbox {result['mailbox_capacity']}, max batch "
        f"{result['max_batch']}, admission {result['admission_timeout_ms']} ms, synchronous FULL",
        f"  capacity (closed loop, best 0.25 s): "
        f"{result['capacity_per_s']:,.0f} acks/s",
        *(f"  {p['name']:<6} offered {p['offered_per_s']:>7,.0f}/s  acked {p['acks_per_s']:>7,.0f}/s  "
          f"answers {p['answers']}  p50 {p['p50_ms']:.1f} ms  p99 {p['p99_ms']:.1f} ms  "
          f"(first/second half p99 {p['first_half_p99_ms']:.1f}/{p['second_half_p99_ms']:.1f} ms; "
          f"admitted, from their send: p99 {p['service_p99_ms']:.1f} ms)"
          for p in (before, peak, after)),
        f"  overloaded answers {result['overloaded']:,} (every one with retry_after_ms: "
        f"{not any(p['retry_after_missing'] for p in result['phases'])}); unanswered {result['unanswered']}",
        f"  deepest mailbox {result['max_mailbox_depth']} of {result['mailbox_capacity']} "
        f"({result['depth_samples']} samples, {result['samples_over_capacity']} over capacity)",
        memory,
        f"  recovery after the peak (admitted p99 back under {result['recovery_threshold_ms']:.0f} ms for 0.5 s): "
        f"{recovery}",
    ])
    return 1 if broken else 0


def _connections(args: argparse.Namespace) -> int:
    from ..bench.connections import bench_connections

    if args.count < 1 or args.wave < 1:
        err_console.print("hunt bench connections: --count and --wave must be positive")
        return 2
    result = _run(args, lambda data, logs, say: bench_connections(data, logs, count=args.count, wave=args.wave,
                                                                  report=say))
    _print(args, result, [
        f"hunt bench connections: {result['greeted']:,} of {result['count']:,} idle greeted connections "
        f"({result['failed']} failed; the server counts {result['server_open_connections']:,} open)",
        f"  server RSS {result['server_rss_baseline_mb']:.1f} MB before, {result['server_rss_loaded_mb']:.1f} MB "
        f"with them: {result['per_connection_kib']:.1f} KiB per connection",
        f"  fit in 1 GiB: {result['fit_in_1_gib']:,} connections; idle server CPU {result['server_idle_cpu_percent']}%",
        f"  opened in {result['connect_s']:.0f} s; client RSS {result['client_rss_mb']:.0f} MB",
    ])
    return 1 if result["failed"] else 0


def _storm(args: argparse.Namespace) -> int:
    from ..bench.storm import bench_storm

    if args.connections < 1 or args.seconds <= 0 or args.timeout <= 0:
        err_console.print("hunt bench storm: --connections, --seconds and --timeout must be positive")
        return 2
    result = _run(args, lambda data, logs, say: bench_storm(data, logs, connections=args.connections,
                                                            seconds=args.seconds, timeout=args.timeout,
                                                            echo=args.echo, report=say))
    failures = ", ".join(f"{kind} {n}" for kind, n in sorted(result["failures"].items())) or "none"
    _print(args, result, [
        f"hunt bench storm: {result['joined']:,} of {result['connections']:,} joined, arrivals over "
        f"{result['seconds']:g} s (failures: {failures})",
        f"  join p50 {result['join_p50_ms']:.0f} ms, p99 {result['join_p99_ms']:.0f} ms, max "
        f"{result['join_max_ms']} ms (from when each was due; the websocket handshake alone p50 "
        f"{result['handshake_p50_ms']:.0f} ms, p99 {result['handshake_p99_ms']:.0f} ms); last join "
        f"{result['storm_s']:.1f} s after the first",
        f"  server CPU {result['server_cpu_s']:.2f} s: {result['server_cpu_ms_per_join']:.2f} ms per join; "
        f"client CPU {result['client_cpu_s']:.2f} s; listen-queue overflows {result['listen_overflows']}",
        *([f"  the echo server (same stack, no engine), same storm: {result['echo']['joined']:,} joined, p50 "
           f"{result['echo']['join_p50_ms']:.0f} ms, p99 {result['echo']['join_p99_ms']:.0f} ms, "
           f"{result['echo']['server_cpu_ms_per_join']:.2f} ms CPU per join"] if "echo" in result else []),
    ])
    return 1 if result["failed"] else 0


def _crash(args: argparse.Namespace) -> int:
    from ..faults import CrashConfig, run_crash

    if args.players < 1 or args.kills < 1:
        err_console.print("hunt bench crash: --players and --kills must be positive")
        return 2
    result = _run(args, lambda data, logs, say: run_crash(
        CrashConfig(data_dir=data, log_dir=logs, players=args.players, kills=args.kills, seed=args.seed), say))
    problems = result["problems"]
    _print(args, result, [
        f"hunt bench crash: {len(result['kills'])} SIGKILLs in {result['seconds']} s, seed {result['seed']}",
        f"  {result['acked']:,} commands acked ({result['duplicate_acks']} as duplicates of a resend), "
        f"{result['events']:,} events in the log",
        f"  in flight at a kill: {result['in_doubt']} -> applied once {result['in_doubt_applied_once']}, "
        f"refused by the game {result['in_doubt_refused']}",
        f"  answers by code: {result['codes']}",
        "  every promise held" if not problems else "  BROKEN: " + "; ".join(problems),
    ])
    return 1 if problems else 0

