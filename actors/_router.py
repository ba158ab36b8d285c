"""The router: one actor per key, activated on first use, passivated when idle, supervised.

Backpressure: :meth:`Router.send` waits at most the admission timeout for mailbox space, then
raises :class:`Overloaded` with a ``retry_after_ms`` estimate. Nothing is queued beyond the
mailbox capacity and no message is dropped: every envelope's reply is settled, with a value
or an error, exactly once.

Control (stop, passivate) never goes through the mailbox: it closes the send side of the
channel, so an actor drains what was admitted and then stops on its own.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import trio

from ._actor import ActorStatistics, Behaviour, Envelope, Factory, _Cell
from ._errors import (
    ActivationFailed,
    ActorCrashed,
    ActorError,
    ActorStopped,
    Overloaded,
    RequestTimeout,
)
from ._reply import Reply, ReplySlot

__all__ = ["Router", "RouterConfig", "RouterStatistics", "open_router"]

log = logging.getLogger("actors")


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """Every bound of the runtime, explicit.

    Raises ValueError when ``mailbox_capacity`` or ``max_batch`` is not a positive int: trio
    would accept ``math.inf`` for a capacity, and an unbounded mailbox must not be possible.
    ``stop_timeout_s`` bounds both the graceful drain at shutdown and each ``aclose`` call.
    """

    mailbox_capacity: int = 1024
    admission_timeout_s: float = 0.05
    # Senders that may wait for space in one mailbox at once; beyond that a send is refused at
    # once (None: as many as the mailbox holds). Each waiter is a parked task with a timer, and
    # when they outnumber what the actor drains within the admission timeout, most of them
    # only wait to be refused: failing them at once spares that work for the commands admitted.
    admission_queue: int | None = None
    max_batch: int = 256
    request_timeout_s: float = 10.0
    idle_passivate_s: float = 300.0
    restart_backoff_min_s: float = 0.05
    restart_backoff_max_s: float = 5.0
    max_restarts: int = 5
    restart_window_s: float = 60.0
    stop_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("mailbox_capacity", "max_batch"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        queue = self.admission_queue
        if queue is not None and (not isinstance(queue, int) or isinstance(queue, bool) or queue < 0):
            raise ValueError(f"admission_queue must be None or an int >= 0, got {queue!r}")

    @property
    def max_waiting(self) -> int:
        return self.mailbox_capacity if self.admission_queue is None else self.admission_queue


@dataclass(frozen=True, slots=True)
class RouterStatistics:
    """A snapshot of the router's counters and of every live actor."""

    activations: int
    passivations: int
    restarts: int
    gave_up: int
    overloaded: int
    actors: tuple[ActorStatistics, ...]


