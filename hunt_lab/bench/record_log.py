"""``hunt bench record-log``: what cluster mode's log of record costs on the ack path.

The standard workload (hunt_lab/workload.py) in process against the engine twice per round,
in the same run: over its plain SQLite files, and over the same files with every batch first
appended to the replicated log stream (``hunt.cluster.LoggedHuntStores``) on a local NATS
cluster with JetStream (3 servers on loopback, the stream R3; ``--servers 1``: one server, R1).
For each: max throughput (a closed loop keeps the mailbox's worth of commands in flight) and
open-loop ack latency at one fixed rate (default: half the plain engine's max of the round),
from the scheduled time to the durable ack. Each run has a fresh hunt (and a stream of its own);
the two engines take turns going first. Figures are medians of ``--repeat`` rounds, with the
logged run as a ratio of the plain one.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio

from hunt.cluster import LoggedHuntStores, open_record_log
from hunt.config import Config
from hunt.engine import Engine, open_engine
from hunt.store import SqliteHuntStores

from ..measure import median_of
from ..servers.nats import find_nats_server
from ..servers.nats_cluster import LocalNatsCluster
from ..workload import Workload
from .engine import EngineTarget, _max_throughput, open_loop

__all__ = ["run_record_log_benchmark"]


@asynccontextmanager
async def _engine(config: Config, url: str | None, run: int) -> AsyncIterator[Engine]:
    """The plain engine (``url`` None), or one whose commits go to the log stream first. Each
    run logs under a stream of its own, so no run sees another's hunts."""
    if url is None:
        async with open_engine(config) as engine:
            yield engine
        return
    settings = config.replace(cluster={"log_stream": f"BENCH_LOG_{run}",
                                       "log_subject_prefix": f"bench-log-{run}"}).cluster
    async with open_record_log(settings, url, name="bench") as record_log:
        files = SqliteHuntStores(config.data_path, synchronous=config.store.synchronous)
        stores = LoggedHuntStores(files, record_log, snapshot_every=config.store.snapshot_every)
        async with open_engine(config, stores=stores) as engine:
            yield engine


async def _measure(config: Config, url: str | None, run: int, players: int, seconds: float,
                   rate: float | None) -> dict[str, Any]:
    """Max throughput (``rate`` None), or open-loop latency at ``rate``, on a fresh hunt."""
    workload = Workload(["bench-0"], players=players, seed=run + 1)
    with tempfile.TemporaryDirectory(prefix="hunt-bench-log-") as tmp:
        cfg = config.replace(server={"data_dir": str(Path(tmp) / "data")})
        async with _engine(cfg, url, run) as engine:
            target = EngineTarget(engine)
            await target.setup(workload)
            if rate is None:
                return await _max_throughput(target, workload, seconds, config.engine.mailbox_capacity)
            return await open_loop(target, workload, rate, seconds)


async def run_record_log_benchmark(config: Config, *, players: int, seconds: float, repeat: int, servers: int,
                                   rate: float | None, report: Callable[[str], None]) -> dict[str, Any]:
    """Rounds of (plain, logged); returns medians and ratios (see the module docstring)."""
    binary = find_nats_server()
    if binary is None:
        raise RuntimeError("hunt bench record-log needs nats-server (apt-get install nats-server)")
    config = config.replace(cluster={"replicas": min(servers, 3)})
    runs: dict[str, list[dict[str, Any]]] = {"plain_max": [], "plain_open": [], "logged_max": [], "logged_open": []}
    with tempfile.TemporaryDirectory(prefix="hunt-bench-nats-") as folder:
        cluster = LocalNatsCluster(binary, Path(folder), size=servers)
        await trio.to_thread.run_sync(cluster.start)
        try:
            runs_done = 0
            for round_ in range(repeat):
                # Alternate who goes first, so that neither always meets a warmer or colder machine.
                kinds = [("plain", None), ("logged", cluster.url)][:: 1 if round_ % 2 == 0 else -1]
                for kind, url in kinds:
                    runs[f"{kind}_max"].append(await _measure(config, url, runs_done, players, seconds, None))
                    runs_done += 1
                offered = rate or max(100.0, runs["plain_max"][-1]["events_per_s"] / 2)  # the same for both
                for kind, url in kinds:
                    runs[f"{kind}_open"].append(await _measure(config, url, runs_done, players, seconds, offered))
                    runs_done += 1
                for kind in ("plain", "logged"):
                    top, open_ = runs[f"{kind}_max"][-1], runs[f"{kind}_open"][-1]
                    report(f"round {round_ + 1}/{repeat} {kind:<6}  max {top['events_per_s']:>8,.0f}/s   "
                           f"@ {open_['offered_per_s']:,.0f}/s p50 {open_['p50_ms']:.2f} ms "
                           f"p99 {open_['p99_ms']:.2f} ms   errors {open_['errors']}")
        finally:
            await trio.to_thread.run_sync(cluster.close)

    def ratio(key: str, field: str) -> float:
        base = median_of(runs[f"plain_{key}"], field)
        return round(median_of(runs[f"logged_{key}"], field) / base, 2) if base else float("nan")

    return {
        "workload": {"hunts": 1, "players": players, "seconds_per_run": seconds, "repeat": repeat,
                     "nats_servers": servers, "replicas": config.cluster.replicas,
                     "synchronous": config.store.synchronous},
        "plain_events_per_s": median_of(runs["plain_max"], "events_per_s"),
        "logged_events_per_s": median_of(runs["logged_max"], "events_per_s"),
        "throughput_ratio": ratio("max", "events_per_s"),
        "offered_per_s": median_of(runs["plain_open"], "offered_per_s"),
        "plain_p50_ms": median_of(runs["plain_open"], "p50_ms"),
        "plain_p99_ms": median_of(runs["plain_open"], "p99_ms"),
        "logged_p50_ms": median_of(runs["logged_open"], "p50_ms"),
        "logged_p99_ms": median_of(runs["logged_open"], "p99_ms"),
        "p50_ratio": ratio("open", "p50_ms"),
        "p99_ratio": ratio("open", "p99_ms"),
        "logged_errors": median_of(runs["logged_open"], "errors"),
        "runs": runs,
    }
