"""A hunt's hub: where its actor publishes what is durable, and where readers wait for it.

The hub outlives actor incarnations, so connections watch it, not an actor. It holds the
settled live state (readers call :meth:`HuntHub.settled` first: while a commit is in flight
the state holds tentative events that nobody may see), wakes waiters when a batch becomes
durable, and counts subscribers (a hunt with subscribers is not unloaded). The recent feed
(:class:`FeedBuffer`) and the encoded views (:class:`ViewCache`) are its parts. The hub is the
engine's own: the API sees a hunt through :class:`LiveHunt`, a read-only door.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import trio

from ..domain import HuntState, Recorded
from ._feed import PUBLIC_FEED_TYPES, FeedBuffer, FeedItem, feed_item
from ._views import ViewCache

__all__ = ["HuntHub", "LiveHunt"]


class HuntHub:
    def __init__(self, hunt_id: str, feed_buffer: int, public_keep: int = 0) -> None:
        self.hunt_id = hunt_id
        self.state: HuntState | None = None
        self.seq = 0  # the last committed (and published) sequence number
        self.feed = FeedBuffer(feed_buffer)
        self.views = ViewCache()
        # The latest feed items for everybody, for players who join (durable facts: kept across
        # reattachments). Until `public_primed`, older ones are only on disk (Engine.recent_public_feed).
        self.recent_public: deque[FeedItem] = deque(maxlen=public_keep)
        self.public_primed = False
        self.subscribers = 0
        self.waiting_readers = 0  # tasks in settled(): the actor lets them in between batches
        self.pipelined = 0  # batches decided while the one before was being committed
        self.dedup_filter_ready = False  # this incarnation's dedup filter is built
        self._attached_once = False
        self._changed = trio.Event()
        self._settled = trio.Event()
        self._settled.set()
        # Wake-ups of connections waiting for feed news, by player (None: public news only).
        self._news: dict[str | None, trio.Event] = {}
        # Called with each durable batch before its acks (``Engine.observe_commits``).
        self.observer: Callable[[str, Sequence[Recorded]], None] | None = None

    # -- the actor's side ------------------------------------------------------------------

    def attach(self, state: HuntState) -> None:
        if not self._attached_once or state.seq != self.seq:
            self.feed.reset(state.seq)
        self._attached_once = True
        self.dedup_filter_ready = False
        self.state = state
        self.seq = state.seq
        self.views.clear()
        self._wake()
        self._wake_news(None)

    def detach(self) -> None:
        self.state = None
        self.views.clear()

    def begin_commit(self) -> None:
        """The state now holds events that are not durable: readers wait."""
        if self._settled.is_set():
            self._settled = trio.Event()

    def end_commit(self, records: Sequence[Recorded], upto: int, *, settled: bool) -> None:
        """A batch is durable up to ``upto``: publish its feed items and wake every waiter.

        ``settled`` when nothing decided after it is in the state (else readers keep waiting).
        """
        if self.observer is not None and records:
            self.observer(self.hunt_id, records)
        state = self.state
        if state is not None:
            for record in records:
                item = feed_item(record, state)
                if item is not None:
                    self.feed.publish(item)
                    if item[1] is None and self.recent_public.maxlen and record.event.TYPE in PUBLIC_FEED_TYPES:
                        self.recent_public.append(item)
                    if self._news and item[1] is not None:
                        self._wake_news(item[1])
            self.seq = upto
        if settled:
            self._settled.set()
        self._wake()

    def abort_commit(self) -> None:
        self.state = None
        self.views.clear()
        self._settled.set()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    def _wake_news(self, audience: Iterable[str] | None) -> None:
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
            self.waiting_readers += 1
            try:
                await self._settled.wait()
            finally:
                self.waiting_readers -= 1
        return self.state

    async def wait_beyond(self, seq: int) -> None:
        """Block until something newer than ``seq`` was committed (or the hub was reattached)."""
        while self.seq <= seq:
            await self._changed.wait()

    def news_event(self, player: str | None) -> trio.Event:
        event = self._news.get(player)
        if event is None:
            event = self._news[player] = trio.Event()
        return event


class LiveHunt:
    """What a connection may see of a hunt's live side: committed seq, feed, wake-ups, views.

    Read-only; get one with ``Engine.live(hunt_id)``. Everything here is durable: the hub only
    publishes a batch once it is committed.
    """

    __slots__ = ("_hub",)

    def __init__(self, hub: HuntHub) -> None:
        self._hub = hub

    @property
    def seq(self) -> int:
        """The last committed seq."""
        return self._hub.seq

    @property
    def feed_floor(self) -> int:
        """Every feed item with a seq above this is in memory; older ones come from the log."""
        return self._hub.feed.floor

    @property
    def last_feed_seq(self) -> int:
        """The seq of the newest feed item in memory (``feed_floor`` when there is none)."""
        return self._hub.feed.last_seq

    @property
    def subscribers(self) -> int:
        return self._hub.subscribers

    def feed_after(self, seq: int) -> list[FeedItem] | None:
        """Feed items with seq > ``seq`` from memory, or None if some are only on disk."""
        return self._hub.feed.after(seq)

    async def wait_beyond(self, seq: int) -> None:
        """Block until something newer than ``seq`` was committed (or the hunt was reloaded)."""
        await self._hub.wait_beyond(seq)

    def news_event(self, player: str | None) -> trio.Event:
        """An event set once a feed item addressed to ``player`` is published (or the hunt is
        reloaded). Only that player's connections wake: a busy hunt commits many times a
        second, and waking every connection on every commit was most of the server's work.
        News for everybody (a first find, a status change) does not set it: a thousand
        connections pushing it at once held every ack behind them for a second or two, so it
        goes out with each connection's next leaderboard push, which the hunt's push budget
        already spreads out (``limits.leaderboard_pushes_per_s``)."""
        return self._hub.news_event(player)

    def has_news_for(self, player: str | None, after: int) -> bool:
        """Whether a feed item for ``player`` (or for everybody) has a seq > ``after``; True
        also when some of those items are only on disk. Reads only the items after ``after``:
        a connection asks after each commit, and later finds go to the finder's side alone."""
        items = self._hub.feed.after(after)
        if items is None:
            return True
        return any(audience is None or player in audience for _, audience, _ in items)

    def cached(self, key: Hashable, build: Callable[[], Any], encode: Callable[[Any], bytes]) -> tuple[bytes, str]:
        """A view built from the settled state the caller holds, encoded once per committed seq."""
        return self._hub.views.get(key, self._hub.seq, build, encode)
