"""``hunt simulate``: N real websocket players against a running server, open loop.

Commands are scheduled at a fixed rate (optionally with periodic peaks) and latency is
measured from each command's scheduled time to its ack, so a slow server cannot hide its
queueing. Afterwards every acknowledged command is looked up in the hunt's event log through
the admin API: an ack that is not in the log is a lost event.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx
import trio

from ..clients.player import Pending, SimPlayer
from ..measure import Recorder
from ..workload import Op, Workload, hunt_definition

__all__ = ["GAME_CODES", "ClueTargets", "SimConfig", "hunt_targets", "simulate", "verify_acks"]

# Error codes that are the game saying no (a valid, expected outcome), not a failure.
GAME_CODES = frozenset({"rate_limited", "locked", "already_found", "no_more_hints", "wrong_kind",
                        "hunt_not_active", "banned", "unknown_clue"})
TICK_S = 0.002

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the report


@dataclass(frozen=True)
class SimConfig:
    url: str  # base URL of the server, e.g. http://127.0.0.1:8080
    admin_token: str | None
    hunt: str | None = None  # None: create a benchmark hunt through the admin API
    players: int = 100
    rate: float = 500.0  # commands per second (events, when batching)
    duration: float = 10.0
    peak_factor: float = 1.0  # e.g. 3: the rate triples ...
    peak_every_s: float = 10.0  # ... for peak_length_s out of every peak_every_s
    peak_length_s: float = 2.0
    batch: int = 1  # >1: pings go out in `batch` frames of this many
    drop_per_s: float = 0.0  # connections dropped (and resumed) per second
    connect_timeout_s: float = 60.0
    drain_timeout_s: float = 15.0
    seed: int = 1
    verify: bool = True  # look every ack up in the event log afterwards


@dataclass
class _Acked:
    player: str
    cmd: str
    seq: int


def _ws_url(base: str, hunt: str) -> str:
    scheme = "wss" if base.startswith("https") else "ws"
    return f"{scheme}://{base.split('://', 1)[1].rstrip('/')}/ws/hunts/{quote(hunt, safe='')}"


async def _create_hunt(client: httpx.AsyncClient, hunt: str) -> None:
    response = await client.post("/admin/hunts", json=hunt_definition(hunt))
    if response.status_code != 201:
        raise RuntimeError(f"cannot create hunt {hunt}: {response.status_code} {response.text}")
    response = await client.post(f"/admin/hunts/{hunt}/start", json={"id": f"{hunt}-start"})
    if response.status_code >= 300:
        raise RuntimeError(f"cannot start hunt {hunt}: {response.status_code} {response.text}")


@dataclass(frozen=True)
class ClueTargets:
    """The clue ids a workload's answers and hints go to (a real hunt's own, not the benchmark's)."""

    answers: tuple[str, ...]
    hints: tuple[str, ...]

    def retarget(self, op: Op) -> Op:
        """``op`` aimed at one of these clues (the benchmark's clue number picks which)."""
        ids = self.hints if op.kind == "hint" else self.answers
        if op.clue is None or not ids:
            return op
        return replace(op, clue=ids[int(op.clue.lstrip("c")) % len(ids)])


async def hunt_targets(client: httpx.AsyncClient, hunt: str) -> ClueTargets:
    """The answer clues and the clues with hints of a running hunt, from its public view."""
    response = await client.get(f"/hunts/{quote(hunt, safe='')}")
    if response.status_code != 200:
        raise RuntimeError(f"cannot read hunt {hunt}: {response.status_code} {response.text}")
    clues = response.json()["clues"]
    answers = tuple(c["id"] for c in clues if c["kind"] == "answer") or tuple(c["id"] for c in clues)
    hints = tuple(c["id"] for c in clues if c.get("hints")) or answers
    return ClueTargets(answers, hints)


def _frame(op: Op, cmd: str) -> dict[str, Any]:
    if op.kind == "answer":
        return {"op": "answer", "id": cmd, "clue": op.clue, "answer": op.answer}
    if op.kind == "hint":
        return {"op": "hint", "id": cmd, "clue": op.clue}
    return {"op": "ping", "id": cmd, "lat": round(op.lat, 6), "lon": round(op.lon, 6)}


