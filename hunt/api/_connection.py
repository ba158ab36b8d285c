"""One player websocket (``/ws/hunts/<hunt_id>``, routed by ``_ws``): a :class:`Connection`.

A connection runs three small tasks in one nursery:

- the **reader** takes one frame at a time, submits its command(s) to the engine (a batch is
  one ``submit``) and puts the reply in the connection's bounded outbox; when the outbox is
  full it waits, so a client that does not read stops being read (backpressure on that
  client only);
- the **writer** sends what is in the outbox, then the pushes: feed items after the
  connection's cursor (from the hub's memory, or from disk when it fell behind: nothing is
  skipped and nothing queues up per connection), the hunt's status when it changed, and the
  leaderboard at most once per ``leaderboard_push_interval_ms`` (latest wins);
- the **watcher** wakes the writer when the hunt commits: at once (at most every
  ``PUSH_TICK_S``) for feed news, else when the next leaderboard push is allowed.

The hunt's actor never waits on a connection: it only publishes to the hub.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
from typing import Any

import trio

from ..domain import Rejected
from ..engine import Result
from ..protocol import (
    BatchOp,
    FrameLimits,
    HelloOp,
    JoinOp,
    RequestError,
    WireError,
    frames,
    join_command,
    parse,
    to_command,
)
from ._backoff import Backoff
from ._context import ApiContext
from ._errors import RetryLater, wire_error
from ._identity import greeted_player, join_extras, keyed_join, welcome_extras
from ._pushes import leaderboard_push
from ._views import side_progress, welcome_view

__all__ = ["CLOSE_GOING_AWAY", "CLOSE_IDLE", "CLOSE_POLICY", "CLOSE_TRY_LATER", "PUSH_TICK_S", "Connection",
           "Disconnected"]

log = logging.getLogger("hunt.api.ws")

CLOSE_IDLE = 1000  # normal closure, reason "idle timeout"
CLOSE_GOING_AWAY = 1001  # the server is shutting down
CLOSE_POLICY = 1008  # unknown hunt
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013  # the client kept sending while told to wait (limits.overload_strikes)
PUSH_TICK_S = 0.05  # the writer looks at the hub at most this often (coalesces busy hunts)
FLUSH_ON_CLOSE_S = 1.0  # time to send queued replies and the close frame


class Disconnected(Exception):
    """Raised by a socket's ``receive`` once the client is gone."""


