"""A hunt's hub: the settled live state, the recent feed, and responses cached per version.

The hub outlives actor incarnations, so connections subscribe to it, not to an actor.
Readers call :meth:`HuntHub.settled` before reading the state: while the actor awaits a
commit the state holds tentative (not yet durable) events that nobody may see.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from hashlib import blake2b
from typing import Any

import trio

from ..domain import HuntState, Recorded
from ._feed import FeedItem, feed_item

__all__ = ["HuntHub"]


class HuntHub:
    def __init__(self, hunt_id: str, feed_buffer: int, public_keep: int = 0) -> None:
        self.hunt_id = hunt_id
        self.state: HuntState | None = None
        self.seq = 0  # the last committed (and published) sequence number
        self.feed: deque[FeedItem] = deque(maxlen=feed_buffer)
        # The latest feed items for everybody, for players who join (durable facts: kept across
        # reattachments). Until `public_primed`, older ones are only on disk (Engine.recent_public_feed).
        self.recent_public: deque[FeedItem] = deque(maxlen=public_keep)
        self.public_primed = False
        # Every feed item with seq > feed_floor is in `feed`; older ones are only on disk.
        self.feed_floor = 0
        self._attached_once = False
        self.subscribers = 0
        self._changed = trio.Event()
        self._settled = trio.Event()
        self._settled.set()
        self._cache: dict[Any, tuple[int, bytes, str]] = {}
        # Wake-ups of connections waiting for feed news, by player (None: public news only).
        self._news: dict[str | None, trio.Event] = {}

    # -- the actor's side ------------------------------------------------------------------

    def attach(self, state: HuntState) -> None:
        if not self._attached_once or state.seq != self.seq:
            self.feed.clear()
            self.feed_floor = state.seq
        self._attached_once = True
        self.state = state
        self.seq = state.seq
        self._cache.clear()
        self._wake()
        self._wake_news(None)

    def detach(self) -> None:
        self.state = None
        self._cache.clear()

    def begin_commit(self) -> None:
        self._settled = trio.Event()

    def end_commit(self, records: Iterable[Recorded]) -> None:
        """The batch is durable: publish its feed items and wake every waiter."""
        state = self.state
        if state is not None:
            for record in records:
                item = feed_item(record, state)
                if item is not None:
                    if len(self.feed) == self.feed.maxlen:
                        self.feed_floor = self.feed[0][0]
                    self.feed.append(item)
                    if item[1] is None and self.recent_public.maxlen:
                        self.recent_public.append(item)
                    if self._news and item[1] is not None:
                        self._wake_news(item[1])
            self.seq = state.seq
        self._settled.set()
        self._wake()

    def abort_commit(self) -> None:
        self.state = None
        self._cache.clear()
        self._settled.set()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    def _wake_news(self, audience: frozenset[str] | None) -> None:
        if audience is None:
            events = list(self._news.values())
            self._news.clear()
        else:
            events = [event for player in audience if (event := self._news.pop(player, None)) is not None]
        for event in events:
            event.set()

    # -- the readers' side -----------------------------------------------------------------

    async def settled(self) -> HuntState | None:
        """Wait until no commit is in flight; return the state (None if not loaded).

        The caller must read what it needs before its next await.
        """
        while not self._settled.is_set():
            await self._settled.wait()
        return self.state

    async def wait_beyond(self, seq: int) -> None:
        """Block until something newer than ``seq`` was committed (or the hub was reattached)."""
        while self.seq <= seq:
            await self._changed.wait()

    def feed_after(self, seq: int) -> list[FeedItem] | None:
        """Feed items with seq > ``seq`` from memory, or None if some are only on disk."""
        if seq < self.feed_floor:
            return None
        feed = self.feed
        if not feed or feed[-1][0] <= seq:
            return []  # the common case for a connection that is up to date
        start = bisect_right(feed, seq, key=_seq_of)  # items are in seq order
        return list(itertools.islice(feed, start, None))

    def news_event(self, player: str | None) -> trio.Event:
        """An event set once a feed item addressed to ``player`` is published (or the hub is
        reattached). Only that player's connections wake: a busy hunt commits many times a
        second, and waking every connection on every commit was most of the server's work.
        News for everybody (a first find, a status change) does not set it: a thousand
        connections pushing it at once held every ack behind them for a second or two, so it
        goes out with each connection's next leaderboard push, which the hunt's push budget
        already spreads out (``limits.leaderboard_pushes_per_s``)."""
        event = self._news.get(player)
        if event is None:
            event = self._news[player] = trio.Event()
        return event

    def has_news_for(self, player: str | None, after: int) -> bool:
        """Whether a feed item for ``player`` (or for everybody) has a seq > ``after``; True
        also when some of those items are only on disk. Reads only the items after ``after``:
        a connection asks after each commit, and later finds go to the finder's side alone."""
        items = self.feed_after(after)
        if items is None:
            return True
        return any(audience is None or player in audience for _, audience, _ in items)

    def cached(self, key: Any, build: Callable[[], Any], encode: Callable[[Any], bytes]) -> tuple[bytes, str]:
        """A response serialised once per committed version, with its ETag."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.seq:
            return hit[1], hit[2]
        body = encode(build())
        etag = '"' + blake2b(body, digest_size=12).hexdigest() + '"'
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = (self.seq, body, etag)
        return body, etag


def _seq_of(item: FeedItem) -> int:
    return item[0]
