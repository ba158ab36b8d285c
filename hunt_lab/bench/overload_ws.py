"""Overload over the wire: websocket players against a server with a small mailbox.

Each command is a ``ping`` frame on one of ``players`` connections, answered by an ``ack`` or
an ``error`` frame. Capacity is measured closed loop (one command in flight per connection),
then the phases are offered open loop (see :mod:`._overload`). Meanwhile the hunt's mailbox
depth is sampled (from the engine in process, or through the admin API) and the server's RSS
with psutil. :func:`bench_overload` runs it against a ``hunt serve`` child.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import psutil
import trio

from ..clients.admin import create_hunt
from ..clients.player import Pending, SimPlayer
from ..servers.process import ServerProcess
from .overload import Answer, Phase, measure_capacity, offer, summarize

__all__ = ["HELD_BACK", "WsCrowd", "admin_probe", "bench_overload", "engine_probe", "ws_phases"]


HELD_BACK = "held_back"  # a polite crowd's command that found every player busy or resting


@dataclass
class _Waiter:
    done: trio.Event = field(default_factory=trio.Event)
    answer: Answer | None = None


class WsCrowd:
    """Players that answer ``send(index)`` with the reply to one ping.

    Like phones, each player has at most one command in flight: ``send`` takes a free player
    (waiting for one if all are busy, a wait that counts in the latency from the scheduled time
    but not in the service time). A client that pipelines many commands on one socket queues
    them on itself (SimPlayer keeps within the window the server grants).

    By default the players ignore ``retry_after_ms`` (the worst case: they keep sending, and
    the server keeps refusing). A ``polite`` crowd honours it: a player told ``overloaded``
    sends nothing for that long, and a command due while every player is busy or resting is
    not sent at all (answered :data:`HELD_BACK`), as a phone told to wait would hold it.
    """

    def __init__(self, url: str, players: int, *, polite: bool = False) -> None:
        self.polite = polite  # a player told `overloaded` sends nothing for retry_after_ms
        self.members = [SimPlayer(url, f"player {i}", self._on_reply) for i in range(players)]
        self._waiters: dict[tuple[str, str], _Waiter] = {}
        self._free_send, self._free = trio.open_memory_channel[SimPlayer](players)
        for player in self.members:
            self._free_send.send_nowait(player)

    def _on_reply(self, player: SimPlayer, pending: Pending, reply: dict[str, Any]) -> None:
        waiter = self._waiters.pop((player.name, pending.frame["id"]), None)
        if waiter is not None:
            if reply.get("op") == "ack":
                waiter.answer = Answer("ack")
            else:
                waiter.answer = Answer(str(reply.get("code")), reply.get("retry_after_ms"))
            waiter.done.set()

    async def connect(self, nursery: trio.Nursery, stop: trio.Event, timeout: float = 60.0) -> None:
        self._nursery = nursery
        limiter = trio.CapacityLimiter(50)

        async def start(i: int, player: SimPlayer) -> None:
            async with limiter:
                nursery.start_soon(lambda: player.run(team=None, stop=stop))
                await player.connected.wait()

        with trio.fail_after(timeout):
            async with trio.open_nursery() as starters:
                for i, player in enumerate(self.members):
                    starters.start_soon(start, i, player)

    async def take(self) -> SimPlayer:
        """A player with no command in flight (its use must end with :meth:`give`)."""
        return await self._free.receive()

    def give(self, player: SimPlayer) -> None:
        self._free_send.send_nowait(player)

    async def send(self, index: int) -> Answer:
        if self.polite:
            try:
                player = self._free.receive_nowait()
            except trio.WouldBlock:  # every player is busy or resting: this command is not sent
                return Answer(HELD_BACK)
        else:
            player = await self.take()
        answer = None
        try:
            cmd = f"o{index}"
            waiter = self._waiters[(player.name, cmd)] = _Waiter()
            frame = {"op": "ping", "id": cmd, "lat": 53.5441, "lon": 9.9667}
            began = trio.current_time()
            await player.send(frame, began)
            await waiter.done.wait()
            answer = waiter.answer
            assert answer is not None
            return replace(answer, began=began)
        finally:
            if self.polite and answer is not None and answer.retry_after_ms:
                self._rest(player, answer.retry_after_ms / 1000)
            else:
                self.give(player)

    def _rest(self, player: SimPlayer, seconds: float) -> None:
        async def rest() -> None:
            await trio.sleep(seconds)
            self.give(player)

        self._nursery.start_soon(rest)


DepthProbe = Callable[[], Awaitable[tuple[int, int] | None]]  # (mailbox depth, capacity) of the hunt


@dataclass
class _ServerSampler:
    probe: DepthProbe
    pid: int
    max_depth: int = 0
    capacity: int = 0
    depth_samples: int = 0
    over_capacity: int = 0
    peak_rss_mb: float = 0.0

    async def run(self, interval: float = 0.01) -> None:
        process = psutil.Process(self.pid)
        while True:
            self.peak_rss_mb = max(self.peak_rss_mb, process.memory_info().rss / 2**20)
            depth = await self.probe()
            if depth is not None:
                self.max_depth = max(self.max_depth, depth[0])
                self.capacity = depth[1]
                self.over_capacity += depth[0] > depth[1]
                self.depth_samples += 1
            await trio.sleep(interval)


def engine_probe(engine: Any, hunt: str) -> DepthProbe:
    """The depth of a hunt's mailbox, read from an in-process engine's router."""

    async def probe() -> tuple[int, int] | None:
        for actor in engine.statistics().router.actors:
            if actor.key == hunt:
                return actor.mailbox_depth, actor.mailbox_capacity
        return None

    return probe


def admin_probe(http: httpx.AsyncClient, hunt: str) -> DepthProbe:
    """The depth of a hunt's mailbox, read through the admin API (``GET /admin/hunts/<id>``)."""

    async def probe() -> tuple[int, int] | None:
        response = await http.get(f"/admin/hunts/{hunt}")
        if response.status_code != 200:
            return None
        actor = response.json()["actor"]
        return actor["mailbox_depth"], actor["mailbox_capacity"]

    return probe


