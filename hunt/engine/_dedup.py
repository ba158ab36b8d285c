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
key (``HuntStore.find_commands``): a false positive of the filter (about
``dedup_filter_error`` of new keys while the log holds fewer than ``dedup_filter_keys`` keys;
more beyond, but the answer stays exact) or an old retry.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from ..config import EngineConfig
from ..domain import Recorded
from ..store import HuntStore

__all__ = ["DedupIndex", "Key", "KeyFilter", "build_filter", "load_dedup_index"]

Key = tuple[str, str]
_HASHES = 4  # bits set per key: cheaper than the optimum (~7 at 1%) for ~10% more memory
FIRST_LAYER = 16_384  # keys the first layer of a filter is sized for (~40 KB at 0.1%)


class _Layer:
    """One fixed-size Bloom filter: four bits per key, sized for ``capacity`` keys at ``error``."""

    __slots__ = ("_bits", "_size", "capacity", "count")

    def __init__(self, capacity: int, error: float) -> None:
        # m bits for n keys, k hashes and rate p: p = (1 - e^(-kn/m))^k.
        self._size = max(64, math.ceil(-_HASHES * capacity / math.log(1 - error ** (1 / _HASHES))))
        self._bits = bytearray((self._size + 7) // 8)
        self.capacity = capacity
        self.count = 0

    @property
    def nbytes(self) -> int:
        return len(self._bits)

    def add(self, h: int) -> None:
        a, b, size, bits = h & 0xFFFFFFFF, (h >> 32 & 0xFFFFFFFF) | 1, self._size, self._bits
        for i in range(_HASHES):
            x = (a + i * b) % size
            bits[x >> 3] |= 1 << (x & 7)
        self.count += 1

    def __contains__(self, h: int) -> bool:
        a, b, size, bits = h & 0xFFFFFFFF, (h >> 32 & 0xFFFFFFFF) | 1, self._size, self._bits
        for i in range(_HASHES):
            x = (a + i * b) % size
            if not bits[x >> 3] & (1 << (x & 7)):
                return False
        return True


class KeyFilter:
    """A Bloom filter of idempotency keys: no false negatives, a bounded false-positive rate.

    It grows with the log, up to a bound: it starts sized for ``FIRST_LAYER`` keys (or twice
    the ``expected`` keys, when loading a log of known length), and each
    time the newest layer is full it adds one twice as large, until the layers together are
    sized for ``capacity`` keys; past that the last layer takes every new key (the rate rises,
    never the memory). So a short hunt costs kilobytes and a long one at most what ``capacity``
    at ``error`` costs (about 2.6 bytes a key at 0.1%). A key is looked for in every layer
    (a handful); the rate is at most ``error`` per layer. Keys hash with Python's ``hash``
    (randomised per process, which is fine: the filter is rebuilt on every load, never stored).
    """

    __slots__ = ("_error", "_layers", "_room", "count")

    def __init__(self, capacity: int, error: float, expected: int = 0) -> None:
        if capacity < 1 or not 0 < error < 1:
            raise ValueError(f"a key filter needs capacity >= 1 and 0 < error < 1, got {capacity}, {error}")
        self._error = error
        # A log known to be long gets one layer with room to double, not a dozen small ones
        # (a key is looked for in every layer).
        first = min(capacity, max(FIRST_LAYER, 2 * expected))
        self._layers = [_Layer(first, error)]
        self._room = capacity - first  # capacity not yet given to a layer
        self.count = 0

    @property
    def nbytes(self) -> int:
        return sum(layer.nbytes for layer in self._layers)

    def add(self, key: Key) -> None:
        last = self._layers[-1]
        if last.count >= last.capacity and self._room > 0:
            size = min(2 * last.capacity, self._room)
            self._room -= size
            last = _Layer(size, self._error)
            self._layers.append(last)
        last.add(hash(key))
        self.count += 1

    def __contains__(self, key: Key) -> bool:
        h = hash(key)
        return any(h in layer for layer in self._layers)


class DedupIndex:
    """What a hunt's actor knows about idempotency keys without asking the disk.

    ``classify`` sorts a batch's keys into known (with their record), to look up on disk, or
    certainly new. ``add`` a record once it is decided, ``durable`` once it is committed.
    """

    def __init__(self, key_filter: KeyFilter | None, recent_capacity: int, recent: Sequence[Recorded] = ()) -> None:
        self.filter = key_filter
        # Until the filter is built (a long log takes seconds, off the actor): the keys decided
        # meanwhile, to add to it once it is installed; every key not in memory goes to the disk.
        self._unfiltered: list[Key] | None = [] if key_filter is None else None
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
            elif key_filter is None or key in key_filter:
                unsure.append(key)
        self.disk_lookups += len(unsure)
        return known, unsure

    def add(self, record: Recorded) -> None:
        """A decided record (not durable yet): its key is taken from now on."""
        if record.cmd is None:
            return
        key = (record.principal or "", record.cmd)
        self._pending[key] = record
        if self.filter is not None:
            self.filter.add(key)
        elif self._unfiltered is not None:
            self._unfiltered.append(key)

    def no_filter(self) -> None:
        """The filter could not be built: every key not in memory goes to the disk from now on."""
        self._unfiltered = None

    def install(self, key_filter: KeyFilter) -> None:
        """Take the filter built from the log (with every key the log held when the build began)."""
        for key in self._unfiltered or ():
            key_filter.add(key)
        self.filter, self._unfiltered = key_filter, None

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


def load_dedup_index(store: HuntStore, config: EngineConfig) -> DedupIndex:
    """A hunt's index with the newest keys in memory and no filter yet (see :func:`build_filter`).

    Blocks (one indexed read): call it from a worker thread when the hunt is loaded.
    """
    recent, _ = store.recent_keys(config.dedup_cache)
    return DedupIndex(None, config.dedup_cache, recent)


def build_filter(open_reader: Callable[[], HuntStore], config: EngineConfig,
                 stop: Callable[[], bool]) -> KeyFilter | None:
    """A filter of every key in the hunt's log, read through a reader of its own (``open_reader()``).

    Blocks (a long log: 2M keys take seconds): run it on a thread while the hunt already
    serves commands. Returns None if ``stop()`` turns true meanwhile (the hunt was unloaded).
    """
    reader = open_reader()
    try:
        key_filter = KeyFilter(config.dedup_filter_keys, config.dedup_filter_error, reader.counts()["events"])
        for n, key in enumerate(reader.command_keys()):
            key_filter.add(key)
            if n % 65_536 == 0 and stop():
                return None
    finally:
        reader.close()
    return key_filter
