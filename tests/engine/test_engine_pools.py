"""Commits never wait behind reads, history replays or imports: each kind has its own threads."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import trio

from hunt.domain import AdjustScore, JoinHunt, PingLocation, StartHunt
from hunt.engine import Ack, Engine
from hunt.store import InvalidImport
from tests.support.engine import OpenHunt
from tests.support.hunts import HARBOR, HUNT_ID

OTHER = "other"


async def open_other_hunt(engine: Engine) -> None:
    document = copy.deepcopy(HARBOR)
    document["id"] = OTHER
    await engine.create_hunt(document)
    await engine.submit(OTHER, [JoinHunt("join-1", "Ann"), StartHunt("start")])


async def slowest_ack(engine: Engine, count: int) -> float:
    """Pings on the other hunt one after the other; the longest wait for a durable ack (s)."""
    slowest = 0.0
    for n in range(count):
        started = trio.current_time()
        [ack] = await engine.submit(OTHER, [PingLocation("p1", f"probe{n}", 1.0, 2.0)])
        assert isinstance(ack, Ack)
        slowest = max(slowest, trio.current_time() - started)
        await trio.sleep(0.01)
    return slowest


async def test_forty_history_replays_do_not_hold_back_another_hunts_acks(open_hunt: OpenHunt) -> None:
    settings: dict[str, Any] = {"engine": {"feed_buffer": 8, "read_threads": 2, "history_page": 500}}
    async with open_hunt(**settings) as engine:
        for start in range(0, 3000, 500):  # a long feed for p1, far beyond the memory buffer
            await engine.submit(HUNT_ID, [AdjustScore(f"adj{n}", "p1", 1, "") for n in range(start, start + 500)])
        await open_other_hunt(engine)
        replayed = 0
        replaying = 40

        async def replay_everything() -> None:  # what a `hello since=0` makes its connection do
            nonlocal replayed, replaying
            since = 0
            while since < 3000:
                items, since = await engine.feed_since(HUNT_ID, since, "p1")
                replayed += len(items)
            replaying -= 1

        waits: list[float] = []
        async with trio.open_nursery() as nursery:
            for _ in range(40):
                nursery.start_soon(replay_everything)
            await trio.sleep(0.05)
            while replaying or len(waits) < 3:  # probe the other hunt for as long as they run
                waits.append(await slowest_ack(engine, 1))
        assert replayed == 40 * (3000 + 1)  # with the hunt_started item
        assert max(waits) < 1.0, f"an ack on another hunt waited {max(waits):.2f} s behind history replays"


async def test_stalled_imports_do_not_stall_joins_on_other_hunts(open_hunt: OpenHunt) -> None:
    gate = threading.Event()

    def stalled_body() -> Iterator[bytes]:  # an upload whose client stopped sending
        gate.wait(20)
        yield from ()

    async with open_hunt(engine={"import_threads": 2}) as engine:
        await open_other_hunt(engine)
        failures: list[BaseException] = []

        async def import_one() -> None:
            try:
                await engine.import_hunt(stalled_body())
            except InvalidImport as err:  # once released: an empty import
                failures.append(err)

        try:
            async with trio.open_nursery() as nursery:
                for _ in range(41):
                    nursery.start_soon(import_one)
                await trio.sleep(0.1)
                with trio.fail_after(3):
                    [joined] = await engine.submit(OTHER, [JoinHunt("join-2", "Bob")])
                    assert isinstance(joined, Ack)
                    assert await slowest_ack(engine, 5) < 1.0
                gate.set()
        finally:
            gate.set()
        assert len(failures) == 41