async def ws_phases(url: str, *, players: int, phases: Sequence[Phase], probe: DepthProbe, pid: int,
                    capacity_workers: int, capacity_s: float = 2.0, polite: bool = False,
                    report: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Connect ``players`` to a started hunt at ``url``, measure capacity, offer the phases.

    Capacity is measured with ``capacity_workers`` commands in flight: enough to keep the
    mailbox full, not so many that refusing them takes the processor from the actor.
    Samples the mailbox depth through ``probe`` and the RSS of the process ``pid`` meanwhile.
    """
    crowd = WsCrowd(url, players, polite=polite)
    stop = trio.Event()
    sampler = _ServerSampler(probe, pid)
    async with trio.open_nursery() as nursery:
        await crowd.connect(nursery, stop)
        joined_after = sum(p.reconnects for p in crowd.members)  # a join refused as overloaded retries
        rss_connected = psutil.Process(pid).memory_info().rss / 2**20
        report(f"{players} players connected; server RSS {rss_connected:.0f} MB")
        nursery.start_soon(sampler.run)
        capacity = await measure_capacity(crowd.send, workers=capacity_workers, seconds=capacity_s)
        report(f"capacity {capacity:,.0f} acks/s (closed loop, {capacity_workers} commands in flight)")
        await trio.sleep(0.3)
        started = time.monotonic()
        sent = await offer(crowd.send, phases, capacity)
        report(f"offered {len(sent):,} commands in {time.monotonic() - started:.1f} s")
        stop.set()
        nursery.cancel_scope.cancel()
    result = summarize(sent, phases, capacity)
    result.update(players=players, reconnects=sum(p.reconnects for p in crowd.members) - joined_after,
                  max_mailbox_depth=sampler.max_depth, mailbox_capacity=sampler.capacity,
                  depth_samples=sampler.depth_samples, samples_over_capacity=sampler.over_capacity,
                  rss_connected_mb=round(rss_connected, 1), peak_rss_mb=round(sampler.peak_rss_mb, 1))
    return result


async def bench_overload(data_dir: Path, log_dir: Path, *, mailbox: int, max_batch: int, admission_ms: int,
                         players: int, phases: Sequence[Phase], capacity_s: float = 2.0, polite: bool = False,
                         report: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """The phases against a fresh ``hunt serve`` child (synchronous=FULL) with a small mailbox."""
    env = {"HUNT_ENGINE_MAILBOX_CAPACITY": str(mailbox), "HUNT_ENGINE_ADMISSION_QUEUE": str(mailbox),
           "HUNT_ENGINE_MAX_BATCH": str(max_batch),
           "HUNT_ENGINE_ADMISSION_TIMEOUT_MS": str(admission_ms), "HUNT_STORE_SYNCHRONOUS": "FULL"}
    hunt = "overload"
    async with ServerProcess(data_dir, log_dir, env=env, fd_limit=players * 2 + 1024) as server:
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers, timeout=10) as http:
            await create_hunt(http, hunt, 3)
            result = await ws_phases(server.ws_url(hunt), players=players, phases=phases,
                                     probe=admin_probe(http, hunt), pid=server.pid, capacity_s=capacity_s,
                                     capacity_workers=2 * mailbox, polite=polite, report=report)
        result["rss_end_mb"] = round(server.rss_bytes() / 2**20, 1)
        result["graceful_stop"] = await server.stop()
    result.update(max_batch=max_batch, admission_timeout_ms=admission_ms, synchronous="FULL")
    return result
