"""Storage faults, stalls and overload: errors instead of acks, recovery from disk, isolation, backpressure."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import pytest
import trio

from actors import ActivationFailed, ActorCrashed, Overloaded
from hunt.domain import AnswerClue, JoinHunt, PingLocation, StartHunt, TakeHint
from hunt.engine import Ack, Engine, open_engine
from hunt.store import WriteFailed, hunt_path
from hunt_lab.faults.store import FaultPlan
from tests.support.engine import OpenHunt, disk_replay, wait_until
from tests.support.hunts import HUNT_ID


def settle_into(settled: dict[str, tuple[Any, BaseException | None]], tag: str) -> Any:
    def callback(result: Any, error: BaseException | None) -> None:
        assert tag not in settled, f"{tag} settled twice"
        settled[tag] = (result, error)

    return callback


async def test_a_failed_commit_fails_the_whole_batch_and_the_actor_recovers_from_disk(
        open_hunt: OpenHunt, faults: FaultPlan) -> None:
    async with open_hunt() as engine:
        before = (await engine.state(HUNT_ID)).to_dict()
        faults.fail(HUNT_ID)
        batch = {
            "answer": [AnswerClue("p1", "a1", "c1", "lighthouse")],
            "hint": [TakeHint("p2", "h1", "c1")],
            "pings": [PingLocation("p3", "g1", 1.0, 1.0), PingLocation("p3", "g2", 2.0, 2.0)],
            "join": [JoinHunt("new", "Newcomer")],
        }
        settled: dict[str, tuple[Any, BaseException | None]] = {}
        for tag, commands in batch.items():  # queued in one go: one batch, one commit
            engine.submit_nowait(HUNT_ID, commands, settle_into(settled, tag))
        await wait_until(lambda: len(settled) == len(batch))
        for tag, (result, error) in settled.items():
            assert result is None and isinstance(error, ActorCrashed), f"{tag} got {result!r}"
        # The tentative state of the batch is gone: what the engine serves is what is on disk.
        state = await engine.state(HUNT_ID)
        assert state.to_dict() == before == disk_replay(engine).to_dict()
        assert engine.statistics().router.restarts == 1
        # The commands were never durable, so sending them again decides them afresh.
        answer = await engine.submit(HUNT_ID, batch["answer"])
        assert isinstance(answer[0], Ack) and not answer[0].duplicate
        assert answer[0].seq == before["seq"] + 1 and answer[0].fields["points"] == 120
        assert (await engine.state(HUNT_ID)).to_dict() == disk_replay(engine).to_dict()


async def test_a_failed_commit_never_acks_through_submit(open_hunt: OpenHunt, faults: FaultPlan) -> None:
    async with open_hunt() as engine:
        seq = (await engine.state(HUNT_ID)).seq
        faults.fail(HUNT_ID, times=2)
        for n in range(2):
            with pytest.raises(ActorCrashed):
                await engine.submit(HUNT_ID, [PingLocation("p1", f"g{n}", 1.0, 1.0)])
        [ack] = await engine.submit(HUNT_ID, [PingLocation("p1", "g0", 1.0, 1.0)])
        assert isinstance(ack, Ack) and ack.seq == seq + 1
        assert engine.statistics().router.restarts == 2


async def test_a_stalled_hunt_does_not_delay_another(open_hunt: OpenHunt, faults: FaultPlan,
                                                     hunt_document: dict[str, Any]) -> None:
    async with open_hunt() as engine:
        other = {**hunt_document, "id": "other"}
        await engine.create_hunt(other)
        await engine.submit("other", [JoinHunt("j", "Olga"), StartHunt("s")])
        stall = faults.stall(HUNT_ID)
        stalled: list[Any] = []
        try:
            async with trio.open_nursery() as nursery:
                async def submit_to_the_stalled_hunt() -> None:
                    stalled.append(await engine.submit(HUNT_ID, [PingLocation("p1", "stuck", 1.0, 1.0)]))

                nursery.start_soon(submit_to_the_stalled_hunt)
                await wait_until(stall.entered.is_set)
                for n in range(20):
                    with trio.fail_after(1.0):  # a stall of the other hunt would hold this for 10 s
                        [ack] = await engine.submit("other", [PingLocation("p1", f"g{n}", 1.0, 1.0)])
                    assert isinstance(ack, Ack)
                with trio.fail_after(1.0):
                    assert (await engine.state("other")).seq == ack.seq
                assert stalled == []
                stall.release()
        finally:
            stall.release()
        assert isinstance(stalled[0][0], Ack)


async def test_backpressure_bounds_the_mailbox_and_drops_nothing(open_hunt: OpenHunt, faults: FaultPlan) -> None:
    capacity, timeout_ms, senders, max_batch = 4, 50, 12, 2
    # Taken from the mailbox: the message being committed, and the next batch, decided meanwhile.
    in_actor = 1 + max_batch
    async with open_hunt(engine={"mailbox_capacity": capacity, "admission_timeout_ms": timeout_ms,
                                 "max_batch": max_batch}) as engine:
        stall = faults.stall(HUNT_ID)
        outcomes: dict[int, Any] = {}
        took: dict[int, float] = {}
        depths: list[int] = []
        try:
            async with trio.open_nursery() as nursery:
                async def send(n: int) -> None:
                    started = trio.current_time()
                    try:
                        outcomes[n] = await engine.submit(HUNT_ID, [PingLocation("p1", f"g{n}", 1.0, n)])
                    except Overloaded as err:
                        outcomes[n] = err
                    took[n] = trio.current_time() - started

                nursery.start_soon(send, 0)
                await wait_until(stall.entered.is_set)  # the actor holds message 0 in a commit
                for n in range(1, senders + 1):
                    nursery.start_soon(send, n)
                with trio.fail_after(5):
                    while sum(isinstance(o, Overloaded) for o in outcomes.values()) < senders + 1 - capacity - in_actor:
                        depths.append(mailbox_depth(engine))
                        await trio.sleep(0.002)
                depths.append(mailbox_depth(engine))
                stall.release()
        finally:
            stall.release()
        refused = {n: o for n, o in outcomes.items() if isinstance(o, Overloaded)}
        admitted = {n: o for n, o in outcomes.items() if not isinstance(o, Overloaded)}
        assert len(outcomes) == senders + 1
        assert max(depths) == capacity and all(d <= capacity for d in depths)
        assert len(admitted) == capacity + in_actor  # the mailbox, plus what the actor holds
        for n, error in refused.items():
            assert error.retry_after_ms > 0
            assert took[n] < timeout_ms / 1000 + 0.5, f"Overloaded took {took[n]:.3f} s"
        # Every admitted command was answered, durably; no refused one was recorded.
        for result in admitted.values():
            assert isinstance(result[0], Ack) and not result[0].duplicate
        state = await engine.state(HUNT_ID)
        assert state.to_dict() == disk_replay(engine).to_dict()
        assert state.players["p1"].pings == len(admitted)
        assert engine.statistics().router.overloaded == len(refused)


async def test_submit_nowait_refuses_at_once_when_the_mailbox_is_full(open_hunt: OpenHunt, faults: FaultPlan) -> None:
    async with open_hunt(engine={"mailbox_capacity": 2}) as engine:
        stall = faults.stall(HUNT_ID)
        settled: dict[str, tuple[Any, BaseException | None]] = {}
        try:
            # One is taken into the stalled commit, the next by the actor (decided meanwhile, its
            # commit next), two wait in the mailbox.
            for n in range(4):
                engine.submit_nowait(HUNT_ID, [PingLocation("p1", f"g{n}", 1.0, n)], settle_into(settled, f"g{n}"))
                if n == 0:
                    await wait_until(stall.entered.is_set)
            with pytest.raises(Overloaded) as refused:
                engine.submit_nowait(HUNT_ID, [PingLocation("p1", "g4", 1.0, 4)], settle_into(settled, "g4"))
            assert refused.value.retry_after_ms > 0
        finally:
            stall.release()
        await wait_until(lambda: len(settled) == 4)
        assert all(error is None and isinstance(result[0], Ack) for result, error in settled.values())


def mailbox_depth(engine: Engine) -> int:
    return max((actor.mailbox_depth for actor in engine.statistics().router.actors), default=0)



async def test_a_crashing_hunt_does_not_delay_another(open_hunt: OpenHunt, faults: FaultPlan,
                                                      hunt_document: dict[str, Any]) -> None:
    async with open_hunt(engine={"max_restarts": 100, "restart_backoff_max_s": 0.05}) as engine:
        await engine.create_hunt({**hunt_document, "id": "other"})
        await engine.submit("other", [JoinHunt("j", "Olga"), StartHunt("s")])
        faults.fail(HUNT_ID, times=1000)
        for n in range(10):
            with pytest.raises(ActorCrashed):
                await engine.submit(HUNT_ID, [PingLocation("p1", f"g{n}", 1.0, 1.0)])
            with trio.fail_after(1.0):
                [ack] = await engine.submit("other", [PingLocation("p1", f"g{n}", 1.0, 1.0)])
            assert isinstance(ack, Ack)
        # The error reaches the caller before the supervisor counts the restart.
        await wait_until(lambda: engine.statistics().router.restarts >= 10)


async def test_a_hunt_whose_creation_failed_can_be_created_again(make_config: Any, faults: FaultPlan,
                                                                  hunt_document: dict[str, Any]) -> None:
    async with open_engine(make_config(), stores=faults.stores(make_config())) as engine:
        faults.fail(HUNT_ID)
        with pytest.raises(WriteFailed):
            await engine.create_hunt(hunt_document)
        assert not engine.exists(HUNT_ID)
        assert not hunt_path(engine.data_dir, HUNT_ID).exists()
        await engine.create_hunt(hunt_document)
        [ack] = await engine.submit(HUNT_ID, [JoinHunt("j", "Ann")])
        assert isinstance(ack, Ack) and ack.seq == 2
    async with open_engine(make_config()) as engine:  # and a restarted server sees one good hunt
        assert engine.hunt_ids() == [HUNT_ID]
        assert (await engine.state(HUNT_ID)).seq == 2


async def test_a_commit_with_an_unknown_outcome_is_recovered_by_resubmitting(open_hunt: OpenHunt,
                                                                            faults: FaultPlan) -> None:
    """The write went through but the actor cannot know: it fails the batch and reloads from disk,
    where the events are; the client's retry then gets the original outcome, appended once."""
    async with open_hunt() as engine:
        seq = (await engine.state(HUNT_ID)).seq
        faults.fail_after_commit(HUNT_ID)
        commands = [AnswerClue("p1", "a1", "c1", "lighthouse"), PingLocation("p2", "g1", 1.0, 1.0)]
        with pytest.raises(ActorCrashed):
            await engine.submit(HUNT_ID, commands)
        state = await engine.state(HUNT_ID)
        assert state.seq == seq + 2 and state.to_dict() == disk_replay(engine).to_dict()
        retried = await engine.submit(HUNT_ID, commands)
        assert [(r.seq, r.duplicate) for r in retried] == [(seq + 1, True), (seq + 2, True)]
        assert retried[0].fields["points"] == 120
        assert disk_replay(engine).seq == seq + 2