class Connection:
    def __init__(self, ctx: ApiContext, hunt_id: str, socket: Any) -> None:
        self.ctx = ctx
        self.engine = ctx.engine
        self.limits = ctx.config.limits
        self.hunt_id = hunt_id
        self.hub = ctx.engine.live(hunt_id)
        self.socket = socket
        self.frame_limits = FrameLimits(self.limits.max_frame_bytes, self.limits.max_batch_items)
        self._outbox_send, self._outbox_receive = trio.open_memory_channel[str](self.limits.outbox_capacity)
        self.player: str | None = None
        self.greeted = False
        self._feed_cursor = 0  # every feed item with seq <= this was sent (or is not for us)
        self._status: str | None = None
        self._board_checked = -1  # the seq whose leaderboard was last looked at
        self._board_sent: Any = None  # what was last pushed (top's ETag, your row)
        self._board_next = -math.inf  # trio time before which no leaderboard is pushed
        self._kick = trio.Event()
        self._hunt_moved = False  # set by the watcher: the writer should look at the hub
        self._scope: trio.CancelScope | None = None
        self._close: tuple[int, str] | None = None
        self.backoff = Backoff(self.limits.overload_strikes)

    def outbox_used(self) -> int:
        return self._outbox_send.statistics().current_buffer_used

    def shutdown(self) -> None:
        self._close_with(CLOSE_GOING_AWAY, "server shutting down")

    async def run(self) -> None:
        """Serve the connection until the client leaves, it idles out, or the server stops."""
        self.ctx.connections.add(self)
        try:
            async with trio.open_nursery() as nursery:
                self._scope = nursery.cancel_scope
                if self._close is not None:
                    nursery.cancel_scope.cancel()
                nursery.start_soon(self._read_loop)
                nursery.start_soon(self._write_loop)
                nursery.start_soon(self._watch_loop)
        finally:
            self.ctx.connections.discard(self)
            if self.greeted:
                self.engine.unsubscribe(self.hunt_id)
        if self._close is not None:
            # Replies already durable go out first, but a client that does not read cannot hold
            # the handler: after the budget the socket is dropped without a close frame.
            code, reason = self._close
            with trio.move_on_after(FLUSH_ON_CLOSE_S):
                await self._flush_outbox()
                await self.socket.close(code, reason[:120])
                # Drop what the client still sends until it is gone: hypercorn's reader may be
                # stuck handing over a frame nobody reads, and would never see the stream end.
                with contextlib.suppress(Disconnected):
                    while True:
                        await self.socket.receive()

    @property
    def close_request(self) -> tuple[int, str] | None:
        """The close code and reason the server chose for this socket, if it chose one."""
        return self._close

    def _close_with(self, code: int, reason: str) -> None:
        if self._close is None:
            self._close = (code, reason)
        if self._scope is not None:
            self._scope.cancel()

    def _wake(self) -> None:
        self._kick.set()

    # -- the reader ------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        idle_s = self.limits.ws_idle_timeout_s
        try:
            with trio.CancelScope() as idle:  # one scope, re-armed per frame (cheaper than one each)
                while True:
                    idle.deadline = trio.current_time() + idle_s
                    data = await self.socket.receive()
                    idle.deadline = math.inf  # handling a frame (even a slow one) is not idling
                    await self._on_frame(data)
        except Disconnected:  # the client left: nothing to close
            assert self._scope is not None
            self._scope.cancel()
            return
        self._close_with(CLOSE_IDLE, "idle timeout")

    async def _on_frame(self, data: str | bytes) -> None:
        """One frame, start to end: parse, admit, submit, reply. Every failure is one error frame."""
        rid: str | None = None
        try:
            request = parse(data or b"", self.frame_limits)
            rid = request.id
            match request:
                case HelloOp():
                    await self._hello(request)
                case JoinOp():
                    self._admit()
                    await self._join(request)
                case BatchOp():
                    self._admit()
                    await self._batch(request)
                case _:
                    self._admit()
                    command = to_command(request, self.player)
                    [result] = await self.engine.submit(self.hunt_id, [command])
                    self.backoff.admitted()
                    await self._reply(self._result_frame(command.cmd, result))
        except Exception as err:  # carry on: the connection and the hunt are fine
            await self._reply(frames.error(self._error(err), rid or getattr(err, "request_id", None)))

    # -- overload (see _backoff) -----------------------------------------------------------

    def _admit(self) -> None:
        try:
            self.backoff.admit(trio.current_time())
        except RetryLater:
            if self.backoff.struck_out:
                self.ctx.connections.overload_closes += 1
                self._close_with(CLOSE_TRY_LATER, "kept sending while told to retry later")
            raise

    def _error(self, err: BaseException) -> WireError:
        return self.backoff.refused(err, trio.current_time())

    async def _hello(self, hello: HelloOp) -> None:
        state = await self.engine.state(self.hunt_id)
        player = greeted_player(self.ctx.tokens, self.hunt_id, state, hello.token)
        view = welcome_view(state, player, self.ctx.now_ms())
        reply = frames.welcome(hello.id, {**view, **welcome_extras(self.ctx.tokens, self.hunt_id, state, player)})
        since = state.seq if hello.since is None else min(hello.since, state.seq)
        await self._reply(reply)
        self._bind(player.id, since)

    async def _join(self, join: JoinOp) -> None:
        command = join_command(join)  # its cmd is the join id: a secret, hashed before the engine sees it
        state = await self.engine.state(self.hunt_id)
        keyed = keyed_join(self.ctx.tokens, self.hunt_id, state, command, join.team_code)
        [result] = await self.engine.submit(self.hunt_id, [keyed])
        self.backoff.admitted()
        if isinstance(result, Rejected):
            await self._reply(self._result_frame(command.cmd, result))
            return
        player = result.fields["player"]
        # The side's progress comes with the ack (a team that has already played shows what it
        # found at once), then the recent public feed (a newcomer mid-hunt sees what went on).
        recent = await self.engine.recent_public_feed(self.hunt_id)
        state = await self.engine.state(self.hunt_id)
        extra = join_extras(self.ctx.tokens, self.hunt_id, state, result.fields)
        await self._reply(frames.ack(command.cmd, result.seq, result.fields, duplicate=result.duplicate, **extra,
                                     progress=side_progress(state, state.players[player])))
        for item in (item for seq, _, item in recent if seq <= result.seq):
            await self._reply(frames.feed(item))
        self._bind(player, result.seq)

    async def _batch(self, batch: BatchOp) -> None:
        replies: list[frames.Frame | None] = [None] * len(batch.items)
        commands, positions = [], []
        for i, item in enumerate(batch.items):
            try:
                if isinstance(item, RequestError):
                    raise item
                commands.append(to_command(item, self.player))
                positions.append(i)
            except RequestError as err:
                replies[i] = frames.error(wire_error(err), err.request_id)
        if commands:
            results: list[Result | WireError]
            try:
                results = list(await self.engine.submit(self.hunt_id, commands))
                self.backoff.admitted()
            except Exception as err:  # the whole submit failed: every command gets that error
                results = [self._error(err)] * len(commands)
            for i, command, result in zip(positions, commands, results, strict=True):
                replies[i] = self._result_frame(command.cmd, result)
        await self._reply(frames.batch(batch.id, [reply for reply in replies if reply is not None]))

    def _result_frame(self, cmd: str, result: Result | WireError) -> frames.Frame:
        if isinstance(result, WireError):
            return frames.error(result, cmd)
        if isinstance(result, Rejected):
            return frames.error(wire_error(result), cmd)
        return frames.ack(cmd, result.seq, result.fields, duplicate=result.duplicate)

    def _bind(self, player: str, cursor: int) -> None:
        if not self.greeted:
            self.greeted = True
            self.engine.subscribe(self.hunt_id)
        if player != self.player:
            self._board_sent = None
            self._status = None
        self.player = player
        self._feed_cursor = cursor
        self._hunt_moved = True
        self._wake()

    async def _reply(self, frame: frames.Frame) -> None:
        # Waits while the outbox is full, but not forever: a client that reads nothing for the
        # idle timeout is closed. Else its connection is never freed once it also vanishes (this
        # wait stops the reading that would pass on the disconnect: the writer, failing, waits
        # for hypercorn to take that disconnect, which waits for the reader). The timer is only
        # set when the outbox is full: one per reply was a cancel scope and a deadline each.
        text = frames.text(frame)
        try:
            self._outbox_send.send_nowait(text)
        except trio.WouldBlock:
            with trio.move_on_after(self.limits.ws_idle_timeout_s) as waiting:
                await self._outbox_send.send(text)
            if waiting.cancelled_caught:
                self._close_with(CLOSE_IDLE, "not reading")
                await trio.sleep_forever()  # until the close cancels this reader
        self._wake()

    # -- the writer ------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        deadline = math.inf
        while True:
            self._kick = trio.Event()  # anything after this point wakes us again
            await self._flush_outbox()
            # Pushes only when the hunt moved (or one is due), not after every ack.
            if self.player is not None and (self._hunt_moved or trio.current_time() >= deadline):
                self._hunt_moved = False
                try:
                    deadline = await self._push()
                except Exception as err:
                    error = wire_error(err)
                    if error.retry_after_ms is None:  # not a passing condition: give up on this socket
                        await self.socket.send(frames.text(frames.error(error)))
                        self._close_with(CLOSE_INTERNAL, error.message)
                        return
                    deadline = trio.current_time() + error.retry_after_ms / 1000
            if deadline == math.inf:
                await self._kick.wait()
            else:
                with trio.move_on_at(deadline):
                    await self._kick.wait()

    async def _flush_outbox(self) -> None:
        while True:
            try:
                text = self._outbox_receive.receive_nowait()
            except trio.WouldBlock:
                return
            await self.socket.send(text)

    async def _push(self) -> float:
        """Send the pushes that are due; return when (trio time) the next one will be."""
        await self._push_feed()
        state = await self.engine.state(self.hunt_id)
        # Read everything from the settled state before the next await.
        now_ms, now = self.ctx.now_ms(), trio.current_time()
        due: list[str] = []
        status = state.status_at(now_ms)
        if status != self._status:
            self._status = status
            due.append(frames.text(frames.hunt_status(status, state.seq)))
        deadline = math.inf
        if state.seq != self._board_checked:
            if now >= self._board_next:
                self._board_checked = state.seq
                board = self._leaderboard(state)
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
        for boundary in (definition.starts_at, definition.ends_at):
            if boundary is not None and boundary > now_ms:
                deadline = min(deadline, now + (boundary - now_ms) / 1000 + 0.001)
        for text in due:
            await self.socket.send(text)
        return deadline

    def _leaderboard(self, state: Any) -> str | None:
        """The leaderboard frame, or None when neither the top nor your line changed."""
        key, frame = leaderboard_push(self.hub, state, self.player or "", self.limits.leaderboard_top)
        sent, self._board_sent = self._board_sent, key
        return None if key == sent else frames.text(frame)

    async def _push_feed(self) -> None:
        hub, cursor = self.hub, self._feed_cursor
        if hub.seq <= cursor:
            return
        if cursor >= hub.feed_floor and hub.last_feed_seq <= cursor:
            self._feed_cursor = hub.seq  # nothing newsworthy since (pings, wrong answers, ...)
            return
        items = hub.feed_after(cursor)
        upto = hub.seq
        if items is None:  # fell behind the hub's memory: catch up from the log
            items = await self.engine.feed_since(self.hunt_id, cursor, self.player)
            upto = hub.seq
        for seq, audience, item in items:
            if audience is None or self.player in audience:
                await self.socket.send(frames.text(frames.feed(item)))
            self._feed_cursor = seq
        self._feed_cursor = max(self._feed_cursor, upto)

    # -- the watcher -----------------------------------------------------------------------

    async def _watch_loop(self) -> None:
        hub = self.hub
        seen, quiet_until = hub.seq, -math.inf
        while True:
            await hub.wait_beyond(seen)
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
            self._hunt_moved = True
            self._wake()
            quiet_until = trio.current_time() + PUSH_TICK_S
