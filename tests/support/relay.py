"""Hunt files to relay, a writer that keeps appending, play to submit, and a reader of the stream.

The broker itself is :class:`hunt_lab.servers.nats.LocalNatsServer` (see conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats
import orjson
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from hunt.domain import (
    AnswerClue,
    CheckIn,
    Command,
    HuntCreated,
    JoinHunt,
    Pinged,
    PingLocation,
    PlayerJoined,
    Recorded,
    StartHunt,
    SubmitCode,
    TakeHint,
)
from hunt.store import SqliteHuntStore

from .hunts import CRANE, sample_hunt

STREAM = "HUNT_EVENTS"


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it is truthy (returned) or ``timeout`` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def run_async(fn: Callable[..., Any], *args: Any) -> Any:
    """Run an asyncio coroutine function to completion (the tests' side of nats-py)."""
    return asyncio.run(fn(*args))


# -- the stream ----------------------------------------------------------------------------


async def _stream_messages(url: str, stream: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    nc = await nats.connect(url, allow_reconnect=False, connect_timeout=2)
    try:
        js = nc.jetstream(timeout=5)
        try:
            total = (await js.stream_info(stream)).state.messages
        except nats.js.errors.NotFoundError:
            return []
        if total == 0:
            return []
        sub = await js.pull_subscribe(
            "hunt.*.events", stream=stream,
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL,
                                  inactive_threshold=30.0))
        found: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        for _ in range(total // 100 + 50):  # bounded: each fetch returns up to 1000
            if len(found) >= total:
                break
            try:
                batch = await sub.fetch(1000, timeout=2)
            except nats.errors.TimeoutError:
                continue
            found += [(m.subject, orjson.loads(m.data), dict(m.headers or {})) for m in batch]
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def stream_messages(url: str, stream: str = STREAM) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """Every message of the stream, in stream order: (subject, body, headers)."""
    return run_async(_stream_messages, url, stream)


def stream_count(url: str, stream: str = STREAM) -> int:
    async def count() -> int:
        nc = await nats.connect(url, allow_reconnect=False, connect_timeout=2)
        try:
            return int((await nc.jetstream(timeout=5).stream_info(stream)).state.messages)
        except nats.js.errors.NotFoundError:
            return 0
        finally:
            await nc.close()

    try:
        return run_async(count)
    except (OSError, nats.errors.Error):
        return -1


def assert_exactly_once_in_order(messages: list[tuple[str, dict[str, Any], dict[str, str]]],
                                 expected: dict[str, int]) -> None:
    """Each hunt's events 1..expected[hunt], each once, in seq order, ids and subjects right."""
    seqs: dict[str, list[int]] = {}
    for subject, body, headers in messages:
        hunt = body["hunt"]
        assert subject == f"hunt.{hunt}.events"
        assert headers.get("Nats-Msg-Id") == f"{hunt}:{body['seq']}"
        seqs.setdefault(hunt, []).append(body["seq"])
    assert set(seqs) == set(expected)
    for hunt, got in seqs.items():
        assert got == list(range(1, expected[hunt] + 1)), (
            f"{hunt}: {len(got)} messages for {expected[hunt]} events; first wrong at "
            f"{next((i for i, s in enumerate(got) if s != i + 1), None)}")


# -- hunt files ----------------------------------------------------------------------------


def create_hunt_file(data_dir: Path, hunt_id: str, events: int) -> None:
    """A hunt file holding ``events`` events (created, 10 joins, then pings), as a server writes it."""
    store = SqliteHuntStore.create(data_dir, hunt_id, synchronous="OFF")
    try:
        now = int(time.time() * 1000)
        records = [Recorded(1, now, HuntCreated(sample_hunt(hunt_id)))]
        for seq in range(2, min(events, 11) + 1):
            player = f"p{seq - 1}"
            records.append(Recorded(seq, now, PlayerJoined(player, f"Player {seq - 1}", None), f"j{seq}", "join"))
        store.append(records)
        append_pings(store, events - len(records))
    finally:
        store.close()


def append_pings(store: SqliteHuntStore, n: int, chunk: int = 5000) -> None:
    """Append ``n`` pings (by players p1..p10) in transactions of up to ``chunk`` events."""
    seq = store.last_seq()
    while n > 0:
        now = int(time.time() * 1000)
        take = min(n, chunk)
        store.append([Recorded(s, now, Pinged(f"p{s % 10 + 1}", 53.5 + s * 1e-7, 9.9), f"c{s}", f"p{s % 10 + 1}")
                      for s in range(seq + 1, seq + take + 1)])
        seq += take
        n -= take


class Writer(threading.Thread):
    """Keeps appending pings to hunts (holding their writer locks, like a server) until stopped."""

    def __init__(self, data_dir: Path, hunts: list[str], per_tick: int = 40, tick_s: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.stores = [SqliteHuntStore.open(data_dir, hunt, synchronous="OFF") for hunt in hunts]
        self.per_tick = per_tick
        self.tick_s = tick_s
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for store in self.stores:
                append_pings(store, self.per_tick)
            time.sleep(self.tick_s)

    def stop(self) -> dict[str, int]:
        """Stop, release the locks, and return each hunt's last seq."""
        self.halt.set()
        self.join(timeout=10)
        last = {store.path.stem: store.last_seq() for store in self.stores}
        for store in self.stores:
            store.close()
        return last


def last_seqs(data_dir: Path, hunts: list[str]) -> dict[str, int]:
    result = {}
    for hunt in hunts:
        reader = SqliteHuntStore.open_reader(data_dir, hunt)
        try:
            result[hunt] = reader.last_seq()
        finally:
            reader.close()
    return result


def relay_process(data_dir: Path, url: str, cwd: Path, **broker: Any) -> subprocess.Popen[bytes]:
    """``hunt relay`` as a subprocess, with [broker] settings from HUNT_BROKER_* variables."""
    env = {**os.environ, **{f"HUNT_BROKER_{key.upper()}": str(value) for key, value in broker.items()}}
    command = [sys.executable, "-c", "import sys; from hunt.cli import main; sys.exit(main())",
               "relay", "--data-dir", str(data_dir), "--url", url]
    with open(cwd / "relay.log", "ab") as log:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=log)


# -- play ----------------------------------------------------------------------------------

MARKET = (53.5457, 9.9497)


def joins_and_start(players: int) -> list[Command]:
    """Players p1..pN join, then the hunt starts."""
    return [*(JoinHunt(f"j{n}", f"Player {n}") for n in range(1, players + 1)), StartHunt("start")]


def random_play(rng: random.Random, players: int, n: int, prefix: str) -> list[Command]:
    """A seeded mix over the sample hunt: pings, right and wrong answers, check-ins, codes, hints."""
    commands: list[Command] = []
    for i in range(n):
        player, cmd = f"p{rng.randint(1, players)}", f"{prefix}{i}"
        kind = rng.choices(("ping", "answer", "checkin", "code", "hint"), (40, 25, 15, 10, 10))[0]
        if kind == "ping":
            commands.append(PingLocation(player, cmd, CRANE[0] + rng.uniform(-0.01, 0.01), CRANE[1]))
        elif kind == "answer":
            clue, right = rng.choice((("c1", "lighthouse"), ("c4", "bronze")))
            commands.append(AnswerClue(player, cmd, clue, right if rng.random() < 0.3 else f"guess {i}"))
        elif kind == "checkin":
            clue, (lat, lon) = rng.choice((("c2", CRANE), ("c5", MARKET)))
            near = rng.random() < 0.5
            commands.append(CheckIn(player, cmd, clue, lat if near else lat + 0.01, lon))
        elif kind == "code":
            clue, right = rng.choice((("c3", "X7K2"), ("c6", "ELB-1911")))
            commands.append(SubmitCode(player, cmd, clue, right if rng.random() < 0.4 else "NOPE"))
        else:
            commands.append(TakeHint(player, cmd, rng.choice(("c1", "c2", "c4", "c6"))))
    return commands
