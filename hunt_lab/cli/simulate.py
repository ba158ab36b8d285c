"""``hunt simulate``: real websocket players against a running server, then a lost-event check."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import trio

from hunt.cli._common import console, err_console

from ._extra import needs_lab_extra


def register(subparsers: argparse._SubParsersAction) -> None:
    sim = subparsers.add_parser(
        "simulate", help="N websocket players against a running server; reports latency and lost events",
        description="Connects N real websocket players to a running server and sends the standard mix "
                    "(80% pings, 15% answers, 4% hints) open-loop at --rate commands/s, with optional peaks "
                    "and dropped connections that resume. Then checks through the admin API that every "
                    "acknowledged command is in the hunt's event log. Exit 1 if any acked event is missing "
                    "or any command got no answer.")
    sim.add_argument("--url", default="http://127.0.0.1:8080", help="server base URL (default %(default)s)")
    sim.add_argument("--hunt", help="hunt id (default: create and start a new benchmark hunt)")
    sim.add_argument("--players", type=int, default=100, help="connections (default %(default)s)")
    sim.add_argument("--rate", type=float, default=500, help="commands per second (default %(default)s)")
    sim.add_argument("--duration", type=float, default=10, help="seconds of load (default %(default)s)")
    sim.add_argument("--peak", metavar="FACTORxSECONDS/PERIOD",
                     help="bursts, e.g. 3x2/10: triple the rate for 2 s out of every 10 s")
    sim.add_argument("--batch", type=int, default=1, help="send pings in batch frames of this many")
    sim.add_argument("--drop", type=float, default=0.0, help="connections dropped (then resumed) per second")
    sim.add_argument("--admin-token", help="admin token (default: $HUNT_ADMIN_TOKEN or DATA_DIR/admin.token)")
    sim.add_argument("--data-dir", default="data", help="where to find admin.token (default %(default)s)")
    sim.add_argument("--json", action="store_true", help="print one JSON object")
    sim.set_defaults(func=needs_lab_extra(_simulate))


def parse_peak(text: str | None) -> tuple[float, float, float]:
    """'3x2/10' -> (3.0, 2.0, 10.0): factor, seconds in a peak, period. Raises ValueError."""
    if not text:
        return 1.0, 0.0, 10.0
    factor, _, rest = text.partition("x")
    length, _, period = rest.partition("/")
    values = float(factor), float(length or 2), float(period or 10)
    if values[0] <= 0 or not 0 < values[1] <= values[2]:
        raise ValueError(f"bad --peak {text!r}: want FACTORxSECONDS/PERIOD, e.g. 3x2/10")
    return values


def admin_token(explicit: str | None, data_dir: str) -> str | None:
    if explicit:
        return explicit
    if os.environ.get("HUNT_ADMIN_TOKEN"):
        return os.environ["HUNT_ADMIN_TOKEN"]
    path = Path(data_dir, "admin.token")
    return path.read_text().strip() if path.is_file() else None


def _simulate(args: argparse.Namespace) -> int:
    from ..sim import SimConfig, simulate

    try:
        factor, length, period = parse_peak(args.peak)
    except ValueError as err:
        err_console.print(f"hunt simulate: {err}")
        return 2
    if args.players < 1 or args.rate <= 0 or args.duration <= 0 or args.batch < 1:
        err_console.print("hunt simulate: --players, --rate, --duration and --batch must be positive")
        return 2
    config = SimConfig(url=args.url, admin_token=admin_token(args.admin_token, args.data_dir), hunt=args.hunt,
                       players=args.players, rate=args.rate, duration=args.duration, peak_factor=factor,
                       peak_length_s=length, peak_every_s=period, batch=args.batch, drop_per_s=args.drop)
    def say(line: str) -> None:
        err_console.print(line, highlight=False)

    try:
        result = trio.run(simulate, config, say)
    except (RuntimeError, OSError) as err:
        err_console.print(f"hunt simulate: {err}")
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        console.print(
            f"hunt {result['hunt']}: {result['players']} players, offered {result['offered_per_s']:,.0f}/s "
            f"for {result['seconds']} s\n"
            f"  acked {result['acked']:,} ({result['events_per_s']:,.0f}/s), rejected by the game "
            f"{result['rejected']:,}, errors {result['errors']:,}, unanswered {result['unanswered']:,}\n"
            f"  latency p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms  "
            f"p99.9 {result['p999_ms']:.1f} ms  max {result['max_ms']:.1f} ms\n"
            f"  replies by code: {result['codes'] or 'none'}; reconnects {result['reconnects']}\n"
            f"  lost events (acked but not in the log): {result['lost']}")
    return 1 if result["lost"] or result["unanswered"] else 0
