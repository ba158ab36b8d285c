"""The hunt actor: decide -> apply -> append (pipelined group commit) -> ack.

One actor is the only writer of its hunt. It takes a batch of messages from its mailbox,
decides every command against the live state (pure rules), applies the resulting events,
and appends the whole batch to SQLite in one transaction on a commit thread. It does not wait
for that commit to decide the next batch: batch N+1 is decided and applied while batch N is
being written, so the processor and the disk work at once. Commits still happen one at a
time, in seq order (N+1 is handed to the disk once N is durable).

Nothing of a batch is seen outside the actor before it is durable: its acks and rejections
(which may depend on N's tentative events) are released when its commit is, readers of the
state wait until it is settled (no decided event is still undurable; the actor lets waiting
readers in between batches), and the hub publishes feed items, the committed seq and cached
views only for durable batches. If a commit fails, the batch and every batch decided on top
of it fail (``ActorCrashed``: retry), and the actor crashes on purpose, so that the supervisor
reloads it from disk before it takes more.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import outcome
import trio

from actors import ActorCrashed, Envelope, ReplySlot

from ..domain import Command, HuntState, Recorded, Rejected, decide
from ..domain import outcome as outcome_of
from ..store import HuntStore, StoreError, encode_snapshot, encode_snapshot_document
from ._dedup import DedupIndex, Key, KeyFilter
from ._hub import HuntHub

__all__ = ["Ack", "HuntActor", "SetMeta", "Submit", "Touch"]

log = logging.getLogger("hunt.actor")


@dataclass(frozen=True, slots=True)
class Submit:
    """Decide and persist these commands; the reply is a list of ``Ack | Rejected``, in order."""

    commands: Sequence[Command]


@dataclass(frozen=True, slots=True)
class Touch:
    """Make sure the hunt is loaded (no effect); the reply is the committed seq."""


@dataclass(frozen=True, slots=True)
class SetMeta:
    """Store ``value`` under ``key`` in the hunt file's meta table (the relay cursor); the reply is None.

    Through the actor because its connection is the only one that may write the file. Written
    after the batch's commands were acknowledged, so it never delays a player's ack. A failed
    write fails this reply only (the value is advisory; the actor carries on).
    """

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Ack:
    """A durable outcome. ``duplicate`` when the command had been accepted before."""

    seq: int
    fields: dict[str, Any]
    record: Recorded
    duplicate: bool = False


@dataclass(slots=True, eq=False)
class _Commit:
    """A batch on its way to the disk: what to publish, and whom to answer, once it is durable."""

    records: list[Recorded]
    upto: int  # the state's seq once this batch is applied
    replies: list[tuple[ReplySlot, Any]]
    done: trio.Event
    error: BaseException | None = None


class HuntActor:
    """The behaviour of one hunt's actor (see ``actors.Behaviour``).

    ``lookups`` is a read-only connection to the hunt file for dedup lookups: the writer's
    connection is busy with the commit in flight, and what that commit holds is in memory.
    """

    def __init__(self, store: HuntStore, state: HuntState, hub: HuntHub, dedup: DedupIndex,
                 clock: Callable[[], int], snapshot_every: int, threads: trio.CapacityLimiter,
                 lookups: HuntStore) -> None:
        self.store = store
        self.lookups = lookups
        self.state = state
        self.hub = hub
        self.dedup = dedup
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.threads = threads  # the commit pool (see _pools)
        self._inflight: _Commit | None = None
        self._closed = False
        self._snapshot_seq = store.last_snapshot_seq  # of the last snapshot written or on its way
        hub.attach(state)

    async def handle(self, batch: Sequence[Envelope]) -> None:
        await self._publish_if_done()  # N finished meanwhile: its acks go out before N+1 is decided
        if self.hub.waiting_readers:
            await self._let_readers_in()
        state = self.state
        now = max(self.clock(), state.last_ts)  # the log's clock never runs backwards
        known = await self._recorded_keys(batch)
        replies: list[tuple[ReplySlot, Any]] = []
        records: list[Recorded] = []
        meta: list[Envelope] = []
        for envelope in batch:
            match envelope.message:
                case Submit(commands=commands):
                    replies.append((envelope.reply, [self._decide_one(c, now, known, records) for c in commands]))
                case Touch():
                    replies.append((envelope.reply, None))
                case SetMeta():
                    meta.append(envelope)
                case other:
                    raise TypeError(f"unexpected message {other!r}")
        replies = [(reply, state.seq if value is None else value) for reply, value in replies]
        snapshot = None
        if records:
            self.hub.begin_commit()  # the state is tentative from here until this batch is durable
            if state.seq // self.snapshot_every > self._snapshot_seq // self.snapshot_every:
                # The copy must be taken here, between batches; encoding it (a few ms for a
                # thousand players) happens on the commit thread, off the event loop.
                snapshot = (state.seq, now, state.to_dict())
                self._snapshot_seq = state.seq
        # One commit at a time, in seq order: this batch goes to the disk once N is durable.
        # A failure of N raises here, and this batch (decided on top of N) fails with it.
        if self._inflight is not None:
            self.hub.pipelined += 1
        await self._finish_inflight()
        if records:
            await self._start_commit(records, replies, snapshot)
        else:
            for reply, value in replies:  # decided against a durable state: answer now
                reply.set(value)
        if meta:
            await self._finish_inflight()
            for envelope in meta:
                await self._set_meta(envelope)

    async def flush(self) -> None:
        """Wait for the commit in flight and answer its batch (the router calls it when idle)."""
        await self._finish_inflight()

    async def _publish_if_done(self) -> None:
        if self._inflight is not None and self._inflight.done.is_set():
            await self._finish_inflight()

    async def _let_readers_in(self) -> None:
        """Readers wait for a settled state, which a busy pipeline never has: settle it (finish
        the commit in flight; nothing later is decided yet) and yield until they have read."""
        await self._finish_inflight()
        for _ in range(8):  # woken readers read at once; a few scheduling rounds are plenty
            if not self.hub.waiting_readers:
                break
            await trio.sleep(0)

    async def _start_commit(self, records: list[Recorded], replies: list[tuple[ReplySlot, Any]],
                            snapshot: tuple[int, int, dict[str, Any]] | None) -> None:
        """Hand the batch to a commit thread and return; ``_finish_inflight`` collects it."""
        commit = _Commit(records, self.state.seq, replies, trio.Event())
        store, threads = self.store, self.threads
        await threads.acquire_on_behalf_of(commit)
        token = trio.lowlevel.current_trio_token()

        def append() -> None:
            blob = None if snapshot is None else (snapshot[0], snapshot[1], encode_snapshot_document(snapshot[2]))
            store.append(records, blob)

        def landed(result: Any) -> None:  # on the event loop
            threads.release_on_behalf_of(commit)
            if isinstance(result, outcome.Error):
                commit.error = result.error
            commit.done.set()

        self._inflight = commit
        trio.lowlevel.start_thread_soon(append, lambda result: token.run_sync_soon(landed, result))

    async def _finish_inflight(self) -> None:
        """Wait for the commit in flight; publish it and answer its batch, or fail it and raise."""
        commit = self._inflight
        if commit is None:
            return
        await commit.done.wait()
        self._inflight = None
        if commit.error is not None:
            # Tentative state (this batch and any decided on top of it): nobody may read it,
            # and it must not survive. The runtime fails the later batches' replies and
            # restarts this actor from disk.
            self.hub.abort_commit()
            for reply, _ in commit.replies:
                reply.fail(ActorCrashed(f"hunt {self.hub.hunt_id!r}: commit failed: {commit.error}"))
            raise commit.error
        self.dedup.durable(commit.records)
        self.hub.end_commit(commit.records, commit.upto, settled=self.state.seq == commit.upto)
        for reply, value in commit.replies:
            reply.set(value)

    async def _set_meta(self, envelope: Envelope) -> None:
        message: SetMeta = envelope.message
        try:
            await trio.to_thread.run_sync(self.store.set_meta, message.key, message.value, limiter=self.threads)
        except StoreError as err:
            log.warning("hunt %s: writing meta %r failed: %s", self.hub.hunt_id, message.key, err)
            envelope.reply.fail(err)
        else:
            envelope.reply.set(None)

    def _decide_one(self, command: Command, now: int, known: dict[Key, Recorded],
                    records: list[Recorded]) -> Ack | Rejected:
        state = self.state
        key = (command.principal, command.cmd)
        earlier = known.get(key)
        if earlier is not None:
            return Ack(earlier.seq, outcome_of(state, earlier), earlier, duplicate=True)
        try:
            event = decide(state, command, now)
        except Rejected as rejection:
            return rejection
        except Exception as err:  # a bug in one rule must not take the batch down
            log.exception("deciding %r failed", command)
            return Rejected("internal", f"internal error: {type(err).__name__}")
        record = Recorded(state.seq + 1, now, event, command.cmd, command.principal)
        state.apply(record)
        self.dedup.add(record)
        known[key] = record
        records.append(record)
        return Ack(record.seq, outcome_of(state, record), record)

    async def _recorded_keys(self, batch: Sequence[Envelope]) -> dict[Key, Recorded]:
        """The keys of the batch's commands that are already recorded, from memory or the disk.

        Looked up once, before deciding, so that the batch's own keys cannot be mistaken for
        earlier ones. Only keys the dedup filter holds and memory does not go to the disk,
        through the read-only connection (what is not durable yet is in memory).
        """
        known, unsure = self.dedup.classify(
            (command.principal, command.cmd)
            for envelope in batch if isinstance(envelope.message, Submit)
            for command in envelope.message.commands)
        if unsure:
            known.update(await trio.to_thread.run_sync(self.lookups.find_commands, unsure, limiter=self.threads))
        return known

    def start_filter_build(self, build: Callable[[Callable[[], bool]], KeyFilter | None]) -> None:
        """Build the dedup filter on a thread of its own (a long log takes seconds); until it is
        installed, keys not in memory are looked up on disk, which is slower but as exact."""
        token = trio.lowlevel.current_trio_token()

        def built(result: Any) -> None:  # on the event loop
            if isinstance(result, outcome.Error):
                log.warning("hunt %s: dedup filter not built (keys go to the disk): %r",
                            self.hub.hunt_id, result.error)
                self.dedup.no_filter()
            elif result.value is not None and not self._closed:
                self.dedup.install(result.value)
                self.hub.dedup_filter_ready = True

        def deliver(result: Any) -> None:  # on the build thread
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(built, result)

        trio.lowlevel.start_thread_soon(lambda: build(lambda: self._closed), deliver)

    def can_passivate(self) -> bool:
        return self.hub.subscribers == 0

    async def aclose(self, *, clean: bool) -> None:
        self._closed = True  # (a filter build still running stops)
        store, state = self.store, self.state
        try:
            if self._inflight is not None:  # a crash or a cancel left a commit on its thread
                with trio.CancelScope(shield=True):
                    await self._inflight.done.wait()
                clean = clean and self._inflight.error is None
            if clean and state.seq > store.last_snapshot_seq:
                blob = encode_snapshot(state)
                await trio.to_thread.run_sync(store.write_snapshot, state.seq, state.last_ts, blob,
                                               limiter=self.threads)
        finally:
            self.hub.detach()
            # Shielded: when the router's stop timeout has run out (a slow final snapshot), an
            # unshielded await here raised Cancelled before the close ran, the file lock was
            # never released, and the hunt answered `unavailable` until the server restarted.
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(store.close, limiter=self.threads)
                await trio.to_thread.run_sync(self.lookups.close, limiter=self.threads)
