"""An ack means durable, and a command takes effect once, however often it is sent (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

import pytest

from hunt.domain import AnswerClue, JoinHunt, PauseHunt, PingLocation, Rejected, StartHunt, TakeHint
from hunt.engine import Ack, Engine, _actor
from hunt.store import HuntNotFound, InvalidHuntId, SqliteHuntStore
from tests.support.engine import OpenHunt, disk_replay, wait_until
from tests.support.hunts import HUNT_ID


def acks(results: list[Ack | Rejected]) -> list[Ack]:
    assert all(isinstance(r, Ack) for r in results), results
    return results  # type: ignore[return-value]


def on_disk(engine: Engine, seq: int) -> list:
    """The event at ``seq`` as a fresh reader of the hunt file sees it (the writer may be running)."""
    reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
    try:
        return list(reader.read(after=seq - 1, until=seq))
    finally:
        reader.close()


def log_length(engine: Engine) -> int:
    reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
    try:
        return reader.last_seq()
    finally:
        reader.close()


async def test_an_ack_means_the_event_is_on_disk(open_hunt: OpenHunt) -> None:
    async with open_hunt(store={"synchronous": "FULL"}) as engine:
        for n in range(5):
            [ack] = acks(await engine.submit(HUNT_ID, [PingLocation("p1", f"ping-{n}", 53.5, 9.9)]))
            assert on_disk(engine, ack.seq) == [ack.record]
        several = acks(await engine.submit(HUNT_ID, [
            AnswerClue("p2", "a1", "c1", "lamp"), TakeHint("p2", "h1", "c1"),
            AnswerClue("p2", "a2", "c1", "lighthouse"),
        ]))
        assert [a.fields["result"] for a in several] == ["wrong", "hint", "correct"]
        for ack in several:
            assert on_disk(engine, ack.seq) == [ack.record]
        # The idempotency key went to disk in the same transaction.
        reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
        try:
            assert set(reader.find_commands([("p2", "a1"), ("p2", "h1"), ("p2", "a2")])) == {
                ("p2", "a1"), ("p2", "h1"), ("p2", "a2")}
        finally:
            reader.close()


async def test_a_resubmission_returns_the_original_ack_and_appends_nothing(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        [first] = acks(await engine.submit(HUNT_ID, [AnswerClue("p1", "a1", "c1", "Lighthouse")]))
        assert first.fields == {"result": "correct", "clue": "c1", "points": 120, "bonus": 20, "score": 120}
        before = (await engine.state(HUNT_ID)).to_dict()
        length = log_length(engine)
        for _ in range(3):
            [again] = acks(await engine.submit(HUNT_ID, [AnswerClue("p1", "a1", "c1", "Lighthouse")]))
            assert (again.seq, again.fields, again.record, again.duplicate) == (first.seq, first.fields,
                                                                                 first.record, True)
        # The key is the client id, not the content: a different payload under a used id is the
        # same command (the original outcome stands).
        [changed] = acks(await engine.submit(HUNT_ID, [AnswerClue("p1", "a1", "c1", "wrong now")]))
        assert (changed.seq, changed.duplicate) == (first.seq, True)
        assert log_length(engine) == length
        assert (await engine.state(HUNT_ID)).to_dict() == before


async def test_keys_belong_to_their_player(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        one, two = acks(await engine.submit(HUNT_ID, [PingLocation("p1", "same", 1.0, 1.0),
                                                      PingLocation("p2", "same", 2.0, 2.0)]))
        assert (one.duplicate, two.duplicate) == (False, False)
        assert two.seq == one.seq + 1


async def test_a_repeated_join_gives_the_same_player(open_hunt: OpenHunt) -> None:
    async with open_hunt(players=0) as engine:
        [joined] = acks(await engine.submit(HUNT_ID, [JoinHunt("phone-1", "Dana")]))
        [again] = acks(await engine.submit(HUNT_ID, [JoinHunt("phone-1", "Dana")]))
        assert again.duplicate and again.fields == joined.fields
        assert len((await engine.state(HUNT_ID)).players) == 1


async def test_a_rejection_is_not_remembered(open_hunt: OpenHunt) -> None:
    """Nothing is recorded for a rejected command, so resending it later is decided afresh."""
    async with open_hunt(players=1) as engine:
        [paused] = acks(await engine.submit(HUNT_ID, [PauseHunt("pause")]))
        [rejected] = await engine.submit(HUNT_ID, [PingLocation("p1", "ping", 1.0, 1.0)])
        assert isinstance(rejected, Rejected) and rejected.code == "hunt_not_active"
        acks(await engine.submit(HUNT_ID, [StartHunt("resume")]))
        [ack] = acks(await engine.submit(HUNT_ID, [PingLocation("p1", "ping", 1.0, 1.0)]))
        assert not ack.duplicate and ack.seq == paused.seq + 2


async def test_duplicates_within_one_batch(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        results = acks(await engine.submit(HUNT_ID, [
            PingLocation("p1", "a", 1.0, 1.0), PingLocation("p1", "a", 5.0, 5.0), PingLocation("p1", "b", 2.0, 2.0),
            PingLocation("p1", "a", 1.0, 1.0), PingLocation("p1", "b", 2.0, 2.0),
        ]))
        assert [(a.seq - results[0].seq, a.duplicate) for a in results] == [
            (0, False), (0, True), (1, False), (0, True), (1, True)]
        assert log_length(engine) == results[0].seq + 1


async def test_duplicates_across_the_messages_of_one_batch(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        settled: list[tuple[int, object, object]] = []
        for n in range(6):  # queued in one go: the actor takes them as one batch
            engine.submit_nowait(HUNT_ID, [PingLocation("p3", f"k{n % 2}", 1.0, 1.0)],
                                 lambda result, error, n=n: settled.append((n, result, error)))
        await wait_until(lambda: len(settled) == 6)
        settled.sort(key=lambda item: item[0])
        assert all(error is None for _, _, error in settled)
        seqs = [result[0].seq for _, result, _ in settled]
        assert seqs[0::2] == [seqs[0]] * 3 and seqs[1::2] == [seqs[1]] * 3 and seqs[1] == seqs[0] + 1
        assert [result[0].duplicate for _, result, _ in settled] == [False, False, True, True, True, True]


async def test_dedup_survives_a_restart(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        originals = acks(await engine.submit(HUNT_ID, [
            AnswerClue("p1", "a1", "c1", "lighthouse"), PingLocation("p2", "g1", 1.0, 1.0), JoinHunt("late", "Eve"),
        ]))
        state = (await engine.state(HUNT_ID)).to_dict()
    async with open_hunt() as engine:
        again = acks(await engine.submit(HUNT_ID, [
            AnswerClue("p1", "a1", "c1", "lighthouse"), PingLocation("p2", "g1", 1.0, 1.0), JoinHunt("late", "Eve"),
        ]))
        assert [(a.seq, a.fields, a.duplicate) for a in again] == [(a.seq, a.fields, True) for a in originals]
        assert (await engine.state(HUNT_ID)).to_dict() == state
        assert log_length(engine) == originals[-1].seq


@pytest.mark.parametrize("restart", [False, True])
@pytest.mark.parametrize("dedup", [
    {"dedup_cache": 2},  # old keys are in the filter but not in memory: looked up on disk
    {"dedup_cache": 0, "dedup_filter_keys": 1, "dedup_filter_error": 0.9},  # the filter says "maybe" to all
])
async def test_dedup_looks_on_disk_beyond_a_tiny_cache(open_hunt: OpenHunt, restart: bool,
                                                       dedup: dict[str, Any]) -> None:
    settings = {"engine": dedup}
    async with open_hunt(**settings) as engine:
        originals = acks(await engine.submit(HUNT_ID, [PingLocation("p1", f"old{n}", 1.0, n) for n in range(6)]))
        more = acks(await engine.submit(HUNT_ID, [PingLocation("p2", f"new{n}", 2.0, n) for n in range(3)]))
        if not restart:
            await check_resubmissions(engine, originals, more)
    if restart:
        async with open_hunt(**settings) as engine:
            await check_resubmissions(engine, originals, more)


async def check_resubmissions(engine: Engine, originals: list[Ack], more: list[Ack]) -> None:
    length = log_length(engine)
    # Old keys (evicted from the cache, found on disk) mixed with fresh ones, in one batch whose
    # own new keys evict the cache again while it is being decided.
    results = acks(await engine.submit(HUNT_ID, [
        PingLocation("p3", "fresh0", 3.0, 0), PingLocation("p1", "old0", 1.0, 0), PingLocation("p3", "fresh1", 3.0, 1),
        PingLocation("p3", "fresh2", 3.0, 2), PingLocation("p2", "new2", 2.0, 2), PingLocation("p3", "fresh0", 3.0, 0),
        PingLocation("p1", "old5", 1.0, 5), PingLocation("p3", "fresh3", 3.0, 3), PingLocation("p3", "fresh1", 3.0, 1),
    ]))
    fresh = [length + n for n in range(1, 5)]
    assert [(a.seq, a.duplicate) for a in results] == [
        (fresh[0], False), (originals[0].seq, True), (fresh[1], False), (fresh[2], False), (more[2].seq, True),
        (fresh[0], True), (originals[5].seq, True), (fresh[3], False), (fresh[1], True)]
    assert log_length(engine) == length + 4
    assert (await engine.state(HUNT_ID)).to_dict() == disk_replay(engine).to_dict()



async def test_unknown_and_malformed_hunt_ids_are_refused(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        for hunt_id, error in (("nope", HuntNotFound), ("../harbor", InvalidHuntId), ("Harbor", InvalidHuntId)):
            with pytest.raises(error):
                await engine.submit(hunt_id, [PingLocation("p1", "g", 1.0, 1.0)])
            with pytest.raises(error):
                await engine.state(hunt_id)
        assert engine.active_count() == 1
        assert all(p.name.startswith(f"{HUNT_ID}.") for p in (engine.data_dir / "hunts").iterdir())


async def test_a_rule_that_raises_fails_only_its_command(open_hunt: OpenHunt, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in one rule is an internal error for that command; the rest of the batch is decided."""
    real_decide = _actor.decide

    def buggy_decide(state: Any, command: Any, now: int) -> Any:
        if command.cmd == "boom":
            raise ZeroDivisionError("a bug")
        return real_decide(state, command, now)

    monkeypatch.setattr(_actor, "decide", buggy_decide)
    async with open_hunt() as engine:
        before = log_length(engine)
        first, bad, last = await engine.submit(HUNT_ID, [
            PingLocation("p1", "g1", 1.0, 1.0), PingLocation("p1", "boom", 1.0, 1.0),
            PingLocation("p1", "g2", 1.0, 1.0)])
        assert isinstance(bad, Rejected) and bad.code == "internal"
        assert [a.seq for a in acks([first, last])] == [before + 1, before + 2]
        assert engine.statistics().router.restarts == 0
