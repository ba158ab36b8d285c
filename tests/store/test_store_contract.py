"""The storage contract (hunt.store.HuntStore and HuntStores), run against SQLite and memory alike.

Like a journal test kit (Akka's JournalSpec, eventsourcing's recorder tests): what is appended
reads back, in ranges and through the indexed filters; the sequence is never reset or reused;
a batch is atomic; idempotency keys are unique for good; and recovery from a snapshot plus the
tail (or from zero, when a snapshot cannot be decoded) gives the state of a full replay.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest

from hunt.domain import HuntState, Pinged, Recorded, event_to_fields, replay
from hunt.store import (
    HuntExists,
    HuntNotFound,
    HuntStores,
    InvalidHuntId,
    MemoryHuntStores,
    SqliteHuntStores,
    WriteFailed,
    encode_snapshot,
)
from tests.support.hunts import HUNT_ID
from tests.support.store import as_dict, build_log, replayed

LENGTH = 60


@pytest.fixture
def log(hunt_document: dict[str, Any]) -> list[Recorded]:
    return build_log(hunt_document, LENGTH)


def snapshot(log: list[Recorded], seq: int) -> tuple[int, int, bytes]:
    """The ``(seq, ts, blob)`` of the state after ``log[:seq]``, as the actor writes it."""
    state = replay(log[:seq])
    return seq, state.last_ts, encode_snapshot(state)


def fill(store: Any, log: list[Recorded], *, batch: int = 7, snapshots: tuple[int, ...] = ()) -> None:
    """Append ``log`` in batches, with a snapshot in the batch that reaches each given seq."""
    for start in range(0, len(log), batch):
        chunk = log[start:start + batch]
        due = [seq for seq in snapshots if chunk[0].seq <= seq <= chunk[-1].seq]
        store.append(chunk, snapshot(log, due[-1]) if due else None)
        for seq in due[:-1]:
            store.write_snapshot(*snapshot(log, seq))


def ping(seq: int, cmd: str | None, principal: str = "p1") -> Recorded:
    return Recorded(seq, 1_780_000_000_000 + seq, Pinged(principal, 1.0, 2.0), cmd, principal if cmd else None)


# -- appending and reading ---------------------------------------------------------------------


def test_an_empty_store_has_nothing(store: Any) -> None:
    assert store.last_seq() == 0
    assert list(store.read()) == []
    assert store.load() == (None, 0)
    assert store.state_at(10) is None
    assert store.recent_keys(5) == ([], True)
    assert store.find_commands([("p1", "x1")]) == {}
    assert store.counts()["events"] == 0


def test_what_is_appended_reads_back_in_order(store: Any, log: list[Recorded]) -> None:
    fill(store, log)
    assert list(store.read()) == log
    assert store.last_seq() == LENGTH
    assert store.counts()["events"] == LENGTH


@pytest.mark.parametrize(("after", "until", "limit"), [
    (0, None, None), (10, None, None), (10, 20, None), (10, 20, 5), (0, None, 1), (59, None, None),
    (60, None, None), (100, None, None), (0, 0, None), (30, 29, None), (0, None, 0), (5, 200, 1000),
])
def test_read_ranges(store: Any, log: list[Recorded], after: int, until: int | None, limit: int | None) -> None:
    fill(store, log)
    expected = [r for r in log if r.seq > after and (until is None or r.seq <= until)]
    if limit is not None:
        expected = expected[:limit]
    assert list(store.read(after=after, until=until, limit=limit)) == expected


@pytest.mark.parametrize("where", [
    {"player": "p2"}, {"player": "nobody"}, {"type_": "clue_found"}, {"type_": "pinged"},
    {"clue": "c1"}, {"clue": "c3"}, {"player": "p1", "type_": "clue_found"},
    {"player": "p3", "clue": "c1", "type_": "attempt_repeated"},
])
def test_read_filters_by_player_type_and_clue(store: Any, log: list[Recorded], where: dict[str, str]) -> None:
    fill(store, log)

    def matches(record: Recorded) -> bool:
        type_, player, clue, _ = event_to_fields(record.event)
        return all(wanted == {"player": player, "type_": type_, "clue": clue}[key] for key, wanted in where.items())

    expected = [r for r in log if matches(r)]
    assert list(store.read(**where)) == expected
    # Filters and ranges combine: a page of the filtered events after some seq.
    if expected:
        assert list(store.read(after=expected[0].seq, limit=2, **where)) == expected[1:3]


def paired_times(log: list[Recorded]) -> list[Recorded]:
    """``log`` with two events in each second (the log's clock never runs backwards, but several
    events may share a millisecond)."""
    return [dataclasses.replace(r, ts=log[0].ts + (r.seq - 1) // 2 * 1000) for r in log]


@pytest.mark.parametrize(("from_ts", "to_ts"), [(None, None), (10, None), (None, 10), (10, 20), (20, 10),
                                                (-5, 0), (0, 0), (29, 400)])
def test_read_filters_by_time_and_reads_newest_first(store: Any, log: list[Recorded], from_ts: int | None,
                                                     to_ts: int | None) -> None:
    log = paired_times(log)
    fill(store, log)
    second = {None: None, **{n: log[0].ts + n * 1000 for n in (-5, 0, 10, 20, 29, 400)}}
    low, high = second[from_ts], second[to_ts]
    expected = [r for r in log if (low is None or r.ts >= low) and (high is None or r.ts <= high)]
    assert list(store.read(from_ts=low, to_ts=high)) == expected
    assert list(store.read(from_ts=low, to_ts=high, newest_first=True)) == expected[::-1]
    # Newest first pages backwards: each page ends just before the seq the last one stopped at.
    pages, until = [], None
    while True:
        page = list(store.read(from_ts=low, to_ts=high, until=until, limit=4, newest_first=True))
        pages.extend(page)
        if len(page) < 4:
            break
        until = page[-1].seq - 1
    assert pages == expected[::-1]
    # With the other filters and the range.
    mine = [r for r in expected if event_to_fields(r.event)[1] == "p2" and r.seq > 10]
    assert list(store.read(after=10, player="p2", from_ts=low, to_ts=high, newest_first=True)) == mine[::-1]


def test_the_seq_at_a_clock_time_is_the_last_event_at_or_before_it(store: Any, log: list[Recorded]) -> None:
    assert store.seq_at_time(log[0].ts) == 0  # nothing yet
    log = paired_times(log)
    fill(store, log)
    assert store.seq_at_time(log[0].ts - 1) == 0
    assert store.seq_at_time(log[0].ts) == 2  # both events of the first second
    assert store.seq_at_time(log[0].ts + 999) == 2
    assert store.seq_at_time(log[0].ts + 10_000) == 22
    assert store.seq_at_time(log[-1].ts) == store.seq_at_time(2**63 - 1) == LENGTH


# -- the sequence ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "seqs"), [
    ("reuses the last seq", [10]),
    ("reuses an old seq", [3]),
    ("leaves a gap", [12]),
    ("restarts from 1", [1]),
    ("has a gap inside the batch", [11, 13]),
    ("goes backwards inside the batch", [11, 10]),
])
def test_an_append_must_continue_the_sequence(store: Any, log: list[Recorded], name: str,
                                              seqs: list[int]) -> None:
    fill(store, log[:10])
    bad = [ping(seq, f"bad{i}") for i, seq in enumerate(seqs)]
    with pytest.raises(WriteFailed):
        store.append(bad)
    assert list(store.read()) == log[:10], f"an append that {name} left a trace"
    assert store.last_seq() == 10
    store.append(log[10:12])
    assert store.last_seq() == 12


def test_the_sequence_survives_reopening(backend: Any, store: Any, log: list[Recorded]) -> None:
    fill(store, log[:20])
    store = backend.reopen(store)
    assert store.last_seq() == 20
    with pytest.raises(WriteFailed):
        store.append([ping(1, "again")])
    store.append(log[20:])
    assert list(store.read()) == log


def test_a_log_must_begin_at_seq_1(store: Any, log: list[Recorded]) -> None:
    with pytest.raises(WriteFailed):
        store.append([dataclasses.replace(log[0], seq=2)])
    assert store.last_seq() == 0


# -- atomic batches and idempotency keys -------------------------------------------------------


def test_a_batch_with_a_used_key_fails_as_a_whole(store: Any, log: list[Recorded]) -> None:
    fill(store, log[:10])
    used = log[5]  # a join or a command of a player: it carries (principal, cmd)
    assert used.cmd is not None
    batch = [ping(11, "fresh1"), ping(12, "fresh2"),
             dataclasses.replace(ping(13, used.cmd), principal=used.principal)]
    with pytest.raises(WriteFailed):
        store.append(batch, snapshot(log, 10))
    assert list(store.read()) == log[:10]
    assert store.find_commands([("p1", "fresh1"), ("p1", "fresh2")]) == {}
    assert store.counts()["snapshots"] == 0, "the snapshot of a failed batch was kept"
    # Nothing of it stuck: the same seqs and the fresh keys are still free.
    store.append(batch[:2])
    assert [r.cmd for r in store.read(after=10)] == ["fresh1", "fresh2"]


def test_a_batch_that_repeats_a_key_within_itself_fails(store: Any, log: list[Recorded]) -> None:
    fill(store, log[:10])
    with pytest.raises(WriteFailed):
        store.append([ping(11, "twice"), ping(12, "other"), ping(13, "twice")])
    assert store.last_seq() == 10
    assert store.find_commands([("p1", "twice"), ("p1", "other")]) == {}


def test_keys_are_per_principal(store: Any, log: list[Recorded]) -> None:
    fill(store, log[:10])
    store.append([ping(11, "same", "p1"), ping(12, "same", "p2")])
    found = store.find_commands([("p1", "same"), ("p2", "same"), ("p3", "same")])
    assert {key: r.seq for key, r in found.items()} == {("p1", "same"): 11, ("p2", "same"): 12}


def test_keys_stay_unique_after_reopening(backend: Any, store: Any, log: list[Recorded]) -> None:
    fill(store, log)
    store = backend.reopen(store)
    last = log[-1]
    with pytest.raises(WriteFailed):
        store.append([dataclasses.replace(last, seq=LENGTH + 1)])
    assert store.last_seq() == LENGTH


def test_find_commands_looks_up_by_key(store: Any, log: list[Recorded]) -> None:
    fill(store, log)
    keyed = {(r.principal, r.cmd): r for r in log if r.cmd is not None}
    wanted = [*keyed, ("p1", "never"), ("nobody", "x1")]
    assert store.find_commands(wanted) == keyed
    assert store.find_commands([]) == {}


def test_find_commands_takes_many_keys(store: Any, log: list[Recorded]) -> None:
    fill(store, log[:10])
    store.append([ping(seq, f"k{seq}") for seq in range(11, 1011)])
    wanted = [("p1", f"k{seq}") for seq in range(1010, 5, -1)]  # more than one SQL chunk
    found = store.find_commands(wanted)
    assert sorted(r.seq for r in found.values()) == list(range(11, 1011))


@pytest.mark.parametrize("limit", [0, 1, 5, 58, 59, 60, 1000])
def test_recent_keys_are_the_newest_commands_oldest_first(store: Any, log: list[Recorded], limit: int) -> None:
    fill(store, log)
    keyed = [r for r in log if r.cmd is not None]  # hunt_created has no command id
    assert len(keyed) == LENGTH - 1
    records, complete = store.recent_keys(limit)
    assert records == (keyed[-limit:] if limit else [])
    assert complete == (limit >= len(keyed))


# -- snapshots, recovery and time travel -------------------------------------------------------


@pytest.mark.parametrize("snapshots", [(), (7,), (14, 35), (7, 21, 49, 60), (60,)])
def test_load_is_snapshot_plus_tail_and_equals_a_full_replay(store: Any, log: list[Recorded],
                                                             snapshots: tuple[int, ...]) -> None:
    fill(store, log, snapshots=snapshots)
    state, replayed_count = store.load()
    assert as_dict(state) == replayed(log)
    latest = max(snapshots, default=0)
    assert replayed_count == LENGTH - latest
    counts = store.counts()
    assert (counts["snapshots"], counts["last_snapshot_seq"]) == (len(snapshots), latest)


def test_recovery_survives_reopening(backend: Any, store: Any, log: list[Recorded]) -> None:
    fill(store, log, snapshots=(21, 42))
    store = backend.reopen(store)
    state, replayed_count = store.load()
    assert (as_dict(state), replayed_count) == (replayed(log), LENGTH - 42)
    assert store.last_snapshot_seq == 42


def corrupt(blob: bytes, how: str) -> bytes:
    data = orjson.loads(blob)
    match how:
        case "garbage":
            return b"\x00\xffnot json at all"
        case "truncated":
            return blob[: len(blob) // 2]
        case "wrong version":
            return orjson.dumps({**data, "version": 999})
        case "no version":
            return orjson.dumps({k: v for k, v in data.items() if k != "version"})
        case "missing field":
            return orjson.dumps({k: v for k, v in data.items() if k != "players"})
        case "a list":
            return b"[1, 2, 3]"
        case "a number":
            return b"42"
        case "null":
            return b"null"
    raise AssertionError(how)


CORRUPTIONS = ["garbage", "truncated", "wrong version", "no version", "missing field", "a list", "a number",
               "null"]


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_an_undecodable_snapshot_falls_back_to_full_replay(store: Any, log: list[Recorded], how: str) -> None:
    fill(store, log)
    seq, ts, blob = snapshot(log, 50)
    store.write_snapshot(seq, ts, corrupt(blob, how))
    state, replayed_count = store.load()
    assert as_dict(state) == replayed(log)
    assert replayed_count == LENGTH
    assert as_dict(store.state_at(55)) == replayed(log[:55])


@pytest.mark.parametrize("how", ["garbage", "wrong version", "a list"])
def test_an_undecodable_snapshot_falls_back_to_the_one_before(store: Any, log: list[Recorded], how: str) -> None:
    fill(store, log, snapshots=(20,))
    seq, ts, blob = snapshot(log, 50)
    store.write_snapshot(seq, ts, corrupt(blob, how))
    state, replayed_count = store.load()
    assert (as_dict(state), replayed_count) == (replayed(log), LENGTH - 20)


@pytest.mark.parametrize("snapshots", [(), (10,), (1, 30), (5, 6, 7, 59), (60,)])
def test_state_at_equals_a_replay_up_to_that_seq(store: Any, log: list[Recorded], snapshots: tuple[int, ...]) -> None:
    fill(store, log, snapshots=snapshots)
    assert store.state_at(0) is None
    for seq in range(1, LENGTH + 1):
        assert as_dict(store.state_at(seq)) == replayed(log[:seq]), f"state_at({seq})"
    assert as_dict(store.state_at(LENGTH + 100)) == replayed(log)


def test_snapshots_do_not_change_the_log(store: Any, log: list[Recorded]) -> None:
    fill(store, log, snapshots=(10, 20, 30))
    assert list(store.read()) == log


def test_a_snapshot_alone_is_an_append(store: Any, log: list[Recorded]) -> None:
    fill(store, log)
    store.write_snapshot(*snapshot(log, 60))
    assert store.last_snapshot_seq == 60
    assert store.load()[1] == 0
    assert store.last_seq() == LENGTH


def test_meta_values_are_kept(backend: Any, store: Any) -> None:
    assert store.get_meta("relay_cursor") is None
    store.set_meta("relay_cursor", "17")
    store.set_meta("relay_cursor", "18")
    store = backend.reopen(store)
    assert store.get_meta("relay_cursor") == "18"


def test_the_snapshot_form_round_trips(log: list[Recorded]) -> None:
    state = replay(log)
    assert HuntState.from_dict(orjson.loads(encode_snapshot(state))).to_dict() == state.to_dict()


def test_a_snapshot_filed_under_the_wrong_seq_is_ignored(store: Any, log: list[Recorded]) -> None:
    fill(store, log)
    _, ts, blob = snapshot(log, 40)
    store.write_snapshot(50, ts, blob)  # claims seq 50, holds the state at 40
    state, replayed_count = store.load()
    assert (as_dict(state), replayed_count) == (replayed(log), LENGTH)
    assert as_dict(store.state_at(55)) == replayed(log[:55])


# -- where hunts live: HuntStores ------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> HuntStores:
    return MemoryHuntStores() if request.param == "memory" else SqliteHuntStores(tmp_path, synchronous="NORMAL")


def test_stores_create_list_open_and_refuse_alike(stores: HuntStores, hunt_document: dict[str, Any]) -> None:
    log = build_log(hunt_document, 6)
    assert stores.ids() == [] and not stores.exists(HUNT_ID)
    with pytest.raises(HuntNotFound):
        stores.open(HUNT_ID)
    with pytest.raises(HuntNotFound):
        stores.open_reader(HUNT_ID)
    with pytest.raises(InvalidHuntId):
        stores.create("../escape", log[:1])
    stores.create(HUNT_ID, log[:1])
    with pytest.raises(HuntExists):
        stores.create(HUNT_ID, log[:1])
    assert stores.ids() == [HUNT_ID] and stores.exists(HUNT_ID) and not stores.exists("other")
    writer = stores.open(HUNT_ID)
    writer.append(log[1:])
    writer.close()
    again = stores.open(HUNT_ID)  # what was written survives the writer
    reader = stores.open_reader(HUNT_ID)
    assert list(reader.read()) == log and again.last_seq() == 6
    reader.close()
    again.close()
