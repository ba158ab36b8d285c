"""Token buckets, alone and in bounded tables keyed by client address, player or connection.

A bucket holds up to ``burst`` tokens and gains ``rate`` a second; an action takes one. When
none is left the action is refused with the time until one will be there (``retry_after_ms``
for the client), and the bucket is not charged: a refused action costs the client nothing
but the wait, and the server nothing but the refusal.

A :class:`BucketTable` keeps at most ``max_entries`` buckets. A full bucket is the same as
no bucket, so when the table is at its size it first forgets the buckets that have refilled,
then the oldest ones; memory stays bounded whatever the number of keys. (Oldest by creation,
not by use: keeping the order of use cost a dict pop and insert on every command.)
"""

from __future__ import annotations

import math
from collections.abc import Hashable

__all__ = ["BucketTable", "TokenBucket", "retry_after_ms"]


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_s(self, now: float, n: float = 1) -> float:
        """Seconds until ``n`` tokens are there (0 if they are now)."""
        self._refill(now)
        missing = n - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate

    def take(self, now: float, n: float = 1) -> float:
        """Take ``n`` tokens and return 0, or take nothing and return the seconds to wait."""
        wait = self.wait_s(now, n)
        if wait == 0:
            self.tokens -= n
        return wait

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


class BucketTable:
    """Buckets of one rate and burst, one per key, at most ``max_entries`` of them."""

    def __init__(self, rate: float, burst: float, max_entries: int) -> None:
        self.rate = rate
        self.burst = burst
        self.max_entries = max_entries
        self._buckets: dict[Hashable, TokenBucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def get(self, key: Hashable, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_entries:
                self._evict(now)
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, now)
        return bucket

    def _evict(self, now: float) -> None:
        # One pass frees many entries (idle ones, else the oldest eighth), so the scan is paid
        # once per many new keys, not on each.
        for key in [k for k, b in self._buckets.items() if b.full(now)]:
            del self._buckets[key]
        if len(self._buckets) >= self.max_entries:
            for key in list(self._buckets)[: max(1, self.max_entries // 8)]:
                del self._buckets[key]


def retry_after_ms(wait_s: float) -> int:
    return max(1, math.ceil(wait_s * 1000))
