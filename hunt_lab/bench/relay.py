"""``hunt bench-relay``: does the relay keep up, what does it cost, and does it touch player acks?

Four measurements, each against a real nats-server (a throwaway local one unless ``--url``):

- keep-up: a producer thread commits events into hunt files at a fixed rate (open loop,
  20,000/s by default: more than the engine commits on this machine, so the relay is tested
  beyond what the server can feed it), while the relay process the server would start
  (``python -m hunt.relay``) publishes them. Every 20 ms the stream is asked how many events
  of each hunt it holds; lag = events committed but not stored, and the age of the oldest of
  them (commit times are the producer's). Also the relay's CPU per event.
- drain: a backlog of events, and how fast the relay empties it (its capacity).
- ack latency: the standard workload (hunt_lab.bench) open loop against the engine with the relay
  off, as the server's child process, and as an asyncio thread inside the engine's process
  (the design we did not take), in the same run; ack p50/p99 of each.
- bridge: the round trip of a Trio -> asyncio-thread call (what the thread design would pay
  per call), for the record.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import nats
import psutil
import trio
from nats.js.errors import NotFoundError

from hunt.config import Config
from hunt.domain import HuntCreated, Pinged, PlayerJoined, Recorded
from hunt.relay._process import child_config
from hunt.relay._relay import Relay
from hunt.relay._wire import SUBJECTS
from hunt.store import SqliteHuntStore

from ..servers.nats import LocalNatsServer, find_nats_server
from ..workload import hunt_definition

__all__ = ["bench_ack_latency", "bench_bridge", "bench_drain", "bench_keep_up", "local_broker"]

SAMPLE_S = 0.02
TICK_S = 0.005
PLAYERS = 100


@contextlib.contextmanager
def local_broker(url: str | None) -> Iterator[str]:
    """``url`` as given, or a throwaway nats-server for the duration of the block."""
    if url:
        yield url
        return
    binary = find_nats_server()
    if binary is None:
        raise RuntimeError("nats-server is not installed (apt-get install nats-server); or pass --url")
    with tempfile.TemporaryDirectory(prefix="hunt-bench-nats-") as tmp:
        server = LocalNatsServer(binary, Path(tmp, "js"), Path(tmp, "nats-server.log"))
        server.start()
        try:
            yield server.url
        finally:
            server.kill()


# -- hunt files ----------------------------------------------------------------------------


def _create_hunts(data_dir: Path, hunts: list[str]) -> list[SqliteHuntStore]:
    """Hunt files with a definition and PLAYERS joins; returns their writers (locks held)."""
    stores = []
    now = int(time.time() * 1000)
    for hunt in hunts:
        store = SqliteHuntStore.create(data_dir, hunt, synchronous="OFF")
        store.append([Recorded(1, now, HuntCreated(hunt_definition(hunt, 1))),
                      *(Recorded(n + 1, now, PlayerJoined(f"p{n}", f"Player {n}", None), f"j{n}", "join")
                        for n in range(1, PLAYERS + 1))])
        stores.append(store)
    return stores


def _append(store: SqliteHuntStore, first: int, n: int) -> None:
    now = int(time.time() * 1000)
    store.append([Recorded(seq, now, Pinged(f"p{seq % PLAYERS + 1}", 53.5441 + (seq % 997) * 1e-6, 9.9667),
                           f"b{seq}", f"p{seq % PLAYERS + 1}") for seq in range(first, first + n)])


class _Producer(threading.Thread):
    """Commits pings at ``rate`` events/s in total (open loop: behind schedule means bigger batches)."""

    def __init__(self, stores: list[SqliteHuntStore], rate: float, seconds: float) -> None:
        super().__init__(daemon=True)
        self.stores = stores
        self.rate = rate
        self.seconds = seconds
        self.next_seq = [store.last_seq() + 1 for store in stores]
        # per hunt: cumulative last seq after each commit, and when that commit returned
        self.commits: list[tuple[list[int], list[float]]] = [([s - 1], [time.monotonic()]) for s in self.next_seq]
        self.produced = 0

    def run(self) -> None:
        start = time.monotonic()
        turn = 0
        while (now := time.monotonic()) - start < self.seconds:
            due = int((now - start) * self.rate) - self.produced
            if due > 0:
                share, extra = divmod(due, len(self.stores))
                for i, store in enumerate(self.stores):
                    n = share + (1 if (i - turn) % len(self.stores) < extra else 0)
                    if n:
                        _append(store, self.next_seq[i], n)
                        # The sampler reads without a lock: next_seq, then seqs, then times;
                        # so write them in the opposite order.
                        self.commits[i][1].append(time.monotonic())
                        self.commits[i][0].append(self.next_seq[i] + n - 1)
                        self.next_seq[i] += n
                turn += extra
                self.produced += due
            time.sleep(TICK_S)

    def committed_at(self, hunt: int, seq: int) -> float | None:
        """When event ``seq`` of hunt number ``hunt`` was committed (None: not yet)."""
        seqs, times = self.commits[hunt]
        i = bisect.bisect_left(seqs, seq)
        return times[i] if i < len(seqs) else None


# -- the relay process ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _relay_running(config: Config, url: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, Any]]:
    """The relay process the server would start, and a JetStream context to watch the stream.

    On exit: the relay stopped (end of its stdin), the run's stream deleted (its subjects
    would overlap the next run's), the connection closed.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hunt.relay", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(child_config(config) + b"\n")
    reader = asyncio.create_task(_discard(process.stdout))
    nc = await nats.connect(url)
    try:
        yield process, nc.jetstream(timeout=5)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        reader.cancel()
        try:
            with contextlib.suppress(NotFoundError):
                await nc.jetstream(timeout=5).delete_stream(config.broker.stream)
        finally:
            await nc.close()