async def simulate(config: SimConfig, report: Callable[[str], None]) -> dict[str, Any]:
    """Run the simulation; return a summary with latency, errors by code, and lost events."""
    headers = {"Authorization": f"Bearer {config.admin_token}"} if config.admin_token else {}
    async with httpx.AsyncClient(base_url=config.url, headers=headers, timeout=30) as client:
        hunt = config.hunt
        targets = None
        if hunt is None:
            hunt = f"sim-{int(time.time() * 1000)}"
            await _create_hunt(client, hunt)
            report(f"created and started hunt {hunt}")
        else:
            targets = await hunt_targets(client, hunt)  # answers and hints go to the hunt's own clues
        recorder = Recorder()
        codes: dict[str, int] = {}
        acked: list[_Acked] = []

        def on_reply(player: SimPlayer, pending: Pending, reply: dict[str, Any]) -> None:
            latency = trio.current_time() - pending.scheduled
            if reply["op"] == "ack":
                recorder.record("duplicate" if reply.get("duplicate") else "ack", latency)
                acked.append(_Acked(player.player or "", pending.frame["id"], reply["seq"]))
            else:
                code = reply.get("code", "?")
                codes[code] = codes.get(code, 0) + 1
                recorder.record("rejected" if code in GAME_CODES else f"error:{code}", latency)

        url = _ws_url(config.url, hunt)
        players = [SimPlayer(url, f"sim player {i}", on_reply) for i in range(config.players)]
        stop = trio.Event()
        rng = random.Random(config.seed)
        async with trio.open_nursery() as nursery:
            limiter = trio.CapacityLimiter(50)

            async def start(i: int, player: SimPlayer) -> None:
                async with limiter:
                    nursery.start_soon(lambda: player.run(team=None, stop=stop))
                    await player.connected.wait()

            with trio.move_on_after(config.connect_timeout_s) as connecting:
                async with trio.open_nursery() as starters:
                    for i, player in enumerate(players):
                        starters.start_soon(start, i, player)
            if connecting.cancelled_caught:
                stop.set()
                raise RuntimeError(f"players did not connect within {config.connect_timeout_s} s")
            report(f"{len(players)} players connected to {url}")

            started = trio.current_time()
            await _drive(config, players, recorder, nursery, rng, targets)
            sent_done = trio.current_time()
            with trio.move_on_after(config.drain_timeout_s):
                while recorder.completed < recorder.sent:
                    await trio.sleep(0.02)
            stop.set()
            nursery.cancel_scope.cancel()
        unanswered = recorder.sent - recorder.completed
        summary = recorder.summary(sent_done - started)
        summary.update(hunt=hunt, players=config.players, offered_per_s=config.rate, batch=config.batch,
                       unanswered=unanswered, codes=dict(sorted(codes.items())),
                       reconnects=sum(p.reconnects for p in players), pushes=sum(p.pushes for p in players))
        lost: list[_Acked] = []
        if config.verify:
            report(f"verifying {len(acked):,} acked commands against the event log")
            lost = await verify_acks(client, hunt, acked)
        summary["verified"] = config.verify
        summary["lost"] = len(lost)
        summary["lost_examples"] = [vars(a) for a in lost[:10]]
        return summary


async def _drive(config: SimConfig, players: list[SimPlayer], recorder: Recorder, nursery: trio.Nursery,
                 rng: random.Random, targets: ClueTargets | None = None) -> None:
    workload = Workload(["sim"], players=len(players), seed=config.seed)
    start = trio.current_time()
    end = start + config.duration
    sent = 0.0  # commands due so far (fractional)
    last = start
    next_drop = start + 1.0
    counter = 0
    while (now := trio.current_time()) < end:
        in_peak = config.peak_factor != 1.0 and (now - start) % config.peak_every_s < config.peak_length_s
        rate = config.rate * (config.peak_factor if in_peak else 1.0)
        sent += (now - last) * rate
        last = now
        due = int(sent) - recorder.sent
        if config.batch > 1:
            frames = due // config.batch
            for _ in range(frames):
                player = players[rng.randrange(len(players))]
                batch = []
                for _ in range(config.batch):
                    counter += 1
                    batch.append({"op": "ping", "id": f"s{config.seed}-{counter}",
                                  "lat": round(53.5441 + rng.uniform(-0.01, 0.01), 6),
                                  "lon": round(9.9667 + rng.uniform(-0.01, 0.01), 6)})
                recorder.sent += len(batch)
                nursery.start_soon(player.send_batch, batch, now)
        else:
            for op in workload.next_ops(max(0, due)):
                if targets is not None:
                    op = targets.retarget(op)
                counter += 1
                player = players[op.player % len(players)]
                recorder.sent += 1
                nursery.start_soon(player.send, _frame(op, f"s{config.seed}-{counter}"), now)
        if config.drop_per_s > 0 and now >= next_drop:
            next_drop += 1.0
            for _ in range(int(config.drop_per_s)):
                nursery.start_soon(players[rng.randrange(len(players))].drop)
        await trio.sleep(TICK_S)


async def verify_acks(client: httpx.AsyncClient, hunt: str, acked: list[Any]) -> list[Any]:
    """Every acked (player, cmd, seq) must be in the log at that seq; return the missing ones."""
    if not acked:
        return []
    after = min(a.seq for a in acked) - 1
    end = max(a.seq for a in acked)
    logged: dict[tuple[str, str], int] = {}
    while after < end:
        response = await client.get(f"/admin/hunts/{hunt}/events", params={"after": after, "limit": 1000})
        response.raise_for_status()
        page = response.json()
        for event in page["events"]:
            if event.get("cmd") is not None:
                logged[(event.get("player") or "", event["cmd"])] = event["seq"]
        if page.get("next_after") is None:
            break
        after = page["next_after"]
    return [a for a in acked if logged.get((a.player, a.cmd)) != a.seq]
