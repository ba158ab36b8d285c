"""Where the engine's microseconds go: its max-throughput loop alone, and a profile summary.

    py-spy record --gil -r 250 --format raw -o engine.raw -- python -m hunt_lab.bench.profile run
    python -m hunt_lab.bench.profile buckets engine.raw

``run`` drives one hunt of 1,000 players with the standard workload for ``--seconds`` (the
same closed loop as ``hunt bench engine``'s max throughput) and prints acks/s and CPU per
command. ``buckets`` sorts py-spy's samples (``--gil``: only the thread holding the GIL, so
the shares are shares of the interpreter's time) into the parts of the engine's path and
converts them to microseconds per command with the CPU figure of the run.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import trio

from hunt.config import load_config

from ..workload import Workload
from .engine import _max_throughput, _with_target

# (bucket, patterns of a frame): a sample goes to the first bucket one of its frames matches,
# looking from the innermost frame outwards.
BUCKETS = [
    ("dedup (Bloom filter, keys)", ["_dedup.py"]),
    ("rules: decide", ["_rules.py"]),
    ("rules: apply (state, leaderboard)", ["_state.py", "sortedlist.py"]),
    ("commit thread (rows, JSON, SQLite)", ["_start_commit.<locals>.append", "SqliteHuntStore.append", "_codec.py"]),
    ("actor: acks out", ["HuntActor._finish_inflight"]),
    ("actor: commit hand-off", ["HuntActor._start_commit"]),
    ("actor: decide loop (Ack, outcome)", ["HuntActor._decide_one", "HuntActor.handle"]),
    ("router, mailbox, replies", ["_router.py", "_reply.py", "_actor.py (/"]),
    ("load generator (the benchmark's client)", ["_max_throughput", "EngineTarget", "workload.py",
                                                  "Engine.submit_nowait"]),
]


async def _run(seconds: float) -> None:
    config = load_config(None, env={}, overrides={})
    workload = Workload(["bench-0"], players=1000, seed=1)
    with tempfile.TemporaryDirectory(prefix="hunt-profile-") as folder:
        result = await _with_target("engine", config, workload, Path(folder), lambda target: _max_throughput(
            target, workload, seconds, config.engine.mailbox_capacity))
    print(f"acks/s {result['events_per_s']:,.0f}  cpu_us_per_command {result['cpu_us_per_command']}")


def buckets(raw: Path) -> list[tuple[str, float]]:
    """Shares of py-spy's raw samples (``frame;frame;... count`` lines) by bucket, largest first."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or "importlib" in stack:  # start-up imports are not the engine's path
            continue
        bucket = next((name for frame in reversed(stack.split(";")) for name, patterns in BUCKETS
                       if any(pattern in frame for pattern in patterns)), "trio scheduler, I/O, other")
        counts[bucket] += int(number)
    total = sum(counts.values()) or 1
    return [(name, count / total) for name, count in counts.most_common()]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m hunt_lab.bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="the engine's max-throughput loop alone")
    run.add_argument("--seconds", type=float, default=10.0)
    summary = commands.add_parser("buckets", help="summarise a py-spy raw profile of `run`")
    summary.add_argument("raw", type=Path)
    summary.add_argument("--us", type=float, help="CPU µs per command of the profiled run (adds a µs column)")
    args = parser.parse_args()
    if args.command == "run":
        trio.run(_run, args.seconds)
        return
    for name, share in buckets(args.raw):
        micros = f"{share * args.us:6.1f} µs  " if args.us else ""
        print(f"{share:6.1%}  {micros}{name}")


if __name__ == "__main__":
    main()
