"""One player websocket (``/ws/hunts/<hunt_id>``, routed by ``_ws``): a :class:`Connection`.

A frame goes one way: the **reader** waits for room in the connection's window, reads the
frame, parses it (``hunt.protocol``), admits it (``_backoff``), takes its share of the
hunt (``_shares``), queues a reply slot (``_replies``) and hands its command(s) to the hunt's
actor without waiting for them; the actor settles the slot once they are durable; the
**writer** sends settled replies in the order of their frames, then the pushes (``_pushes``),
whose **watcher** is the connection's third task. While ``limits.window`` commands are
unanswered the reader reads nothing, so a client that pipelines, or does not read its
replies, waits in TCP (backpressure on that client only).

Commands pass ``_guard``'s limits (wrong attempts and bans per connection and address) before
they are sent. The hunt's actor never waits on a connection: it settles reply slots and publishes
to the hub.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import trio

from actors import ActorStopped

from ..domain import Command, HuntState, Player, Rejected
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
from ._guard import check_commands, note_results
from ._identity import greeted_player, join_ack, keyed_join, refuse_forged, welcome_frame
from ._pushes import Pushes
from ._replies import Render, Replies
from ._views import side_progress

__all__ = ["CLOSE_GOING_AWAY", "CLOSE_IDLE", "CLOSE_POLICY", "CLOSE_TRY_LATER", "Connection",
           "Disconnected"]

log = logging.getLogger("hunt.api.ws")

CLOSE_IDLE = 1000  # normal closure, reason "idle timeout"
CLOSE_GOING_AWAY = 1001  # the server is shutting down
CLOSE_POLICY = 1008  # unknown hunt
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013  # the client kept sending while told to wait (limits.overload_strikes)
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
        self.address: str | None = getattr(socket, "client", None)  # see _ws.peer_address
        # A batch must fit in the window and in the hunt's share: they bound what it may carry.
        self.frame_limits = FrameLimits(self.limits.max_frame_bytes,
                                        min(self.limits.max_batch_items, self.limits.window, ctx.shares.hunt_capacity))
        self.replies = Replies(self.limits.window, self.limits.outbox_capacity,
                               ctx.config.engine.request_timeout_s, self._wake)
        self.player: str | None = None
        self.greeted = False
        self._subscribed = False  # to the hunt's hub (pushes), from the first bind until released
        self._kick = trio.Event()
        self.pushes = Pushes(ctx, hunt_id, self.hub, socket.send, self._wake)
        self._scope: trio.CancelScope | None = None
        self._idle = trio.CancelScope()  # the reader's idle timer (replaced when it starts)
        self._receiving = False  # the reader waits for a frame (the idle timer may run)
        self.frames_read = 0
        self._close: tuple[int, str] | None = None
        self.backoff = Backoff(self.limits.overload_strikes)
        self.guard = ctx.guard.connection(hunt_id, self.address)
        self.rates = ctx.rates.for_connection(self.address or "unknown", trio.current_time())  # see _rates

    @property
    def wakeups(self) -> int:
        """Times this connection woke for a commit of its hunt (never before a player is bound)."""
        return self.pushes.wakeups

    def outbox_used(self) -> int:
        return len(self.replies)

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
                nursery.start_soon(self.pushes.watch)
        finally:
            self._release()
        if self._close is not None:
            # Replies already durable go out first, but a client that does not read cannot hold
            # the handler: after the budget the socket is dropped without a close frame.
            code, reason = self._close
            with trio.move_on_after(FLUSH_ON_CLOSE_S):
                await self._flush_replies()
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
        # Shed now, not when the tasks have ended: the writer may be inside a write that the
        # server (hypercorn) does not let us cancel, and a peer that reads nothing but keeps
        # sending keeps the kernel from ever failing it. What is left until the peer goes is
        # that one write and its socket; the connection is no longer served, counted or pushed to.
        self._release()

    def _release(self) -> None:
        """Leave the open connections and the hunt's hub (at most once each; idempotent)."""
        self.ctx.connections.discard(self)
        if self._subscribed:
            self._subscribed = False
            self.engine.unsubscribe(self.hunt_id)

    def _wake(self) -> None:
        self._kick.set()

    # -- the reader ------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            with trio.CancelScope() as self._idle:  # one scope, re-armed per frame (cheaper than one each)
                while True:
                    if not self.replies.has_room():  # flow control: a window's worth unanswered
                        await self._wait_for(self.replies.wait_room)
                    self._receiving = True
                    self._arm_idle()
                    data = await self.socket.receive()
                    self._receiving = False
                    self.frames_read += 1
                    self._idle.deadline = math.inf  # handling a frame (even a slow one) is not idling
                    await self._on_frame(data)
        except Disconnected:  # the client left: nothing to close
            assert self._scope is not None
            self._scope.cancel()
            return
        self._close_with(CLOSE_IDLE, "idle timeout")

    def _arm_idle(self) -> None:
        """Start the idle timer, unless a command is still unanswered: waiting for an ack is
        not idling (the writer arms it when the last reply is sent)."""
        if self._receiving and not self.replies:
            self._idle.deadline = trio.current_time() + self.limits.ws_idle_timeout_s

    async def _wait_for(self, wait: Callable[[float], Awaitable[bool]]) -> None:
        """Wait for the writer to send replies. Not forever: a client that reads nothing for the
        idle timeout is closed (else its connection would never be freed once it also vanished:
        this wait stops the reading that would pass the disconnect on)."""
        if not await wait(self.limits.ws_idle_timeout_s):
            self._close_with(CLOSE_IDLE, "not reading")
            await trio.sleep_forever()  # until the close cancels this reader

    async def _on_frame(self, data: str | bytes) -> None:
        """One frame, start to end: parse, admit, queue its commands and its reply's slot.
        Every failure is one error frame in the frame's place."""
        rid: str | None = None
        try:
            request = parse(data or b"", self.frame_limits)
            rid = request.id
            self.rates.admit(request, self.hunt_id, self.player)  # a batch: item by item, below
            self._admit()  # every frame, a hello too: its history replay costs the server like a command
            match request:
                case HelloOp():
                    await self._hello(request)
                case JoinOp():
                    await self._join(request)
                case BatchOp():
                    await self._batch(request)
                case _:
                    command = to_command(request, self.player)
                    await self._send([command], partial(self._single_reply, command.cmd), rid)
        except Exception as err:  # carry on: the connection and the hunt are fine
            self._reply(frames.error(self._error(err), rid or getattr(err, "request_id", None)))

    async def _send(self, commands: list[Command], render: Render, rid: str | None) -> None:
        """Check the commands against ``_guard``'s limits, take their share of the hunt (waiting in
        turn), queue their reply's slot, and hand those that passed to the hunt's actor, which
        settles the slot once they are durable. ``render(results, error)`` makes the reply."""
        units, now_ms = len(commands), self.ctx.now_ms()
        results, sent = check_commands(self.guard, commands, now_ms)
        if not sent:  # every one refused here: nothing reaches the hunt
            self._reply(render(results, None))
            return
        held = await self.ctx.shares.acquire(self.hunt_id, self.player, self.address, units)
        slot = self.replies.pending(units, render, held)

        def settle(answers: Any, error: BaseException | None) -> None:  # on the actor's task
            slot.settle(None if error else note_results(self.guard, commands, results, sent, answers, now_ms), error)

        try:
            await self.engine.send(self.hunt_id, [commands[i] for i in sent], settle)
        except Exception as err:  # refused at the mailbox (overloaded, stopping): answered now
            slot.answer(render([self._error(err)] * units, None))
            return
        except BaseException:  # cancelled (the connection is closing): nothing was queued
            slot.answer(render(None, ActorStopped("the connection is closing")))
            raise
        self.backoff.admitted()

    def _single_reply(self, cmd: str, results: Any, error: BaseException | None) -> frames.Frame:
        if error is not None:
            return frames.error(wire_error(error), cmd)
        return self._result_frame(cmd, results[0])

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
        # Its welcome goes before the feed items it replays: answer what came before it first.
        await self._wait_for(self.replies.wait_empty)
        refuse_forged(self.ctx, self.hunt_id, hello.token)  # cheap: before the hunt is even loaded
        # What the client saw (``since``) may have come through another gateway: read at least that.
        state = await self.engine.state(self.hunt_id, min_seq=hello.since or 0)
        player = greeted_player(self.ctx, self.hunt_id, state, hello.token)
        reply = welcome_frame(self.ctx, self.hunt_id, state, player, hello.id)
        since = state.seq if hello.since is None else min(hello.since, state.seq)
        self._reply(reply)
        self._bind(state, player, since, hello.device)

    async def _join(self, join: JoinOp) -> None:
        # The player it binds acts in the frames after it: answer it before reading on.
        await self._wait_for(self.replies.wait_empty)
        command = join_command(join)  # its cmd is the join id: a secret, hashed before the engine sees it
        state = await self.engine.state(self.hunt_id)
        self.guard.check_join(self.player is not None and state.players[self.player].banned, join.device)
        keyed = keyed_join(self.ctx, self.hunt_id, state, command, join.team_code)
        held = await self.ctx.shares.acquire(self.hunt_id, None, self.address, 1)
        try:
            [result] = await self.engine.submit(self.hunt_id, [keyed])
        finally:
            held.release()
        self.backoff.admitted()
        if isinstance(result, Rejected):
            self._reply(self._result_frame(command.cmd, result))
            return
        # The side's progress comes with the ack (a team that has already played shows what it
        # found at once), then the recent public feed (a newcomer mid-hunt sees what went on).
        recent = await self.engine.recent_public_feed(self.hunt_id)
        state = await self.engine.state(self.hunt_id)
        player = state.players[result.fields["player"]]
        self._reply({**join_ack(self.ctx, self.hunt_id, state, command.cmd, result),
                     "progress": side_progress(state, player)})
        for seq, _, item in recent:
            if seq <= result.seq:
                self.replies.ready(frames.feed(item), units=0)  # news, not an answer: outside the window
        self._bind(state, player, result.seq, join.device)

    async def _batch(self, batch: BatchOp) -> None:
        replies: list[frames.Frame | None] = [None] * len(batch.items)
        commands, positions = [], []
        for i, item in enumerate(batch.items):
            try:
                if isinstance(item, RequestError):
                    raise item
                self.rates.admit(item, self.hunt_id, self.player)
                commands.append(to_command(item, self.player))
                positions.append(i)
            except RequestError as err:
                replies[i] = frames.error(wire_error(err), err.request_id or getattr(item, "id", None))

        def render(results: Any, error: BaseException | None) -> frames.Frame:
            if error is not None:
                results = [wire_error(error)] * len(commands)
            for i, command, result in zip(positions, commands, results, strict=True):
                replies[i] = self._result_frame(command.cmd, result)
            return frames.batch(batch.id, [reply for reply in replies if reply is not None])

        if commands:
            await self._send(commands, render, batch.id)
        else:
            self._reply(render([], None))

    def _result_frame(self, cmd: str, result: Result | WireError) -> frames.Frame:
        if isinstance(result, WireError):
            return frames.error(result, cmd)
        if isinstance(result, Rejected):
            return frames.error(wire_error(result), cmd)
        return frames.ack(cmd, result.seq, result.fields, duplicate=result.duplicate)

    def _bind(self, state: HuntState, player: Player, cursor: int, device: str | None) -> None:
        """Act as ``player`` from now on (its limits and bans go with the connection: ``_guard``)."""
        self.guard.bind(state.definition, player.id, player.banned, device)
        if not self.greeted:
            self.greeted = True
            self.engine.subscribe(self.hunt_id)
            self._subscribed = True
        self.player = player.id
        self.pushes.bind(player.id, cursor)
        self._wake()

    def _reply(self, frame: frames.Frame) -> None:
        """A reply known now, sent after the replies of the frames before it."""
        self.replies.ready(frame)

    # -- the writer ------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        deadline = math.inf
        while True:
            self._kick = trio.Event()  # anything after this point wakes us again
            await self._flush_replies()
            # Pushes only when the hunt moved (or one is due), not after every ack.
            if self.player is not None and (self.pushes.moved or trio.current_time() >= deadline):
                self.pushes.moved = False
                try:
                    deadline = await self.pushes.push()
                except Exception as err:
                    error = wire_error(err)
                    if error.retry_after_ms is None:  # not a passing condition: give up on this socket
                        await self.socket.send(frames.text(frames.error(error)))
                        self._close_with(CLOSE_INTERNAL, error.message)
                        return
                    deadline = trio.current_time() + error.retry_after_ms / 1000
            wake_at = min(deadline, self.replies.next_deadline())
            if wake_at == math.inf:
                await self._kick.wait()
            else:
                with trio.move_on_at(wake_at):
                    await self._kick.wait()

    async def _flush_replies(self) -> None:
        replies = self.replies
        if (text := replies.next_text()) is None:
            return
        while text is not None:
            await self.socket.send(text)
            replies.sent()
            text = replies.next_text()
        self._arm_idle()
