"""A gateway's forwarding of one hunt's commands to its owner, in batches.

Commands of every connection of the gateway queue in one :class:`Forwarder` per hunt. A sender
takes what queued within one scheduler tick, up to ``workers.forward_max_commands``, and sends
it as one request; while ``workers.forward_inflight`` requests are unanswered, new commands
wait and coalesce into the next one. A full queue (``workers.forward_queue`` commands) refuses
at once with ``Overloaded``, as a full mailbox does in one process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import trio

from actors import Overloaded, RequestTimeout

from ..config import Config
from ..domain import Command
from ..engine import Result
from ._bus import Bus, BusTimeout
from ._wire import WireFailure, decode_results, encode_commands

__all__ = ["MAX_REQUEST_BYTES", "Forwarder"]

MAX_REQUEST_BYTES = 512 * 1024  # a batch larger than this goes in parts (NATS's default max payload is 1 MB)


class _Slot:
    __slots__ = ("commands", "done", "error", "results")

    def __init__(self, commands: Sequence[Command]) -> None:
        self.commands = commands
        self.done = trio.Event()
        self.results: list[Result] = []
        self.error: BaseException | None = None


class Forwarder:
    """Batches one hunt's commands to its owner. Its sender runs in ``nursery`` while there is work."""

    def __init__(self, config: Config, bus: Bus, subject: str, hunt_id: str, nursery: trio.Nursery) -> None:
        workers = config.workers
        self.bus = bus
        self.subject = subject
        self.hunt_id = hunt_id
        self.nursery = nursery
        self.max_inflight = workers.forward_inflight
        self.max_commands = workers.forward_max_commands
        self.capacity = workers.forward_queue
        self.timeout_s = config.engine.request_timeout_s
        self.retry_after_ms = max(config.engine.admission_timeout_ms, 1)
        self._queue: deque[_Slot] = deque()
        self.queued = 0  # commands waiting, not yet sent
        self.inflight = 0
        self.requests = 0  # requests sent so far (each one a batch)
        self._freed = trio.Event()
        self._running = False

    def enqueue(self, commands: Sequence[Command]) -> _Slot:
        """Queue commands for the next batch. Raises Overloaded at once when the queue is full."""
        if self.queued + len(commands) > self.capacity:
            raise Overloaded(self.hunt_id, self.retry_after_ms)
        slot = _Slot(commands)
        self._queue.append(slot)
        self.queued += len(commands)
        if not self._running:
            self._running = True
            self.nursery.start_soon(self._run)
        return slot

    async def wait(self, slot: _Slot) -> list[Result]:
        """The owner's results for a slot from :meth:`enqueue`, in order, once the batch holding
        them is durable.

        Raises RequestTimeout (no answer within ``engine.request_timeout_s``: the outcome is
        unknown, resend with the same ids) or the owner's error for the batch.
        """
        with trio.move_on_after(self.timeout_s):
            await slot.done.wait()
        if not slot.done.is_set():
            raise RequestTimeout(f"no durable ack from hunt {self.hunt_id!r} within {self.timeout_s} s")
        if slot.error is not None:
            raise slot.error
        return slot.results

    async def _run(self) -> None:
        try:
            while self._queue:
                await trio.sleep(0)  # what the other connections add in this tick joins the batch
                while self.inflight >= self.max_inflight:
                    self._freed = trio.Event()
                    await self._freed.wait()
                batch, size = [], 0
                while self._queue and (not batch or size + len(self._queue[0].commands) <= self.max_commands):
                    slot = self._queue.popleft()
                    batch.append(slot)
                    size += len(slot.commands)
                self.queued -= size
                self.inflight += 1
                self.requests += 1
                self.nursery.start_soon(self._send, batch)
        finally:
            self._running = False

    async def _send(self, batch: list[_Slot]) -> None:
        commands = [command for slot in batch for command in slot.commands]
        body = encode_commands(commands)
        if len(body) > MAX_REQUEST_BYTES and len(batch) > 1:  # NATS refuses payloads over 1 MB
            half = len(batch) // 2
            self.inflight += 1  # the halves go one after the other, each counted
            await self._send(batch[:half])
            await self._send(batch[half:])
            return
        error: BaseException | None = None
        results: list[Any] = []
        try:
            data = await self.bus.request(self.subject, body, self.timeout_s)
            results = decode_results(data)
            if len(results) != len(commands):
                raise WireFailure(f"{len(results)} results for {len(commands)} commands")
        except BusTimeout:
            error = RequestTimeout(f"no durable ack from hunt {self.hunt_id!r} within {self.timeout_s} s")
        except Exception as err:  # the owner's error for the whole batch, or a garbled reply
            error = err
        finally:
            self.inflight -= 1
            self._freed.set()
        start = 0
        for slot in batch:
            if error is not None:
                slot.error = _fresh(error)
            else:
                slot.results = results[start:start + len(slot.commands)]
                start += len(slot.commands)
            slot.done.set()


def _fresh(error: BaseException) -> BaseException:
    """An exception like ``error`` for one waiter (raising one instance in many tasks chains
    their tracebacks onto it)."""
    if isinstance(error, Overloaded):
        return Overloaded(error.key, error.retry_after_ms)
    try:
        return type(error)(*error.args)
    except TypeError:
        return error