class Router:
    """Maps keys to actors. Create it with :func:`open_router`."""

    def __init__(self, nursery: trio.Nursery, factory: Factory, config: RouterConfig) -> None:
        self._nursery = nursery
        self._factory = factory
        self._config = config
        self._cells: dict[str, _Cell] = {}
        # Incarnations that are shutting down; a new one waits for the old one to finish
        # (it may hold a file lock).
        self._retiring: dict[str, _Cell] = {}
        self._closed = False
        self._activations = 0
        self._passivations = 0
        self._restarts = 0
        self._gave_up = 0
        self._overloaded = 0

    @property
    def config(self) -> RouterConfig:
        return self._config

    # -- sending ---------------------------------------------------------------------------

    async def send(self, key: str, message: Any, reply: ReplySlot) -> None:
        """Queue a message, waiting at most the admission timeout for mailbox space.

        Raises Overloaded when the mailbox stayed full, or at once when it is full and
        ``admission_queue`` senders already wait, ActorStopped when the router or the
        actor is shutting down. On success the actor will settle ``reply`` exactly once; if
        cancelled, nothing was queued (and no actor was activated for it).
        """
        # Like trio's own channels: check for cancellation before acting, and never after,
        # so a caller that sees Cancelled knows the message was not admitted.
        await trio.lowlevel.checkpoint_if_cancelled()
        cell = self._cell_for(key)
        envelope = Envelope(message, reply, trio.current_time())
        try:
            cell.send_channel.send_nowait(envelope)
        except trio.WouldBlock:
            pass
        except (trio.ClosedResourceError, trio.BrokenResourceError) as err:
            raise ActorStopped(f"actor {key!r} is stopping") from err
        else:
            await trio.lowlevel.cancel_shielded_checkpoint()
            return
        if cell.send_channel.statistics().tasks_waiting_send >= self._config.max_waiting:
            raise self._overload(cell)  # (raising needs no schedule point)
        with trio.move_on_after(self._config.admission_timeout_s):
            try:
                await cell.send_channel.send(envelope)
            except (trio.ClosedResourceError, trio.BrokenResourceError) as err:
                raise ActorStopped(f"actor {key!r} is stopping") from err
            return
        raise self._overload(cell)

    def send_nowait(self, key: str, message: Any, reply: ReplySlot) -> None:
        """Queue a message without waiting; raise Overloaded at once if the mailbox is full."""
        cell = self._cell_for(key)
        try:
            cell.send_channel.send_nowait(Envelope(message, reply, trio.current_time()))
        except trio.WouldBlock:
            raise self._overload(cell) from None
        except (trio.ClosedResourceError, trio.BrokenResourceError) as err:
            raise ActorStopped(f"actor {key!r} is stopping") from err

    async def ask(self, key: str, message: Any, timeout: float | None = None) -> Any:
        """Send and wait for the reply; raise RequestTimeout after ``timeout`` seconds.

        The deadline (``request_timeout_s`` by default) starts once the message is admitted.
        After a RequestTimeout the outcome is unknown: the actor may still process it.
        """
        reply = Reply()
        await self.send(key, message, reply)
        deadline = self._config.request_timeout_s if timeout is None else timeout
        with trio.move_on_after(deadline):
            return await reply.wait()
        raise RequestTimeout(f"no reply from {key!r} within {deadline} s")

    def _overload(self, cell: _Cell) -> Overloaded:
        cell.overloaded += 1
        self._overloaded += 1
        floor = int(self._config.admission_timeout_s * 1000)
        return Overloaded(cell.key, cell.retry_after_ms(floor))

    # -- lifecycle -------------------------------------------------------------------------

    def is_active(self, key: str) -> bool:
        return key in self._cells

    def active_keys(self) -> list[str]:
        return list(self._cells)

    def passivate(self, key: str) -> None:
        """Ask an actor to stop once its mailbox is drained (no-op if not active)."""
        cell = self._cells.get(key)
        if cell is not None:
            self._retire(cell)

    async def wait_stopped(self, key: str) -> None:
        """Wait until no incarnation of ``key`` is running or stopping."""
        for cell in (self._cells.get(key), self._retiring.get(key)):
            if cell is not None:
                await cell.finished.wait()

    async def aclose(self) -> None:
        """Stop every actor after it drains its mailbox; refuse new messages meanwhile."""
        self._closed = True
        cells = list(self._cells.values()) + list(self._retiring.values())
        for cell in cells:
            self._retire(cell)
        with trio.move_on_after(self._config.stop_timeout_s):
            for cell in cells:
                await cell.finished.wait()

    def statistics(self) -> RouterStatistics:
        return RouterStatistics(
            activations=self._activations,
            passivations=self._passivations,
            restarts=self._restarts,
            gave_up=self._gave_up,
            overloaded=self._overloaded,
            actors=tuple(cell.statistics() for cell in self._cells.values()),
        )

    def _cell_for(self, key: str) -> _Cell:
        if self._closed:
            raise ActorStopped("the router is shutting down")
        cell = self._cells.get(key)
        if cell is None:
            cell = _Cell(key, self._config.mailbox_capacity)
            self._cells[key] = cell
            self._activations += 1
            previous = self._retiring.get(key)
            self._nursery.start_soon(self._supervise, cell, previous)
        return cell

    async def _close(self, behaviour: Behaviour, key: str, *, clean: bool) -> None:
        """Close a behaviour, even while cancelled, but give it no more than the stop timeout:
        a hung ``aclose`` must neither hang the router's shutdown nor block its key forever."""
        with trio.CancelScope(shield=True) as scope:
            scope.deadline = trio.current_time() + self._config.stop_timeout_s
            try:
                await behaviour.aclose(clean=clean)
            except Exception:
                log.exception("closing actor %r failed", key)
        if scope.cancelled_caught:
            log.error("closing actor %r took over %s s: abandoned", key, self._config.stop_timeout_s)

    def _retire(self, cell: _Cell) -> None:
        """Take a cell out of the routing table and close its mailbox to new messages."""
        if self._cells.get(cell.key) is cell:
            del self._cells[cell.key]
            self._retiring[cell.key] = cell
        cell.send_channel.close()

    async def _supervise(self, cell: _Cell, previous: _Cell | None) -> None:
        try:
            if previous is not None:
                await previous.finished.wait()
            await self._run_with_restarts(cell)
        finally:
            self._retire(cell)
            _fail_queued(cell, ActorStopped, f"actor {cell.key!r} stopped")
            cell.state = "stopped"
            if self._retiring.get(cell.key) is cell:
                del self._retiring[cell.key]
            cell.finished.set()

    async def _run_with_restarts(self, cell: _Cell) -> None:
        config = self._config
        crashes: deque[float] = deque()
        while True:
            try:
                behaviour = await self._factory(cell.key)
            except Exception as err:
                log.warning("activation of %r failed: %r", cell.key, err)
                self._retire(cell)
                _fail_queued(cell, ActivationFailed, f"cannot start {cell.key!r}: {err}", err)
                return
            try:
                cell.state = "running"
                clean = await self._run(cell, behaviour)
            except Exception as err:
                log.exception("actor %r crashed", cell.key)
                await self._close(behaviour, cell.key, clean=False)
                now = trio.current_time()
                crashes.append(now)
                while crashes and now - crashes[0] > config.restart_window_s:
                    crashes.popleft()
                if len(crashes) > config.max_restarts:
                    log.error("actor %r crashed %d times in %.0f s: giving up",
                              cell.key, len(crashes), config.restart_window_s)
                    self._gave_up += 1
                    self._retire(cell)
                    _fail_queued(cell, ActorCrashed, f"actor {cell.key!r} gave up", err)
                    return
                cell.state = "backoff"
                cell.restarts += 1
                self._restarts += 1
                backoff = config.restart_backoff_min_s * 2 ** (len(crashes) - 1)
                await trio.sleep(min(backoff, config.restart_backoff_max_s))
                cell.state = "starting"
                continue
            except BaseException:
                # Cancelled: the stop timeout ran out while it was busy. Still release what it
                # holds (a file lock, say), but it must not persist anything tentative.
                await self._close(behaviour, cell.key, clean=False)
                raise
            cell.state = "stopping"
            await self._close(behaviour, cell.key, clean=clean)
            return

    async def _run(self, cell: _Cell, behaviour: Behaviour) -> bool:
        """Drain the mailbox in batches until it is closed and empty. Returns True.

        A behaviour may still owe replies when ``handle`` returns (see ``Behaviour.flush``):
        its batches are kept as ``owed`` until every reply is settled, and all of them fail
        if it crashes or is cancelled.
        """
        owed: deque[Sequence[Envelope]] = deque()
        try:
            return await self._drain(cell, behaviour, owed)
        except Exception as err:
            for batch in owed:
                _fail_unsettled(batch, ActorCrashed, f"actor {cell.key!r} crashed: {err!r}", err)
            raise
        except BaseException:
            for batch in owed:
                _fail_unsettled(batch, ActorStopped, f"actor {cell.key!r} stopped before it replied")
            raise

    async def _drain(self, cell: _Cell, behaviour: Behaviour, owed: deque[Sequence[Envelope]]) -> bool:
        receive = cell.receive_channel
        config = self._config
        flush = getattr(behaviour, "flush", None)
        while True:
            try:
                first = receive.receive_nowait()
            except trio.WouldBlock:  # nothing waiting: wait for a message, finishing what is in flight
                with trio.move_on_after(config.idle_passivate_s) as idle:
                    try:
                        first = await _receive_while(receive, flush, lambda: self._fail_owed(cell, owed))
                    except trio.EndOfChannel:
                        await self._settle_owed(cell, flush, owed)
                        return True
                if idle.cancelled_caught:
                    if behaviour.can_passivate():
                        self._passivations += 1
                        self._retire(cell)
                    continue
            except trio.EndOfChannel:
                await self._settle_owed(cell, flush, owed)
                return True
            else:
                await trio.lowlevel.checkpoint()  # a mailbox that never empties must not starve the others
            batch = [first]
            while len(batch) < config.max_batch:
                try:
                    batch.append(receive.receive_nowait())
                except (trio.WouldBlock, trio.EndOfChannel):
                    break
            started = trio.current_time()
            waited = sum(started - envelope.enqueued_at for envelope in batch)
            owed.append(batch)
            await behaviour.handle(batch)
            if flush is None:  # then every reply is due by now
                self._fail_owed(cell, owed)
            while owed and all(envelope.reply.settled for envelope in owed[0]):
                owed.popleft()
            cell.record_batch(len(batch), waited, trio.current_time() - started)

    async def _settle_owed(self, cell: _Cell, flush: Callable[[], Awaitable[None]] | None,
                           owed: deque[Sequence[Envelope]]) -> None:
        if flush is not None:
            await flush()
        self._fail_owed(cell, owed)

    def _fail_owed(self, cell: _Cell, owed: deque[Sequence[Envelope]]) -> None:
        while owed:
            _fail_unsettled(owed.popleft(), ActorError, f"actor {cell.key!r} left a message unanswered")