async def _discard(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


async def _stored(js: Any, stream: str) -> dict[str, int]:
    """Messages the stream holds per subject (none before the relay created it)."""
    try:
        info = await js.stream_info(stream, subjects_filter=SUBJECTS)
    except NotFoundError:
        return {}
    return dict(info.state.subjects or {})


async def _wait_stored(js: Any, stream: str, want: dict[str, int], timeout: float) -> float:
    """Seconds until the stream holds ``want`` (per subject); inf if it never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        stored = await _stored(js, stream)
        if all(stored.get(subject, 0) >= n for subject, n in want.items()):
            return time.monotonic() - start
        await asyncio.sleep(SAMPLE_S)
    return math.inf


# -- keep-up and drain ---------------------------------------------------------------------


async def bench_keep_up(config: Config, url: str, *, hunts: int, rate: float, seconds: float) -> dict[str, Any]:
    """Events committed at ``rate``/s for ``seconds`` while the relay publishes them."""
    names = [f"keep-{i}" for i in range(hunts)]
    with tempfile.TemporaryDirectory(prefix="hunt-bench-relay-") as tmp:
        cfg = config.replace(server={"data_dir": tmp}, broker={"url": url, "stream": f"BENCH_{time.time_ns()}"})
        stores = _create_hunts(Path(tmp), names)
        subjects = [f"hunt.{name}.events" for name in names]
        try:
            async with _relay_running(cfg, url) as (relay, js):
                ready = await _wait_stored(js, cfg.broker.stream, dict.fromkeys(subjects, PLAYERS + 1), 30)
                if math.isinf(ready):
                    raise RuntimeError("the relay did not start publishing within 30 s")
                cpu_before = _cpu(relay.pid)
                producer = _Producer(stores, rate, seconds)
                started = time.monotonic()
                producer.start()
                lags, behind = [], []
                while producer.is_alive():
                    stored = await _stored(js, cfg.broker.stream)
                    now = time.monotonic()
                    worst_s, worst_n = 0.0, 0
                    for i, subject in enumerate(subjects):
                        have = stored.get(subject, 0)
                        committed = producer.next_seq[i] - 1
                        at = producer.committed_at(i, have + 1) if committed > have else None
                        worst_s = max(worst_s, now - at if at is not None else 0.0)
                        worst_n = max(worst_n, committed - have)
                    lags.append(worst_s)
                    behind.append(worst_n)
                    await asyncio.sleep(SAMPLE_S)
                producer.join()
                stopped = time.monotonic()
                final = {subject: producer.next_seq[i] - 1 for i, subject in enumerate(subjects)}
                drain_s = await _wait_stored(js, cfg.broker.stream, final, 60)
                elapsed = time.monotonic() - started
                cpu = _cpu(relay.pid) - cpu_before
        finally:
            for store in stores:
                store.close()
    lags.sort()
    return {
        "hunts": hunts, "offered_per_s": rate, "seconds": seconds, "produced": producer.produced,
        "produced_per_s": round(producer.produced / (stopped - started), 1),
        "published_per_s": round(producer.produced / elapsed, 1),
        "lag_p50_s": round(_pct(lags, 50), 3), "lag_p99_s": round(_pct(lags, 99), 3),
        "lag_max_s": round(lags[-1], 3) if lags else math.nan, "behind_max_events": max(behind, default=0),
        "drain_after_stop_s": round(drain_s, 3),
        "relay_cpu_us_per_event": round(cpu / producer.produced * 1e6, 1) if producer.produced else math.nan,
        "relay_cpu_share": round(cpu / elapsed, 3),
        "samples": len(lags),
    }


async def bench_drain(config: Config, url: str, *, hunts: int, backlog: int) -> dict[str, Any]:
    """A backlog of ``backlog`` events over ``hunts`` hunts: how fast does the relay publish it?"""
    names = [f"drain-{i}" for i in range(hunts)]
    with tempfile.TemporaryDirectory(prefix="hunt-bench-relay-") as tmp:
        cfg = config.replace(server={"data_dir": tmp}, broker={"url": url, "stream": f"BENCH_{time.time_ns()}"})
        stores = _create_hunts(Path(tmp), names)
        want = {}
        for store, name in zip(stores, names, strict=True):
            for first in range(store.last_seq() + 1, store.last_seq() + backlog // hunts + 1, 10_000):
                _append(store, first, min(10_000, store.last_seq() + backlog // hunts + 1 - first))
            want[f"hunt.{name}.events"] = store.last_seq()
            store.close()
        total = sum(want.values())
        async with _relay_running(cfg, url) as (relay, js):
            if math.isinf(await _wait_stored(js, cfg.broker.stream, dict.fromkeys(want, 1), 30)):
                raise RuntimeError("the relay did not start publishing within 30 s")
            first = sum((await _stored(js, cfg.broker.stream)).values())  # the clock starts now
            took = await _wait_stored(js, cfg.broker.stream, want, 300)
            cpu = _cpu(relay.pid)
    return {"hunts": hunts, "events": total, "seconds": round(took, 3),
            "events_per_s": round((total - first) / took, 1), "relay_cpu_us_per_event": round(cpu / total * 1e6, 1)}


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    return values[max(0, min(len(values) - 1, math.ceil(q / 100 * len(values)) - 1))]


# -- ack latency with the relay off, as a process, as a thread -----------------------------


async def bench_ack_latency(config: Config, url: str, *, rate: float, seconds: float, repeat: int,
                            report: Callable[[str], None]) -> dict[str, Any]:
    """The standard workload's ack latency (open loop at ``rate``) with the relay off/process/thread."""
    from hunt.engine import open_engine
    from hunt.relay._embedded import run_relay

    from ..workload import Workload
    from .engine import EngineTarget, open_loop

    modes = ["off", "process", "thread"]
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    for round_ in range(repeat):
        order = modes[round_ % 3:] + modes[:round_ % 3]  # rotate, so drift does not favour one mode
        for mode in order:
            hunt = f"lat-{round_}-{mode}-{time.time_ns()}"
            workload = Workload([hunt], seed=round_ + 1)
            with tempfile.TemporaryDirectory(prefix="hunt-bench-relay-") as tmp:
                cfg = config.replace(server={"data_dir": tmp}, broker={"url": url})
                async with open_engine(cfg) as engine:
                    target = EngineTarget(engine)
                    await target.setup(workload)
                    async with trio.open_nursery() as nursery:
                        if mode == "process":
                            await nursery.start(run_relay, cfg, engine)
                        elif mode == "thread":
                            nursery.start_soon(_relay_in_a_thread, cfg)
                        await trio.sleep(1.0)  # let the relay publish the setup events first
                        result = await open_loop(target, workload, rate, seconds)
                        nursery.cancel_scope.cancel()
            runs[mode].append(result)
            report(f"  relay {mode:<8} @ {rate:,.0f}/s   p50 {result['p50_ms']:8.2f} ms   "
                   f"p99 {result['p99_ms']:8.2f} ms   errors {result['errors']}")
    summary: dict[str, Any] = {"rate": rate, "seconds": seconds, "repeat": repeat}
    for mode in modes:
        summary[f"{mode}_p50_ms"] = statistics.median(r["p50_ms"] for r in runs[mode])
        summary[f"{mode}_p99_ms"] = statistics.median(r["p99_ms"] for r in runs[mode])
        summary[f"{mode}_errors"] = sum(r["errors"] for r in runs[mode])
    for mode in ("process", "thread"):
        summary[f"{mode}_p99_vs_off"] = round(summary[f"{mode}_p99_ms"] / summary["off_p99_ms"], 3)
    summary["runs"] = runs
    return summary


async def _relay_in_a_thread(config: Config) -> None:
    """The relay as an asyncio loop in a helper thread of this process (for comparison only)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="relay-asyncio", daemon=True)
    thread.start()
    stop = asyncio.Event()

    async def relay_until_stopped() -> None:
        task = asyncio.create_task(Relay(config).run())
        await stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    future = asyncio.run_coroutine_threadsafe(relay_until_stopped(), loop)
    try:
        await trio.sleep_forever()
    finally:
        with trio.CancelScope(shield=True):
            loop.call_soon_threadsafe(stop.set)
            await trio.to_thread.run_sync(future.result, 10)
            loop.call_soon_threadsafe(loop.stop)
            await trio.to_thread.run_sync(thread.join, 10)
            loop.close()


# -- the bridge ----------------------------------------------------------------------------


def bench_bridge(calls: int = 20_000) -> dict[str, Any]:
    """Round trip of one Trio -> asyncio (helper thread) -> Trio call, in microseconds."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def noop() -> int:
        return 1

    async def main() -> float:
        token = trio.lowlevel.current_trio_token()
        start = time.perf_counter()
        for _ in range(calls):
            done = trio.Event()
            future = asyncio.run_coroutine_threadsafe(noop(), loop)
            future.add_done_callback(lambda _f, d=done: token.run_sync_soon(d.set))
            await done.wait()
        return (time.perf_counter() - start) / calls * 1e6

    try:
        round_trip_us = trio.run(main)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    return {"calls": calls, "round_trip_us": round(round_trip_us, 1)}
