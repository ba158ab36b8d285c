"""Core NATS for Trio code: nats-py on an asyncio loop in a thread of its own.

nats-py speaks asyncio and the server speaks Trio, so a :class:`Bus` runs the client's loop in
one thread and crosses over in batches: publishes queue on the Trio side and one asyncio
callback sends all that queued (order kept), and messages received queue on the asyncio side
and one Trio callback hands all of them to their handlers. Both queues are bounded; a message
that does not fit in the inbound queue is counted, and if it expects a reply it gets
``{"e":"overloaded"}`` at once (a caller never waits for a reply that was dropped).

Request/reply goes over the same path: the bus subscribes to one inbox of its own and matches
replies to requests by a token in the reply subject.

Use it as ``async with open_bus(url, name, inbound_capacity) as bus``. Handlers run on the Trio
thread, must not block, and get ``(subject, data, reply)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any

import nats
import orjson
import trio

__all__ = ["OVERLOADED_REPLY", "Bus", "BusTimeout", "open_bus"]

log = logging.getLogger("hunt.cluster.bus")

Handler = Callable[[str, bytes, str], None]
OVERLOADED_REPLY = orjson.dumps({"e": "overloaded", "m": "the server is busy", "r": 50})
# What the server's "no responders" status becomes: nobody subscribes (the owner is gone).
NO_RESPONDERS_REPLY = orjson.dumps({"e": "stopped", "m": "nobody serves this subject now", "r": None})
CONNECT_TIMEOUT_S = 10.0


class BusTimeout(Exception):
    """Raised when a request got no reply within its timeout (the outcome is unknown)."""


class Bus:
    """One NATS connection shared by a process's Trio code. Create it with :func:`open_bus`."""

    def __init__(self, name: str, inbound_capacity: int) -> None:
        self.name = name
        self.inbound_capacity = inbound_capacity
        self.dropped = 0  # messages that did not fit in the inbound queue
        self._loop = asyncio.new_event_loop()
        self._nc: Any = None
        self._token = trio.lowlevel.current_trio_token()
        self._outbound: deque[tuple[str, bytes, str]] = deque()
        self._out_scheduled = False
        self._inbound: deque[tuple[Handler, str, bytes, str]] = deque()
        self._in_scheduled = False
        self._inbox = ""
        self._tokens = itertools.count(1)
        self._waiting: dict[str, list[Any]] = {}  # token -> [event, reply data]

    # -- the Trio side ---------------------------------------------------------------------

    def publish(self, subject: str, data: bytes, reply: str = "") -> None:
        """Queue a message; messages go out in the order they were published."""
        self._outbound.append((subject, data, reply))
        if not self._out_scheduled:
            self._out_scheduled = True
            self._loop.call_soon_threadsafe(self._send_queued)

    async def request(self, subject: str, data: bytes, timeout: float) -> bytes:
        """Publish with a reply subject and wait for the reply. Raises BusTimeout."""
        token = str(next(self._tokens))
        slot: list[Any] = [trio.Event(), b""]
        self._waiting[token] = slot
        try:
            self.publish(subject, data, self._inbox + token)
            with trio.move_on_after(timeout):
                await slot[0].wait()
                return bytes(slot[1])
        finally:
            del self._waiting[token]
        raise BusTimeout(f"no reply on {subject} within {timeout} s")

    async def subscribe(self, subject: str, handler: Handler) -> Any:
        """Deliver messages on ``subject`` to ``handler`` (on the Trio thread); returns a handle
        for :meth:`unsubscribe`."""
        return await self._call(self._nc.subscribe(subject, cb=self._receiver(handler)))

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait until the server has everything sent so far (subscriptions included)."""
        await self._call(self._nc.flush(timeout=timeout))

    async def unsubscribe(self, subscription: Any) -> None:
        await self._call(subscription.unsubscribe())

    async def call(self, make: Callable[[Any], Any]) -> Any:
        """Run ``make(client)``, a coroutine on the nats-py client (JetStream, KV), on the bus's
        loop; its result, or its exception raised here."""
        return await self._call(make(self._nc))

    def run_background(self, make: Callable[[Any], Any]) -> Future[Any]:
        """Start ``make(client)`` on the bus's loop without waiting (a watcher); cancel the
        returned future to stop it. It hands results to Trio with :meth:`to_trio`."""
        return asyncio.run_coroutine_threadsafe(make(self._nc), self._loop)

    def to_trio(self, function: Callable[..., None], *args: Any) -> None:
        """From the bus's loop: call ``function(*args)`` on the Trio thread (it must not block)."""
        with contextlib.suppress(trio.RunFinishedError):
            self._token.run_sync_soon(function, *args)

    def _on_reply(self, subject: str, data: bytes, _reply: str) -> None:
        slot = self._waiting.get(subject.rpartition(".")[2])
        if slot is not None:  # else the caller gave up (timeout, cancelled)
            slot[1] = data
            slot[0].set()

    def _deliver(self) -> None:
        self._in_scheduled = False  # before draining: a message queued from now on schedules again
        inbound = self._inbound
        while inbound:
            handler, subject, data, reply = inbound.popleft()
            try:
                handler(subject, data, reply)
            except Exception:
                log.exception("bus handler for %s failed", subject)

    async def _call(self, coroutine: Any) -> Any:
        """Run a coroutine on the bus's loop and wait for its result from Trio."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        done = trio.Event()
        token = self._token

        def wake(_: Any) -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(done.set)

        future.add_done_callback(wake)
        try:
            await done.wait()
        except BaseException:
            future.cancel()
            raise
        return future.result()

    # -- the asyncio side ------------------------------------------------------------------

    def _send_queued(self) -> None:
        self._out_scheduled = False
        batch, outbound = [], self._outbound
        while outbound:  # popleft, not copy-and-clear: the Trio thread may append meanwhile
            batch.append(outbound.popleft())
        if batch:
            self._loop.create_task(self._publish_all(batch))

    async def _publish_all(self, batch: list[tuple[str, bytes, str]]) -> None:
        for subject, data, reply in batch:
            try:
                await self._nc.publish(subject, data, reply=reply)
            except Exception as err:  # closed or reconnecting past its buffer: the caller times out
                log.warning("bus publish on %s failed: %s", subject, err)

    def _receiver(self, handler: Handler) -> Callable[[Any], Any]:
        async def receive(msg: Any) -> None:
            if len(self._inbound) >= self.inbound_capacity:
                self.dropped += 1
                if msg.reply:
                    await self._nc.publish(msg.reply, OVERLOADED_REPLY)
                return
            data = msg.data
            if not data and msg.headers and msg.headers.get("Status") == "503":
                data = NO_RESPONDERS_REPLY
            self._inbound.append((handler, msg.subject, data, msg.reply))
            if not self._in_scheduled:
                self._in_scheduled = True
                try:
                    self._token.run_sync_soon(self._deliver)
                except trio.RunFinishedError:
                    pass

        return receive

    async def _connect(self, url: str) -> None:
        async def error_cb(err: Exception) -> None:
            log.warning("bus %s: %s", self.name, err)

        servers = [part.strip() for part in url.split(",") if part.strip()]  # a cluster: several URLs
        self._nc = await nats.connect(servers, name=self.name, connect_timeout=2, max_reconnect_attempts=-1,
                                      reconnect_time_wait=0.2, error_cb=error_cb, allow_reconnect=True)
        self._inbox = f"_INBOX.{secrets.token_hex(12)}."
        await self._nc.subscribe(self._inbox + "*", cb=self._receiver(self._on_reply))

    async def _close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=1)
            with contextlib.suppress(Exception):
                await self._nc.close()


@asynccontextmanager
async def open_bus(url: str, name: str, inbound_capacity: int = 65536) -> AsyncIterator[Bus]:
    """Connect to NATS at ``url`` (waits at most 10 s); close the connection when the block ends."""
    bus = Bus(name, inbound_capacity)
    thread = threading.Thread(target=bus._loop.run_forever, name=f"bus-{name}", daemon=True)
    thread.start()
    try:
        with trio.fail_after(CONNECT_TIMEOUT_S):
            await bus._call(bus._connect(url))
        yield bus
    finally:
        with trio.CancelScope(shield=True):
            with trio.move_on_after(5):
                await bus._call(bus._close())
            bus._loop.call_soon_threadsafe(bus._loop.stop)
            await trio.to_thread.run_sync(thread.join, 5)
        if not thread.is_alive():
            bus._loop.close()