@asynccontextmanager
async def open_router(factory: Factory, config: RouterConfig | None = None) -> AsyncIterator[Router]:
    """Run a router for the duration of the block; on exit, stop every actor gracefully.

    Exit waits up to ``stop_timeout_s`` for every actor to drain what it admitted and close
    with ``clean=True``; then it cancels the rest: their unanswered messages fail with
    ActorStopped and their behaviours are closed with ``clean=False``.
    """
    async with trio.open_nursery() as nursery:
        router = Router(nursery, factory, config or RouterConfig())
        try:
            yield router
        finally:
            with trio.CancelScope(shield=True):
                await router.aclose()
            nursery.cancel_scope.cancel()


async def _receive_while(receive: trio.MemoryReceiveChannel[Envelope], flush: Callable[[], Awaitable[None]] | None,
                         flushed: Callable[[], None]) -> Envelope:
    """The next message; meanwhile ``flush()`` runs (the behaviour's work in flight finishes
    and is answered), and whichever comes first does not hold up the other: a message cuts
    the flush short (the next ``handle`` collects that work), and a flush that raises
    ends the wait with its error; ``flushed()`` runs once a flush completes. Raises
    EndOfChannel once the mailbox is closed and empty.
    """
    if flush is None:
        return await receive.receive()
    got: list[Envelope] = []
    failed: list[BaseException] = []
    ended = False

    async def take() -> None:
        nonlocal ended
        try:
            got.append(await receive.receive())
        except trio.EndOfChannel:
            ended = True
        race.cancel_scope.cancel()

    async def finish() -> None:
        try:
            await flush()
        except Exception as err:
            failed.append(err)
            race.cancel_scope.cancel()
        else:
            flushed()

    async with trio.open_nursery() as race:
        race.start_soon(take)
        race.start_soon(finish)
    if failed:
        raise failed[0]
    if ended:
        raise trio.EndOfChannel
    return got[0]  # (take() ends the race only once it has a message or the end)


# Each reply is failed with an exception of its own: one object raised in many waiting tasks
# would collect all their tracebacks (and keep their frames alive).
def _error(kind: type[ActorError], message: str, cause: BaseException | None) -> ActorError:
    error = kind(message)
    error.__cause__ = cause
    return error


def _fail_unsettled(
    batch: Sequence[Envelope], kind: type[ActorError], message: str, cause: BaseException | None = None
) -> None:
    for envelope in batch:
        if not envelope.reply.settled:
            envelope.reply.fail(_error(kind, message, cause))


def _fail_queued(cell: _Cell, kind: type[ActorError], message: str, cause: BaseException | None = None) -> None:
    while True:
        try:
            envelope = cell.receive_channel.receive_nowait()
        except (trio.WouldBlock, trio.EndOfChannel):
            return
        envelope.reply.fail(_error(kind, message, cause))
