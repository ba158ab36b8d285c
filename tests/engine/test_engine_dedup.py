"""Deduplication without scanning: a Bloom filter over every key, memory for the rest, point lookups."""

from __future__ import annotations

import pytest

from hunt.domain import PingLocation, Recorded
from hunt.engine._dedup import DedupIndex, KeyFilter


def record(seq: int, cmd: str, principal: str = "p1") -> Recorded:
    return Recorded(seq, 1000 + seq, PingLocation(principal, cmd, 1.0, 2.0), cmd, principal)  # type: ignore[arg-type]


def test_the_filter_has_no_false_negatives_and_few_false_positives() -> None:
    key_filter = KeyFilter(20_000, 0.01)
    added = [(f"p{n % 97}", f"c{n}") for n in range(20_000)]
    for key in added:
        key_filter.add(key)
    assert all(key in key_filter for key in added)
    others = sum((f"p{n % 97}", f"other{n}") in key_filter for n in range(20_000))
    assert others < 20_000 * 0.02  # sized for 1% at capacity
    assert key_filter.nbytes < 20_000 * 11 / 8 + 16  # ~10.5 bits a key for 1% with four hashes


def test_the_filter_never_grows_past_its_size() -> None:
    key_filter = KeyFilter(100, 0.01)
    size = key_filter.nbytes
    for n in range(10_000):
        key_filter.add(("p", f"c{n}"))
    assert key_filter.nbytes == size
    assert ("p", "c9999") in key_filter


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
