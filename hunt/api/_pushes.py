"""What one connection is told without asking: feed items, the hunt's status, the leaderboard.

:class:`Pushes` belongs to a :class:`~._connection.Connection`; its writer calls
:meth:`Pushes.push` when the hunt moved or a push is due, and :meth:`Pushes.watch` runs as the
connection's third task:

- feed items after the connection's cursor (from the hub's memory, or from disk when it fell
  behind: nothing is skipped and nothing queues up per connection), the hunt's status when it
  changed, and the leaderboard at most once per ``leaderboard_push_interval_ms`` (latest wins);
- the **watcher** wakes the writer when the hunt commits: at once (at most every
  ``PUSH_TICK_S``) for feed news, else when the next leaderboard push is allowed.

The hunt's actor never waits on a connection: it only publishes to the hub.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import trio

from ..engine import LiveHunt
from ..protocol import frames
from ._context import ApiContext
from ._views import dynamic_values, you_row

__all__ = ["PUSH_TICK_S", "Pushes"]

PUSH_TICK_S = 0.05  # the writer looks at the hub at most this often (coalesces busy hunts)


class Pushes:
    def __init__(self, ctx: ApiContext, hunt_id: str, hub: LiveHunt, send: Callable[[str], Awaitable[None]],
                 wake: Callable[[], None]) -> None:
        self.ctx = ctx
        self.engine = ctx.engine
        self.limits = ctx.config.limits
        self.hunt_id = hunt_id
        self.hub = hub
        self._send = send
        self._wake = wake
        self.player: str | None = None
        self.moved = False  # set by the watcher: the writer should look at the hub
        self._feed_cursor = 0  # every feed item with seq <= this was sent (or is not for us)
        self._status: str | None = None
        self._board_checked = -1  # the seq whose leaderboard was last looked at
        self._board_sent: Any = None  # what was last pushed (top's ETag, your row)
        self._board_next = -math.inf  # trio time before which no leaderboard is pushed
        self._frozen_sent = False  # whether the last leaderboard checked was frozen (a freeze may come due)
        self._bound = trio.Event()  # set by the first bind: only then is the hunt watched
        self.wakeups = 0  # times the watcher woke for a commit

    def bind(self, player: str, cursor: int) -> None:
        """Push to ``player`` from now on, feed items after ``cursor`` first."""
        if player != self.player:
            self._board_sent = None
            self._status = None
        self.player = player
        self._feed_cursor = cursor
        self.moved = True
        self._bound.set()

    async def push(self) -> float:
        """Send the pushes that are due; return when (trio time) the next one will be."""
        await self._push_feed()
        state = await self.engine.state(self.hunt_id)
        # Read everything from the settled state before the next await.
        now_ms, now = self.ctx.now_ms(), trio.current_time()
        due: list[str] = []
        status = state.status_at(now_ms)
        if self._feed_cursor < state.seq and self.hub.last_feed_seq > self._feed_cursor:
            # A commit landed while the feed went out: its feed items go first, next round,
            # so a status never overtakes the news that explains it.
            self.moved = True
            self._wake()
        elif status != self._status:
            self._status = status
            due.append(frames.text(frames.hunt_status(status, state.seq)))
        deadline = math.inf
        frozen = state.frozen_at(now_ms)
        if state.seq != self._board_checked or frozen != self._frozen_sent:
            if now >= self._board_next:
                self._board_checked, self._frozen_sent = state.seq, frozen
                board = self._leaderboard(state, frozen)
                # The interval spaces the checks too: a check finds nothing new for most
                # connections of a busy hunt (pings score nothing), and checking after every
                # commit woke each of them 20 times a second (1,000 connections: 1/3 of the acks).
                # Jittered (x0.5-1.5, the mean is the interval): players who joined together
                # would otherwise be due together, and a burst of 1,000 pushes in one scheduler
                # round delays every ack behind it (p50 121 ms -> 2 ms at 500 commands/s).
                # A hunt's pushes share a budget: with many players each one's interval grows
                # (1,000 players and 250 pushes/s: one every 4 s), so fan-out stays bounded.
                interval = max(self.limits.leaderboard_push_interval_ms / 1000,
                               self.hub.subscribers / self.limits.leaderboard_pushes_per_s)
                self._board_next = now + interval * random.uniform(0.5, 1.5)
                if board is not None:
                    due.append(board)
            else:
                deadline = self._board_next
        definition = state.definition
        for boundary in (definition.starts_at, definition.ends_at, state.freeze_at):
            if boundary is not None and boundary > now_ms:
                deadline = min(deadline, now + (boundary - now_ms) / 1000 + 0.001)
        for text in due:
            await self._send(text)
        return deadline

    def _leaderboard(self, state: Any, frozen: bool) -> str | None:
        """The leaderboard frame, or None when neither the top, the clue values nor your line
        changed. ``values``: what each clue whose value falls as it is found would score now
        (omitted in hunts without such clues)."""
        top_n = self.limits.leaderboard_top
        top, etag = self.hub.cached(("push-top", top_n), lambda: state.public_top(top_n), orjson.dumps)
        values, values_etag = self.hub.cached("push-values", lambda: dynamic_values(state), orjson.dumps)
        you = you_row(state, self.player or "")
        # A side in a division is sent its division's board too (one encoding per division).
        division = you.get("division") if you else None
        board = None
        if division is not None:
            board = division, self.hub.cached(("push-top", top_n, division),
                                              lambda: state.public_top(top_n, division=division), orjson.dumps)
        key = (etag, values_etag, tuple(sorted(you.items())) if you else None, frozen, board and board[1][1])
        if key == self._board_sent:
            return None
        self._board_sent = key
        return frames.text(frames.leaderboard(state.seq, top, you, values if values != b"{}" else None,
                                              frozen=frozen, division=board and (board[0], board[1][0])))

    async def _push_feed(self) -> None:
        hub, cursor = self.hub, self._feed_cursor
        if hub.seq <= cursor:
            return
        if cursor >= hub.feed_floor and hub.last_feed_seq <= cursor:
            self._feed_cursor = hub.seq  # nothing newsworthy since (pings, wrong answers, ...)
            return
        items, upto = hub.feed_after(cursor), hub.seq
        if items is None:  # fell behind the hub's memory: catch up from the log, a page at a time
            items, upto = await self.engine.feed_since(self.hunt_id, cursor, self.player)
            if upto < hub.seq:  # the writer comes back for the next page
                self.moved = True
                self._wake()
        for seq, audience, item in items:
            if audience is None or self.player in audience:
                await self._send(frames.text(frames.feed(item)))
            self._feed_cursor = seq
        self._feed_cursor = max(self._feed_cursor, upto)

    async def watch(self) -> None:
        # A connection without a player has nothing to push: it does not watch the hunt at all,
        # so sockets that never join cost no work per commit.
        await self._bound.wait()
        hub = self.hub
        seen, quiet_until = hub.seq, -math.inf
        while True:
            await hub.wait_beyond(seen)
            self.wakeups += 1
            cursor = self._feed_cursor
            news = cursor < hub.feed_floor or hub.has_news_for(self.player, max(seen, cursor))
            seen = hub.seq
            if not news:
                # Only the leaderboard changed (pings, someone else's later find...): wait for its
                # next push (news for everybody goes with it: LiveHunt.news_event) or for news for
                # this player, not for every commit of a busy hunt.
                with trio.move_on_at(max(quiet_until, self._board_next)):
                    await hub.news_event(self.player).wait()
            if quiet_until > trio.current_time():  # news goes out at most every PUSH_TICK_S
                await trio.sleep_until(quiet_until)
            self.moved = True
            self._wake()
            quiet_until = trio.current_time() + PUSH_TICK_S
