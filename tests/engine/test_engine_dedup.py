"""Deduplication without scanning: a Bloom filter over every key, memory for the rest, point lookups."""

from __future__ import annotations

import pytest

from hunt.domain import PingLocation, Recorded
from hunt.engine import Ack
from hunt.engine._dedup import DedupIndex, KeyFilter
from tests.support.engine import OpenHunt, wait_until
from tests.support.hunts import HUNT_ID


def record(seq: int, cmd: str, principal: str = "p1") -> Recorded:
    return Recorded(seq, 1000 + seq, PingLocation(principal, cmd, 1.0, 2.0), cmd, principal)  # type: ignore[arg-type]


def test_the_filter_has_no_false_negatives_and_few_false_positives() -> None:
    key_filter = KeyFilter(20_000, 0.01)
    added = [(f"p{n % 97}", f"c{n}") for n in range(20_000)]
    for key in added:
        key_filter.add(key)
    assert all(key in key_filter for key in added)
    others = sum((f"p{n % 97}", f"other{n}") in key_filter for n in range(20_000))
    assert others < 20_000 * 0.03  # sized for 1% per layer at capacity (two layers here)
    assert key_filter.nbytes < 20_000 * 11 / 8 + 64  # ~10.5 bits a key for 1% with four hashes


def test_the_filter_never_grows_past_its_size() -> None:
    key_filter = KeyFilter(100, 0.01)
    size = key_filter.nbytes
    for n in range(10_000):
        key_filter.add(("p", f"c{n}"))
    assert key_filter.nbytes == size
    assert ("p", "c9999") in key_filter


def test_the_filter_grows_with_the_log_up_to_its_capacity() -> None:
    """A short hunt pays kilobytes; a long one at most what the capacity costs, whatever its length."""
    capacity = 100_000
    key_filter = KeyFilter(capacity, 0.001)
    assert key_filter.nbytes < 50_000
    added = [("p", f"c{n}") for n in range(3 * capacity)]
    sizes = []
    for n, key in enumerate(added[:capacity]):
        key_filter.add(key)
        if n % 20_000 == 0:
            sizes.append(key_filter.nbytes)
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    others = sum(("q", f"c{n}") in key_filter for n in range(20_000))
    assert others < 20_000 * 0.01  # at capacity: about the rate per layer, times a few layers
    for key in added[capacity:]:
        key_filter.add(key)
    assert key_filter.nbytes <= full_size(capacity, 0.001) * 1.01
    assert all(key in key_filter for key in added)  # no false negatives, even past the capacity


def full_size(capacity: int, error: float) -> float:
    """Bytes of one layer sized for ``capacity`` keys."""
    from hunt.engine._dedup import _Layer

    return _Layer(capacity, error).nbytes


@pytest.mark.parametrize(("capacity", "error"), [(0, 0.01), (10, 0.0), (10, 1.0)])
def test_a_filter_needs_a_capacity_and_a_rate(capacity: int, error: float) -> None:
    with pytest.raises(ValueError):
        KeyFilter(capacity, error)


def test_a_new_key_is_new_without_the_disk() -> None:
    index = DedupIndex(KeyFilter(1000, 0.001), 10)
    known, unsure = index.classify([("p1", "a"), ("p2", "b")])
    assert (known, unsure, index.disk_lookups) == ({}, [], 0)


def test_keys_decided_but_not_durable_are_known_however_small_the_cache() -> None:
    index = DedupIndex(KeyFilter(1000, 0.001), 1)
    batch = [record(n, f"c{n}") for n in range(1, 6)]
    for r in batch:
        index.add(r)
    known, unsure = index.classify([("p1", "c1"), ("p1", "c5")])
    assert known == {("p1", "c1"): batch[0], ("p1", "c5"): batch[4]} and unsure == []
    index.durable(batch)
    assert index.pending == 0 and len(index) == 1  # only the newest stays in memory
    known, unsure = index.classify([("p1", "c1"), ("p1", "c5")])
    assert known == {("p1", "c5"): batch[4]}
    assert unsure == [("p1", "c1")]  # in the filter, no longer in memory: the disk decides


def test_an_index_starts_with_the_newest_records() -> None:
    key_filter = KeyFilter(1000, 0.001)
    recent = [record(n, f"c{n}") for n in range(1, 4)]
    for r in recent:
        key_filter.add((r.principal or "", r.cmd or ""))
    index = DedupIndex(key_filter, 2, recent)
    known, unsure = index.classify([("p1", "c1"), ("p1", "c2"), ("p1", "c3")])
    assert set(known) == {("p1", "c2"), ("p1", "c3")} and unsure == [("p1", "c1")]


async def test_a_hunt_serves_at_once_and_dedups_exactly_while_its_filter_is_built(open_hunt: OpenHunt) -> None:
    """Building the filter of a long log takes seconds: the hunt does not wait for it, and
    until it is installed every key not in memory is confirmed on disk."""
    async with open_hunt(engine={"dedup_cache": 0}) as engine:
        [first] = await engine.submit(HUNT_ID, [PingLocation("p1", "early", 1.0, 2.0)])
    async with open_hunt(engine={"dedup_cache": 0}) as engine:
        [again, fresh] = await engine.submit(HUNT_ID, [PingLocation("p1", "early", 1.0, 2.0),
                                                       PingLocation("p1", "later", 1.0, 2.0)])
        assert isinstance(again, Ack) and again.duplicate and again.seq == first.seq
        assert isinstance(fresh, Ack) and not fresh.duplicate
        await wait_until(lambda: engine.statistics().hunt(HUNT_ID).dedup_filter_ready)  # type: ignore[union-attr]
        [later, early] = await engine.submit(HUNT_ID, [PingLocation("p1", "later", 1.0, 2.0),
                                                       PingLocation("p1", "early", 1.0, 2.0)])
        assert (later.seq, later.duplicate, early.seq, early.duplicate) == (fresh.seq, True, first.seq, True)  # type: ignore[union-attr]


def test_keys_decided_before_the_filter_is_installed_are_added_to_it() -> None:
    index = DedupIndex(None, 0)
    index.add(record(7, "meanwhile"))
    assert index.classify([("p1", "new")]) == ({}, [("p1", "new")])  # no filter yet: the disk decides
    index.durable([record(7, "meanwhile")])
    built = KeyFilter(1000, 0.001)
    index.install(built)
    assert ("p1", "meanwhile") in built
    assert index.classify([("p1", "new")]) == ({}, [])


def test_a_filter_for_a_long_log_starts_with_room_for_it() -> None:
    short, long = KeyFilter(4_000_000, 0.001), KeyFilter(4_000_000, 0.001, expected=1_000_000)
    assert len(short._layers) == len(long._layers) == 1
    assert long._layers[0].capacity == 2_000_000 and short._layers[0].capacity < 20_000
    assert KeyFilter(100, 0.001, expected=1_000_000)._layers[0].capacity == 100  # never past the capacity
