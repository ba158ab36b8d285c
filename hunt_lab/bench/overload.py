"""Overload, measured: open-loop phases around a peak at a multiple of measured capacity.

The harness is independent of the transport: it drives a ``send(index)`` coroutine that
submits one command and returns its :class:`Answer` (an ack, ``overloaded`` with its
``retry_after_ms``, or another code). :func:`measure_capacity` runs ``workers`` closed loops
to find the acks per second; :func:`offer` schedules commands open-loop (latency counts from
each command's *scheduled* time, so a slow server cannot hide its queueing) through
:class:`Phase` s such as 0.5x, 2x, 0.5x of that capacity; :func:`summarize` turns the answers
into the figures: per-phase p50/p99 of admitted commands, answers by code, unanswered
commands, and the recovery time after the peak.

:func:`engine_overload` runs it all in process against an engine (sampling every mailbox's
depth), the setting of tests/reliability/test_reliability_overload.py.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import trio

from actors import Overloaded
from hunt.config import Config, load_config
from hunt.domain import JoinHunt, PingLocation, StartHunt
from hunt.engine import Ack, open_engine

from ..faults.store import FaultPlan
from ..measure import percentile

__all__ = ["Answer", "Phase", "PhaseFigures", "engine_overload", "measure_capacity", "offer",
           "summarize"]

WINDOW_S = 0.1  # the recovery time is found in windows of this length


@dataclass(frozen=True, slots=True)
class Answer:
    code: str  # "ack", "overloaded" or another error code
    retry_after_ms: int | None = None
    began: float | None = None  # trio time the command left the client, if later than the call


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    factor: float  # times the measured capacity
    seconds: float


@dataclass(slots=True)
class _Sent:
    phase: str
    scheduled: float  # seconds since the run began
    latency: float = math.nan  # from the scheduled time to the answer; nan while unanswered
    service: float = math.nan  # from the moment the send began (the harness may lag behind schedule)
    answer: Answer | None = None


@dataclass
class PhaseFigures:
    name: str
    offered_per_s: float
    sent: int
    answers: dict[str, int]
    unanswered: int
    acks_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    service_p99_ms: float  # from the moment each send began: the server's share
    service_max_ms: float
    first_half_p99_ms: float  # a queue that grows without bound shows in the second half
    second_half_p99_ms: float
    retry_after_missing: int  # `overloaded` answers without a positive retry_after_ms


Send = Callable[[int], Awaitable[Answer]]


async def measure_capacity(send: Send, *, workers: int, seconds: float, window_s: float = 0.25,
                           retry_pause_s: float = 0.005) -> float:
    """Acks per second of ``workers`` closed loops (each sends its next command on an answer,
    or ``retry_pause_s`` after a refusal: with more workers than the mailbox holds, it stays full).

    The best ``window_s`` window counts (after a warm-up of one window): on a shared machine
    noise only ever slows a run down, so the best window is the closest to the true capacity.
    """
    acks: list[float] = []
    counter = [0]

    async def loop() -> None:
        while True:
            counter[0] += 1
            answer = await send(counter[0])
            if answer.code == "ack":
                acks.append(trio.current_time())
            else:
                await trio.sleep(retry_pause_s)

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for _ in range(workers):
            nursery.start_soon(loop)
        await trio.sleep(max(seconds, 3 * window_s))
        nursery.cancel_scope.cancel()
    windows = Counter(int((t - start) / window_s) for t in acks)
    windows.pop(0, None)
    windows.pop(max(windows, default=0), None)  # cut short by the end of the run
    return max(windows.values(), default=0) / window_s


async def offer(send: Send, phases: Sequence[Phase], capacity: float, *, drain_s: float = 10.0,
                max_in_flight: int = 50_000, first_index: int = 1_000_000) -> list[_Sent]:
    """Send open-loop at ``factor * capacity`` per phase; wait up to ``drain_s`` for late answers.

    Commands still in flight beyond ``max_in_flight`` are not sent (counted as unanswered), so
    a server that stops answering cannot make the harness grow without bound.
    """
    sent: list[_Sent] = []
    in_flight = 0
    start = trio.current_time()

    async def one(index: int, record: _Sent) -> None:
        nonlocal in_flight
        began = trio.current_time()
        try:
            record.answer = await send(index)
            record.latency = trio.current_time() - start - record.scheduled
            record.service = trio.current_time() - (record.answer.began or began)
        finally:
            in_flight -= 1

    async with trio.open_nursery() as nursery:
        begin = start
        for phase in phases:
            end = begin + phase.seconds
            rate = phase.factor * capacity
            issued = 0
            while (now := trio.current_time()) < end:
                due = int((now - begin) * rate) - issued
                for _ in range(due):
                    scheduled = begin + (issued + 1) / rate - start
                    issued += 1
                    record = _Sent(phase.name, scheduled)
                    sent.append(record)
                    if in_flight < max_in_flight:
                        in_flight += 1
                        nursery.start_soon(one, first_index + len(sent), record)
                await trio.sleep(0.001)
            begin = end
        with trio.move_on_after(drain_s):
            while in_flight:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    return sent


def summarize(sent: Sequence[_Sent], phases: Sequence[Phase], capacity: float) -> dict[str, Any]:
    """Figures per phase, and the recovery time after the peak (the phase with the largest factor).

    Recovery is how long after the peak ended the p99 latency of admitted commands (from their
    send: a backlog in the load generator is not the server's), in 100 ms windows, stays
    normal for half a second running; normal is at most twice the first phase's p99 and at
    least that plus 20 ms. ``None`` if it never did before the run ended.
    """
    figures = [_phase_figures([s for s in sent if s.phase == p.name], p, capacity) for p in phases]
    peak_index = max(range(len(phases)), key=lambda i: phases[i].factor)
    peak_end = sum(p.seconds for p in phases[:peak_index + 1])
    normal = figures[0].service_p99_ms
    threshold_ms = max(2 * normal, normal + 20) if not math.isnan(normal) else math.inf
    windows: dict[int, list[float]] = {}
    for s in sent:
        if s.scheduled >= peak_end and s.answer is not None and s.answer.code == "ack":
            windows.setdefault(int((s.scheduled - peak_end) / WINDOW_S), []).append(s.service * 1000)
    calm = [w for w, values in windows.items() if percentile(sorted(values), 99) <= threshold_ms]
    run = round(0.5 / WINDOW_S)
    recovery_s = next((w * WINDOW_S for w in sorted(calm) if all(w + k in calm for k in range(run))), None)
    return {"capacity_per_s": round(capacity, 1), "phases": [vars(f) for f in figures],
            "normal_p99_ms": normal, "recovery_threshold_ms": round(threshold_ms, 2),
            "recovery_s": None if recovery_s is None else round(recovery_s, 2),
            "unanswered": sum(f.unanswered for f in figures),
            "overloaded": sum(f.answers.get("overloaded", 0) for f in figures)}


def _phase_figures(sent: Sequence[_Sent], phase: Phase, capacity: float) -> PhaseFigures:
    answers = Counter(s.answer.code for s in sent if s.answer is not None)
    admitted = [s for s in sent if s.answer is not None and s.answer.code == "ack"]
    acked = sorted(s.latency * 1000 for s in admitted)
    service = sorted(s.service * 1000 for s in admitted)
    middle = (sent[0].scheduled + phase.seconds / 2) if sent else 0.0
    halves = (sorted(s.latency * 1000 for s in admitted if s.scheduled < middle),
              sorted(s.latency * 1000 for s in admitted if s.scheduled >= middle))
    missing = sum(1 for s in sent if s.answer is not None and s.answer.code == "overloaded"
                  and not (s.answer.retry_after_ms and s.answer.retry_after_ms > 0))
    return PhaseFigures(
        name=phase.name, offered_per_s=round(phase.factor * capacity, 1), sent=len(sent),
        answers=dict(sorted(answers.items())), unanswered=sum(1 for s in sent if s.answer is None),
        acks_per_s=round(len(acked) / phase.seconds, 1), p50_ms=round(percentile(acked, 50), 2),
        p99_ms=round(percentile(acked, 99), 2), max_ms=round(acked[-1], 2) if acked else math.nan,
        service_p99_ms=round(percentile(service, 99), 2), service_max_ms=round(service[-1], 2) if service else math.nan,
        first_half_p99_ms=round(percentile(halves[0], 99), 2), second_half_p99_ms=round(percentile(halves[1], 99), 2),
        retry_after_missing=missing)


@dataclass
class _Sampler:
    """Samples the mailbox depth of every actor and this process's RSS."""

    max_depth: int = 0
    over_capacity: int = 0  # samples where a mailbox held more than its capacity
    samples: int = 0
    peak_rss_mb: float = 0.0
    depths: list[int] = field(default_factory=list)

    async def run(self, engine: Any, interval: float = 0.002) -> None:
        process = psutil.Process()
        tick = 0
        while True:
            for actor in engine.statistics().router.actors:
                self.max_depth = max(self.max_depth, actor.mailbox_depth)
                self.over_capacity += actor.mailbox_depth > actor.mailbox_capacity
            self.samples += 1
            tick += 1
            if tick % 25 == 0:
                self.peak_rss_mb = max(self.peak_rss_mb, process.memory_info().rss / 2**20)
            await trio.sleep(interval)


async def engine_overload(data_dir: Path, *, engine: dict[str, Any], phases: Sequence[Phase],
                          capacity_s: float = 1.0, players: int = 200, commit_delay_s: float = 0.0,
                          report: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Measure capacity, then offer ``phases`` to an in-process engine (one hunt of pings).

    ``engine`` holds the [engine] settings (mailbox_capacity, max_batch, admission_timeout_ms);
    ``commit_delay_s`` > 0 runs it on a simulated slow disk (:meth:`FaultPlan.slow`).
    """
    return await _engine_overload(data_dir, engine, phases, capacity_s, players, commit_delay_s, report)


async def _engine_overload(data_dir: Path, engine: dict[str, Any], phases: Sequence[Phase], capacity_s: float,
                           players: int, commit_delay_s: float, report: Callable[[str], None]) -> dict[str, Any]:
    from ..workload import hunt_definition

    config: Config = load_config(None, env={}, overrides={
        "server": {"data_dir": str(data_dir)}, "store": {"synchronous": "FULL"}, "engine": engine})
    hunt = "overload"
    disk = FaultPlan()
    disk.slow(commit_delay_s)
    async with open_engine(config, stores=disk.stores(config)) as running:
        await running.create_hunt(hunt_definition(hunt, 3))
        await running.submit(hunt, [StartHunt(cmd="start")])
        joined = await running.submit(hunt, [JoinHunt(cmd=f"join-{i}", name=f"p{i}", team=None)
                                             for i in range(players)])
        ids = [r.fields["player"] for r in joined if isinstance(r, Ack)]

        async def send(index: int) -> Answer:
            command = PingLocation(ids[index % len(ids)], f"ping-{index}", 53.5441, 9.9667)
            try:
                [result] = await running.submit(hunt, [command])
            except Overloaded as err:
                return Answer("overloaded", err.retry_after_ms)
            except Exception as err:
                return Answer(type(err).__name__)
            return Answer("ack" if isinstance(result, Ack) else result.code)

        sampler = _Sampler()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sampler.run, running)
            workers = 4 * config.engine.mailbox_capacity  # a full mailbox, and more waiting
            capacity = await measure_capacity(send, workers=workers, seconds=capacity_s)
            report(f"capacity {capacity:,.0f} acks/s (closed loop, {workers} workers)")
            await trio.sleep(0.2)
            started = time.monotonic()
            sent = await offer(send, phases, capacity)
            report(f"offered {len(sent):,} commands in {time.monotonic() - started:.1f} s")
            nursery.cancel_scope.cancel()
        actor = running.statistics().router
    result = summarize(sent, phases, capacity)
    batches = sum(a.batches for a in actor.actors)
    handler_s = sum(a.handler_s for a in actor.actors)
    result.update(
        mailbox_capacity=config.engine.mailbox_capacity, max_batch=config.engine.max_batch,
        admission_timeout_ms=config.engine.admission_timeout_ms,
        max_mailbox_depth=sampler.max_depth, depth_samples=sampler.samples,
        samples_over_capacity=sampler.over_capacity, peak_rss_mb=round(sampler.peak_rss_mb, 1),
        mean_batch_ms=round(handler_s / batches * 1000, 3) if batches else math.nan,
        largest_batch=max((a.largest_batch for a in actor.actors), default=0))
    return result
