"""Pipelined group commit: batch N+1 is decided while N is written, and nothing of it is seen
before it is durable; a failed N fails N+1 with it."""

from __future__ import annotations

from typing import Any

import orjson
import trio

from actors import ActorCrashed
from hunt.domain import AnswerClue, PingLocation
from hunt.engine import Ack, Engine
from hunt_lab.faults.store import FaultPlan
from tests.support.engine import OpenHunt, disk_replay, wait_until
from tests.support.hunts import HUNT_ID

Settled = dict[str, tuple[Any, BaseException | None]]


def settle_into(settled: Settled, order: list[str], tag: str) -> Any:
    def callback(result: Any, error: BaseException | None) -> None:
        assert tag not in settled, f"{tag} settled twice"
        settled[tag] = (result, error)
        order.append(tag)

    return callback


def live_seq(engine: Engine) -> int:
    """The actor's state, tentative events included (a peek no caller of the engine gets)."""
    state = engine._hub(HUNT_ID).state
    return -1 if state is None else state.seq


async def test_the_next_batch_is_decided_while_one_commits_and_held_until_durable(
        open_hunt: OpenHunt, faults: FaultPlan) -> None:
    async with open_hunt() as engine:
        seq = (await engine.state(HUNT_ID)).seq
        top_before, _ = await engine.view(HUNT_ID, "top", lambda state: state.top(3), orjson.dumps)
        stall = faults.stall(HUNT_ID)
        settled: Settled = {}
        order: list[str] = []
        try:
            engine.submit_nowait(HUNT_ID, [PingLocation("p2", "g1", 1.0, 1.0)], settle_into(settled, order, "N"))
            await trio.to_thread.run_sync(stall.entered.wait, 5.0)  # N is on its way to the disk
            engine.submit_nowait(HUNT_ID, [AnswerClue("p1", "a1", "c1", "lighthouse")],
                                 settle_into(settled, order, "N+1"))
            await wait_until(lambda: live_seq(engine) == seq + 2)  # N+1 decided and applied meanwhile
            read: list[Any] = []

            async def reader() -> None:
                read.append(await engine.view(HUNT_ID, "top", lambda state: state.top(3), orjson.dumps))

            async with trio.open_nursery() as nursery:
                nursery.start_soon(reader)
                await trio.sleep(0.1)
                live = engine.live(HUNT_ID)
                assert settled == {} and read == [], "an outcome or a view of a batch not yet durable got out"
                assert live.seq == seq and live.feed_after(seq) == [], "the hub published a tentative batch"
                stall.release()
        finally:
            stall.release()
        assert order == ["N", "N+1"]
        [n], [n1] = (settled[tag][0] for tag in order)
        assert isinstance(n, Ack) and isinstance(n1, Ack) and (n.seq, n1.seq) == (seq + 1, seq + 2)
        assert n1.fields["points"] == 120
        [(top_after, _)] = read
        assert top_after != top_before and b'"score":120' in top_after
        assert (await engine.state(HUNT_ID)).to_dict() == disk_replay(engine).to_dict()


async def test_a_failed_commit_fails_every_batch_decided_on_top_of_it(open_hunt: OpenHunt, faults: FaultPlan) -> None:
    async with open_hunt() as engine:
        before = (await engine.state(HUNT_ID)).to_dict()
        seq = before["seq"]
        stall = faults.stall(HUNT_ID)
        faults.fail(HUNT_ID)
        settled: Settled = {}
        order: list[str] = []
        try:
            engine.submit_nowait(HUNT_ID, [PingLocation("p2", "g1", 1.0, 1.0)], settle_into(settled, order, "N"))
            await trio.to_thread.run_sync(stall.entered.wait, 5.0)
            # Decided against N's tentative state: the second answer is the second finder's.
            engine.submit_nowait(HUNT_ID, [AnswerClue("p1", "a1", "c1", "lighthouse")],
                                 settle_into(settled, order, "N+1"))
            await wait_until(lambda: live_seq(engine) == seq + 2)
            stall.release()  # N fails now
            await wait_until(lambda: len(settled) == 2)
        finally:
            stall.release()
        for tag in ("N", "N+1"):
            result, error = settled[tag]
            assert result is None and isinstance(error, ActorCrashed), f"{tag} got {result!r}"
        state = await engine.state(HUNT_ID)
        assert state.to_dict() == before == disk_replay(engine).to_dict()
        assert engine.statistics().router.restarts == 1
        # Neither was durable: sent again, they are decided afresh, N+1 first this time.
        [answer] = await engine.submit(HUNT_ID, [AnswerClue("p1", "a1", "c1", "lighthouse")])
        [ping] = await engine.submit(HUNT_ID, [PingLocation("p2", "g1", 1.0, 1.0)])
        assert isinstance(answer, Ack) and isinstance(ping, Ack) and not answer.duplicate and not ping.duplicate
        assert (answer.seq, ping.seq) == (seq + 1, seq + 2)
        assert (await engine.state(HUNT_ID)).to_dict() == disk_replay(engine).to_dict()


async def test_a_busy_pipeline_still_lets_readers_in(open_hunt: OpenHunt) -> None:
    """Under a steady stream of batches the state is never settled on its own: the actor
    settles it for waiting readers between batches, so a read is not starved."""
    async with open_hunt() as engine:
        done = trio.Event()
        sent = 0

        def next_ping() -> None:
            nonlocal sent
            sent += 1
            if not done.is_set():
                engine.submit_nowait(HUNT_ID, [PingLocation("p1", f"g{sent}", 1.0, 1.0)],
                                     lambda result, error: next_ping())

        for _ in range(64):
            next_ping()
        reads = []
        with trio.fail_after(5):
            for _ in range(20):
                state = await engine.state(HUNT_ID)
                reads.append(state.seq)
                assert state.seq == engine.live(HUNT_ID).seq, "a reader saw a state ahead of the disk"
                await trio.sleep(0.005)
        done.set()
        assert reads == sorted(reads) and reads[-1] > reads[0]
