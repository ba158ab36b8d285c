"""``hunt bench engine``: the standard workload through router -> actor -> SQLite, in process.

Two targets run the same seeded workload in the same process: the engine, and the seed's
baseline (per-event commit, aggregates on read). Each is measured in two ways:

- max throughput: a closed loop keeps a window of commands in flight; acks per second;
- open loop at a fixed rate: commands are scheduled at exact times and latency is measured
  from the *scheduled* time to the durable ack, so a stalled system cannot hide its queueing
  (no coordinated omission). A command refused with ``overloaded`` counts as an error.

1% of the operations are leaderboard reads (top 10), served from memory by the engine and by
a SQL aggregate by the baseline; reads are not counted as events.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from actors import ActorError, Overloaded
from hunt.config import Config
from hunt.domain import AnswerClue, Command, JoinHunt, PingLocation, Rejected, StartHunt, TakeHint
from hunt.engine import Ack, Engine, open_engine

from ..measure import Recorder, median_of, rss_sampler
from ..workload import Op, Workload, hunt_definition
from .baseline import Baseline
from .preload import copy_preloaded, preload_hunt

__all__ = ["EngineTarget", "open_loop", "run_benchmark"]

TICK_S = 0.002
READ_EVERY = 100
YIELD_EVERY = 64


def op_to_command(op: Op) -> Command:
    player = f"p{op.player + 1}"
    match op.kind:
        case "ping":
            return PingLocation(player, op.cmd, op.lat, op.lon)
        case "answer":
            return AnswerClue(player, op.cmd, op.clue or "", op.answer or "")
        case "hint":
            return TakeHint(player, op.cmd, op.clue or "")
        case _:
            return JoinHunt(op.cmd, f"Player {op.player + 1}")


class EngineTarget:
    name = "engine"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def setup(self, workload: Workload) -> None:
        for hunt in workload.hunts:
            await self.engine.create_hunt(hunt_definition(hunt, workload.clues))
            joins = [op_to_command(op) for op in workload.setup(hunt)]
            for start in range(0, len(joins), 200):
                await self.engine.submit(hunt, joins[start:start + 200])
            await self.engine.submit(hunt, [StartHunt("bench-start")])

    def send(self, op: Op, done: Callable[[str], None]) -> None:
        def settled(results: Any, error: BaseException | None) -> None:
            if error is not None:
                done(f"error:{type(error).__name__}")
                return
            result = results[0]
            if isinstance(result, Ack):
                done("duplicate" if result.duplicate else "ack")
            elif isinstance(result, Rejected):
                done("rejected" if result.code != "internal" else "error:internal")

        try:
            self.engine.submit_nowait(op.hunt, [op_to_command(op)], settled)
        except Overloaded:
            done("error:overloaded")
        except ActorError as err:
            done(f"error:{type(err).__name__}")

    async def read(self, hunt: str) -> None:
        await self.engine.view(hunt, ("top", 10), lambda state: state.top(10), repr_bytes)


class BaselineTarget:
    name = "baseline"

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline

    async def setup(self, workload: Workload) -> None:
        for hunt in workload.hunts:
            self.baseline.add_hunt(hunt, hunt_definition(hunt, workload.clues))
            for op in workload.setup(hunt):
                await trio.to_thread.run_sync(self.baseline._apply, op)

    def send(self, op: Op, done: Callable[[str], None]) -> None:
        try:
            self.baseline.send_nowait(op, lambda outcome, _: done(outcome))
        except trio.WouldBlock:
            done("error:overloaded")

    async def read(self, hunt: str) -> None:
        await self.baseline.leaderboard(hunt, 10)


def repr_bytes(value: Any) -> bytes:
    return repr(value).encode()


async def open_loop(target: Any, workload: Workload, rate: float, seconds: float) -> dict[str, Any]:
    """Send at exactly ``rate`` commands/s for ``seconds``; latency from the scheduled time."""
    recorder = Recorder()
    interval = 1 / rate
    async with trio.open_nursery() as nursery:
        start = trio.current_time()
        end = start + seconds
        index = 0
        while (now := trio.current_time()) < end:
            due = min(int((now - start) / interval) + 1, int(seconds * rate)) - index
            for op in workload.next_ops(due):
                scheduled = start + index * interval
                index += 1
                recorder.sent += 1
                target.send(op, lambda outcome, s=scheduled: recorder.record(outcome, trio.current_time() - s))
                if index % READ_EVERY == 0:
                    nursery.start_soon(target.read, op.hunt)
                if index % YIELD_EVERY == 0:
                    await trio.sleep(0)
            await trio.sleep(TICK_S)
        with trio.move_on_after(30):
            while recorder.completed < recorder.sent:
                await trio.sleep(0.01)
        elapsed = trio.current_time() - start
    summary = recorder.summary(min(elapsed, seconds) if recorder.completed == recorder.sent else elapsed)
    summary["offered_per_s"] = rate
    return summary


async def _max_throughput(target: Any, workload: Workload, seconds: float, window: int) -> dict[str, Any]:
    """Keep ``window`` commands in flight for ``seconds``; acks per second, and the process's CPU
    time per ack (every thread: the target, its commit threads and the load generator)."""
    recorder = Recorder()
    room = trio.Event()
    inflight = 0

    def done(outcome: str, sent_at: float) -> None:
        nonlocal inflight, room
        inflight -= 1
        recorder.record(outcome, trio.current_time() - sent_at)
        if inflight <= window // 2:
            room.set()

    start = trio.current_time()
    cpu_start = time.process_time()
    end = start + seconds
    while trio.current_time() < end:
        want = window - inflight
        if want > 0:
            now = trio.current_time()
            for op in workload.next_ops(want):
                inflight += 1
                recorder.sent += 1
                target.send(op, lambda outcome, s=now: done(outcome, s))
                if recorder.sent % READ_EVERY == 0:
                    await target.read(op.hunt)
                if recorder.sent % YIELD_EVERY == 0:
                    await trio.sleep(0)  # clients interleave with the server; don't starve the actor
        room = trio.Event()
        with trio.move_on_at(end):
            await room.wait()
    measured = trio.current_time() - start
    acked_in_window = recorder.outcomes["ack"] + recorder.outcomes["duplicate"]
    cpu_s = time.process_time() - cpu_start
    with trio.move_on_after(30):
        while inflight > 0:
            await trio.sleep(0.01)
    summary = recorder.summary(measured)
    summary["cpu_us_per_command"] = round(cpu_s * 1e6 / acked_in_window, 1) if acked_in_window else math.nan
    return summary


async def _with_target(kind: str, config: Config, workload: Workload, data_dir: Path,
                       body: Callable[[Any], Any], preloaded: Path | None = None) -> dict[str, Any]:
    if kind == "engine":
        cfg = config.replace(server={"data_dir": str(data_dir / "engine")})
        if preloaded is not None:  # set up already, and long
            copy_preloaded(preloaded, cfg)
        async with open_engine(cfg) as engine:
            target = EngineTarget(engine)
            if preloaded is None:
                await target.setup(workload)
            else:
                for hunt in workload.hunts:  # loaded, and its dedup filter built, before the clock starts
                    await engine.state(hunt)
                with trio.fail_after(300):
                    while not all(h.dedup_filter_ready for h in engine.statistics().hunts):
                        await trio.sleep(0.05)
            return await body(target)
    baseline = Baseline(data_dir / "baseline.sqlite3", config.engine.mailbox_capacity, config.store.synchronous)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(baseline.run)
            target = BaselineTarget(baseline)
            await target.setup(workload)
            result = await body(target)
            nursery.cancel_scope.cancel()
            return result
    finally:
        baseline.close()


async def _prepare_preloaded(config: Config, hunt_ids: list[str], players: int, events: int, folder: Path,
                             report: Callable[[str], None]) -> Path:
    """Hunts set up by the workload, then ``events`` more each, in ``folder``; returns the data dir."""
    data_dir = folder / "preloaded"
    workload = Workload(hunt_ids, players=players, seed=1)
    async with open_engine(config.replace(server={"data_dir": str(data_dir)})) as engine:
        await EngineTarget(engine).setup(workload)
    started = time.monotonic()
    for hunt in hunt_ids:
        await trio.to_thread.run_sync(preload_hunt, data_dir, hunt, events, players)
    report(f"preloaded {len(hunt_ids)} hunt(s) with {events:,} events each in {time.monotonic() - started:.0f} s")
    return data_dir


async def run_benchmark(config: Config, *, hunts: int, players: int, seconds: float, repeat: int,
                        rate: float | None, report: Callable[[str], None], preload: int = 0) -> dict[str, Any]:
    """Run the whole comparison; return the summary (see the module docstring).

    With ``preload``, each round also measures the engine's max throughput on hunts that
    already hold that many events (``preloaded_*`` keys), against the fresh ones of the round.
    """
    with tempfile.TemporaryDirectory(prefix="hunt-bench-preload-") as folder:
        template = (await _prepare_preloaded(config, [f"bench-{i}" for i in range(hunts)], players, preload,
                                             Path(folder), report)) if preload else None
        return await _run_rounds(config, hunts=hunts, players=players, seconds=seconds, repeat=repeat, rate=rate,
                                 report=report, preloaded=template, preload=preload)


async def _run_rounds(config: Config, *, hunts: int, players: int, seconds: float, repeat: int,
                      rate: float | None, report: Callable[[str], None], preloaded: Path | None,
                      preload: int) -> dict[str, Any]:
    hunt_ids = [f"bench-{i}" for i in range(hunts)]
    window = config.engine.mailbox_capacity
    runs: dict[str, list[dict[str, Any]]] = {"engine_max": [], "baseline_max": [], "engine_half": [],
                                              "engine_at_baseline_load": [], "baseline_at_baseline_load": [],
                                              "engine_preloaded_max": []}
    peak_rss = 0.0

    async def one(kind: str, mode: str, round_: int, offered: float | None = None,
                  template: Path | None = None) -> dict[str, Any]:
        nonlocal peak_rss
        workload = Workload(hunt_ids, players=players, seed=round_ + 1)
        with tempfile.TemporaryDirectory(prefix="hunt-bench-") as tmp:
            async with trio.open_nursery() as nursery:
                with rss_sampler(nursery) as rss:
                    if mode == "max":
                        result = await _with_target(kind, config, workload, Path(tmp),
                                                    lambda t: _max_throughput(t, workload, seconds, window),
                                                    template)
                    else:
                        assert offered is not None
                        result = await _with_target(kind, config, workload, Path(tmp),
                                                    lambda t: open_loop(t, workload, offered, seconds))
                nursery.cancel_scope.cancel()
        result["peak_rss_mb"] = rss["peak_rss_mb"]
        result["rss_growth_mb"] = round(rss["peak_rss_mb"] - rss["start_rss_mb"], 1)  # the run's own memory
        if kind == "engine" and template is None:
            peak_rss = max(peak_rss, rss["peak_rss_mb"])
        label = f"{kind} {mode}" + (f" @ {offered:,.0f}/s" if offered else "") + (" preloaded" if template else "")
        report(f"  {label:<32} acks/s {result['events_per_s']:>10,.0f}   p50 {result['p50_ms']:>8.2f} ms   "
               f"p99 {result['p99_ms']:>8.2f} ms   errors {result['errors']}")
        return result

    for round_ in range(repeat):
        report(f"round {round_ + 1}/{repeat}")
        runs["engine_max"].append(await one("engine", "max", round_))
        if preloaded is not None:
            runs["engine_preloaded_max"].append(await one("engine", "max", round_, template=preloaded))
        runs["baseline_max"].append(await one("baseline", "max", round_))
        engine_max = runs["engine_max"][-1]["events_per_s"]
        baseline_max = runs["baseline_max"][-1]["events_per_s"]
        half = rate or max(100.0, engine_max / 2)
        runs["engine_half"].append(await one("engine", "open", round_, half))
        load = max(50.0, 0.8 * baseline_max)
        runs["baseline_at_baseline_load"].append(await one("baseline", "open", round_, load))
        runs["engine_at_baseline_load"].append(await one("engine", "open", round_, load))

    events_per_s = median_of(runs["engine_max"], "events_per_s")
    baseline_events_per_s = median_of(runs["baseline_max"], "events_per_s")
    baseline_p99 = median_of(runs["baseline_at_baseline_load"], "p99_ms")
    engine_p99_same_load = median_of(runs["engine_at_baseline_load"], "p99_ms")
    return {
        "workload": {"hunts": hunts, "players_per_hunt": players, "clues": 20, "seconds_per_run": seconds,
                     "repeat": repeat, "mix": "80% ping, 15% answer (1/3 correct), 4% hint, 1% join; 1% reads",
                     "synchronous": config.store.synchronous, "cpus": _cpus()},
        "events_per_s": events_per_s,
        "offered_half_per_s": median_of(runs["engine_half"], "offered_per_s"),
        "p50_ms": median_of(runs["engine_half"], "p50_ms"),
        "p99_ms": median_of(runs["engine_half"], "p99_ms"),
        "errors_at_half": median_of(runs["engine_half"], "errors"),
        "peak_rss_mb": peak_rss,
        "baseline_events_per_s": baseline_events_per_s,
        "baseline_load_per_s": median_of(runs["baseline_at_baseline_load"], "offered_per_s"),
        "baseline_p99_ms": baseline_p99,
        "engine_p99_at_baseline_load_ms": engine_p99_same_load,
        "throughput_ratio": round(events_per_s / baseline_events_per_s, 2) if baseline_events_per_s else math.nan,
        "p99_reduction": round(1 - engine_p99_same_load / baseline_p99, 4) if baseline_p99 else math.nan,
        "cpu_us_per_command": median_of(runs["engine_max"], "cpu_us_per_command"),
        "baseline_cpu_us_per_command": median_of(runs["baseline_max"], "cpu_us_per_command"),
        "rss_growth_mb": median_of(runs["engine_max"], "rss_growth_mb"),
        **(_preloaded_summary(runs, preload) if preload else {}),
        "runs": runs,
    }


def _preloaded_summary(runs: dict[str, list[dict[str, Any]]], preload: int) -> dict[str, Any]:
    """The preloaded rounds against the fresh ones of the same rounds."""
    ratios = [long["events_per_s"] / fresh["events_per_s"]
              for long, fresh in zip(runs["engine_preloaded_max"], runs["engine_max"], strict=True)
              if fresh["events_per_s"]]
    return {
        "preload_events": preload,
        "preloaded_events_per_s": median_of(runs["engine_preloaded_max"], "events_per_s"),
        "preloaded_p99_ms": median_of(runs["engine_preloaded_max"], "p99_ms"),
        "preloaded_ratio": round(median_of([{"r": r} for r in ratios], "r"), 3) if ratios else math.nan,
        "preloaded_cpu_us_per_command": median_of(runs["engine_preloaded_max"], "cpu_us_per_command"),
        "preloaded_rss_growth_mb": median_of(runs["engine_preloaded_max"], "rss_growth_mb"),
        "preloaded_peak_rss_mb": max(run["peak_rss_mb"] for run in runs["engine_preloaded_max"]),
    }


def _cpus() -> int:
    return os.cpu_count() or 0
