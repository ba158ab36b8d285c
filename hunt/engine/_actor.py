"""The hunt actor: decide -> apply -> append (group commit) -> ack.

One actor is the only writer of its hunt. It takes a batch of messages from its mailbox,
decides every command against the live state (pure rules), applies the resulting events,
appends the whole batch to SQLite in one transaction, and only then acknowledges: an ack
means durable. If the commit fails, the state of the batch is tentative and is thrown away:
the actor fails every command of the batch and crashes, so the supervisor reloads it from
disk before it takes more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import trio

from actors import Envelope

from ..domain import Command, HuntState, Recorded, Rejected, decide, outcome
from ..store import SqliteHuntStore, StoreError, encode_snapshot, encode_snapshot_document
from ._dedup import DedupIndex, Key
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


class HuntActor:
    """The behaviour of one hunt's actor (see ``actors.Behaviour``)."""

    def __init__(self, store: SqliteHuntStore, state: HuntState, hub: HuntHub, dedup: DedupIndex,
                 clock: Callable[[], int], snapshot_every: int) -> None:
        self.store = store
        self.state = state
        self.hub = hub
        self.dedup = dedup
        self.clock = clock
        self.snapshot_every = snapshot_every
        hub.attach(state)

    async def handle(self, batch: Sequence[Envelope]) -> None:
        state = self.state
        now = max(self.clock(), state.last_ts)  # the log's clock never runs backwards
        known = await self._recorded_keys(batch)
        results: list[list[Ack | Rejected] | None] = []
        records: list[Recorded] = []
        meta: list[Envelope] = []
        for envelope in batch:
            match envelope.message:
                case Submit(commands=commands):
                    results.append([self._decide_one(command, now, known, records) for command in commands])
                case Touch():
                    results.append(None)
                case SetMeta():
                    results.append(None)
                    meta.append(envelope)
                case other:
                    raise TypeError(f"unexpected message {other!r}")
        if records:
            await self._commit(records, now)
        for envelope, result in zip(batch, results, strict=True):
            if not isinstance(envelope.message, SetMeta):
                envelope.reply.set(state.seq if result is None else result)
        for envelope in meta:
            await self._set_meta(envelope)

    async def _set_meta(self, envelope: Envelope) -> None:
        message: SetMeta = envelope.message
        try:
            await trio.to_thread.run_sync(self.store.set_meta, message.key, message.value)
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
            return Ack(earlier.seq, outcome(state, earlier), earlier, duplicate=True)
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
        return Ack(record.seq, outcome(state, record), record)

    async def _recorded_keys(self, batch: Sequence[Envelope]) -> dict[Key, Recorded]:
        """The keys of the batch's commands that are already recorded, from memory or the disk.

        Looked up once, before deciding, so that the batch's own keys cannot be mistaken for
        earlier ones. Only keys the dedup filter holds and memory does not go to the disk.
        """
        known, unsure = self.dedup.classify(
            (command.principal, command.cmd)
            for envelope in batch if isinstance(envelope.message, Submit)
            for command in envelope.message.commands)
        if unsure:
            known.update(await trio.to_thread.run_sync(self.store.find_commands, unsure))
        return known

    async def _commit(self, records: list[Recorded], now: int) -> None:
        state = self.state
        store = self.store
        document = None
        if state.seq // self.snapshot_every > store.last_snapshot_seq // self.snapshot_every:
            # The copy must be taken here, between events; encoding it (a few ms for a
            # thousand players) can then happen on the worker thread, off the event loop.
            document = state.to_dict()
        seq = state.seq

        def append() -> None:
            store.append(records, None if document is None else (seq, now, encode_snapshot_document(document)))

        self.hub.begin_commit()
        try:
            await trio.to_thread.run_sync(append)
        except BaseException:
            # Tentative state: nobody may read it, and it must not survive. The runtime fails
            # the batch's replies and restarts this actor from disk.
            self.hub.abort_commit()
            raise
        self.dedup.durable(records)
        self.hub.end_commit(records)

    def can_passivate(self) -> bool:
        return self.hub.subscribers == 0

    async def aclose(self, *, clean: bool) -> None:
        store, state = self.store, self.state
        try:
            if clean and state.seq > store.last_snapshot_seq:
                blob = encode_snapshot(state)
                await trio.to_thread.run_sync(store.write_snapshot, state.seq, state.last_ts, blob)
        finally:
            self.hub.detach()
            # Shielded: when the router's stop timeout has run out (a slow final snapshot), an
            # unshielded await here raised Cancelled before the close ran, the file lock was
            # never released, and the hunt answered `unavailable` until the server restarted.
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(store.close)
