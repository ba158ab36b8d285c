"""Exact, durable deduplication whose cost does not grow with the log.

A command's idempotency key is ``(principal, cmd)``. The log's unique index on it is the
truth (it is written in the same transaction as the event, so it survives restarts). In
memory, a hunt holds three small things instead of every key:

- a Bloom filter over every key of the log (:class:`KeyFilter`, rebuilt on load, a fixed size
  from config): a key it does not hold is certainly new, so a new command almost never
  touches the disk;
- the keys of commands decided but not yet durable (a batch being committed), which the disk
  cannot answer for yet;
- the most recent durable keys with their records, so a client's retry is answered from memory.

A key the filter holds but memory does not is looked up on disk, one indexed point lookup per
key (``SqliteHuntStore.find_commands``): a false positive of the filter (about
``dedup_filter_error`` of new keys while the log holds fewer than ``dedup_filter_keys`` keys;
more beyond, but the answer stays exact) or an old retry.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from ..config import EngineConfig
from ..domain import Recorded
from ..store import SqliteHuntStore

__all__ = ["DedupIndex", "Key", "KeyFilter", "load_dedup_index"]

Key = tuple[str, str]
_HASHES = 4  # bits set per key: cheaper than the optimum (~7 at 1%) for ~10% more memory


class KeyFilter:
    """A Bloom filter of idempotency keys: no false negatives, a bounded false-positive rate.

    Sized for ``capacity`` keys at ``error`` false positives; it never grows (more keys raise
    the rate, never the memory). Keys hash with Python's ``hash`` (randomised per process,
    which is fine: the filter is rebuilt on every load, never stored).
    """

    __slots__ = ("_bits", "_size", "count")

    def __init__(self, capacity: int, error: float) -> None:
        if capacity < 1 or not 0 < error < 1:
            raise ValueError(f"a key filter needs capacity >= 1 and 0 < error < 1, got {capacity}, {error}")
        # m bits for n keys, k hashes and rate p: p = (1 - e^(-kn/m))^k.
        size = math.ceil(-_HASHES * capacity / math.log(1 - error ** (1 / _HASHES)))
        self._size = max(64, size)
        self._bits = bytearray((self._size + 7) // 8)
        self.count = 0

    @property
    def nbytes(self) -> int:
        return len(self._bits)

    def add(self, key: Key) -> None:
        h = hash(key)
        a, b, size, bits = h & 0xFFFFFFFF, (h >> 32 & 0xFFFFFFFF) | 1, self._size, self._bits
        for i in range(_HASHES):
            x = (a + i * b) % size
            bits[x >> 3] |= 1 << (x & 7)
        self.count += 1

    def __contains__(self, key: Key) -> bool:
        h = hash(key)
        a, b, size, bits = h & 0xFFFFFFFF, (h >> 32 & 0xFFFFFFFF) | 1, self._size, self._bits
        for i in range(_HASHES):
            x = (a + i * b) % size
            if not bits[x >> 3] & (1 << (x & 7)):
                return False
        return True


class DedupIndex:
    """What a hunt's actor knows about idempotency keys without asking the disk.

    ``classify`` sorts a batch's keys into known (with their record), to look up on disk, or
    certainly new. ``add`` a record once it is decided, ``durable`` once it is committed.
    """

    def __init__(self, key_filter: KeyFilter, recent_capacity: int, recent: Sequence[Recorded] = ()) -> None:
        self.filter = key_filter
        self.recent_capacity = recent_capacity
        self._recent: OrderedDict[Key, Recorded] = OrderedDict()
        self._pending: dict[Key, Recorded] = {}
        self.disk_lookups = 0
        for record in recent:
            self._remember(record)

    def classify(self, keys: Iterable[Key]) -> tuple[dict[Key, Recorded], list[Key]]:
        """Split keys into ``(known records, keys to look up on disk)``; the rest are new."""
        known: dict[Key, Recorded] = {}
        unsure: list[Key] = []
        pending, recent, key_filter = self._pending, self._recent, self.filter
        for key in keys:
            earlier = pending.get(key) or recent.get(key)
            if earlier is not None:
                known[key] = earlier
            elif key in key_filter:
                unsure.append(key)
        self.disk_lookups += len(unsure)
        return known, unsure

    def add(self, record: Recorded) -> None:
        """A decided record (not durable yet): its key is taken from now on."""
        if record.cmd is None:
            return
        key = (record.principal or "", record.cmd)
        self._pending[key] = record
        self.filter.add(key)

    def durable(self, records: Iterable[Recorded]) -> None:
        """These records are committed: the disk answers for them now."""
        pending = self._pending
        for record in records:
            if record.cmd is not None:
                key = (record.principal or "", record.cmd)
                if pending.pop(key, None) is not None:
                    self._remember(record)

    def _remember(self, record: Recorded) -> None:
        if record.cmd is None or self.recent_capacity == 0:
            return
        self._recent[(record.principal or "", record.cmd)] = record
        if len(self._recent) > self.recent_capacity:
            self._recent.popitem(last=False)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def __len__(self) -> int:
        return len(self._recent) + len(self._pending)


def load_dedup_index(store: SqliteHuntStore, config: EngineConfig) -> DedupIndex:
    """Build a hunt's index from its log: every key into the filter, the newest into memory.

    Blocks (reads every key of the log once, through the covering index): call it from a
    worker thread when the hunt is loaded.
    """
    key_filter = KeyFilter(config.dedup_filter_keys, config.dedup_filter_error)
    for key in store.command_keys():
        key_filter.add(key)
    recent, _ = store.recent_keys(config.dedup_cache)
    return DedupIndex(key_filter, config.dedup_cache, recent)