@pytest.mark.parametrize("outcome", ["committed", "failed"])
async def test_readers_never_see_a_batch_before_it_is_durable(open_hunt: OpenHunt, faults: FaultPlan,
                                                              outcome: str) -> None:
    async with open_hunt() as engine:
        seq = (await engine.state(HUNT_ID)).seq
        stall = faults.stall(HUNT_ID)
        if outcome == "failed":
            faults.fail(HUNT_ID)
        seen: list[int] = []

        async def submit() -> None:
            with contextlib.suppress(ActorCrashed):
                await engine.submit(HUNT_ID, [PingLocation("p1", "g1", 1.0, 1.0)])

        async def read() -> None:
            seen.append((await engine.state(HUNT_ID)).seq)

        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(submit)
                await wait_until(stall.entered.is_set)  # decided and applied, not yet durable
                nursery.start_soon(read)
                await trio.sleep(0.1)
                assert seen == [], "a reader saw the tentative state"
                stall.release()
        finally:
            stall.release()
        assert seen == [seq + 1 if outcome == "committed" else seq]
        assert (await engine.state(HUNT_ID)).to_dict() == disk_replay(engine).to_dict()


async def test_a_corrupt_hunt_fails_to_activate_and_harms_no_other(open_hunt: OpenHunt,
                                                                   hunt_document: dict[str, Any]) -> None:
    async with open_hunt() as engine:
        await engine.create_hunt({**hunt_document, "id": "broken"})
    hunt_path(engine.data_dir, "broken").write_bytes(b"not a database " * 500)
    async with open_hunt() as engine:
        await engine.state(HUNT_ID)  # loaded: its file descriptors are open from here on
        await wait_until(lambda: engine.statistics().hunt(HUNT_ID).dedup_filter_ready)  # type: ignore[union-attr]
        descriptors = len(os.listdir("/proc/self/fd"))
        for n in range(5):
            with pytest.raises(ActivationFailed):
                await engine.submit("broken", [JoinHunt("j", "Ann")])
            [ack] = await engine.submit(HUNT_ID, [PingLocation("p1", f"g{n}", 1.0, 1.0)])
            assert isinstance(ack, Ack)
        assert len(os.listdir("/proc/self/fd")) <= descriptors
