"""Hunt stores whose commits go to the log of record first: the engine's seam for cluster mode.

``LoggedHuntStores(inner, record_log)`` is a :class:`hunt.store.HuntStores`; hand it to
``open_engine(config, stores=...)`` and the engine runs unchanged on top of it:

- **Append.** A writer's :meth:`LoggedHuntStore.append` (the one call through which every batch
  of the pipelined group commit becomes durable) publishes the batch to the hunt's subject with
  the stream seq of the last message this node knows there, and commits it to the local file
  only once the stream has acknowledged it. The engine acks after ``append`` returns: after
  both. No node ever holds a committed event the stream lacks. If the local commit fails after
  the stream took the batch, the actor crashes as on any failed commit, and reopening the hunt
  catches the file up from the stream before it serves again.
- **Fencing.** A refused append (another node wrote the subject since) raises
  :class:`LogFenced`: the engine answers the batch and everything decided on top of it
  `unavailable` and stops the actor; this node marks the hunt fenced, so every later open
  raises LogFenced too (the actor does not come back), and calls ``on_fenced(hunt_id)`` on the
  Trio thread so that the node can drop its lease. :meth:`LoggedHuntStores.fence` does the same
  from outside (a lease lost); :meth:`LoggedHuntStores.catch_up` lifts it. A node taking a hunt
  over appends a takeover mark once caught up, so the previous owner is refused at its next
  append even when the new owner has not written anything yet.
- **Catch-up.** Opening a hunt's writer first brings its file up to date from the stream
  (records after the file's last seq, through the store, so indexes and snapshots stay right),
  or builds the file from the stream when this node has none. A file with events the stream has
  never seen (a hunt imported, or one from before cluster mode) is first appended to the stream,
  expecting an empty subject: it becomes the log of record, or is refused if another node's
  copy got there first.
- **Create.** The creation record is the subject's first message (expected last seq 0), so
  two nodes cannot both create one hunt id: the second gets HuntExists.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import trio

from ..config import Config
from ..domain import Recorded
from ..engine import Engine, open_engine, wall_clock_ms
from ..store import HuntExists, HuntNotFound, HuntStore, HuntStores, SqliteHuntStores, StoreError, encode_snapshot
from ._log import LogDiverged, LogFenced, RecordLog, open_record_log

__all__ = ["CaughtUp", "LoggedHuntStore", "LoggedHuntStores", "open_logged_engine"]

log = logging.getLogger("hunt.cluster.log")

LOG_CURSOR = "log_stream_seq"  # meta key: a stream seq whose batch (and all before) the file holds


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """What a catch-up found: the hunt's last seq, its stream seq, and how many records it applied."""

    seq: int
    stream_seq: int
    applied: int


class LoggedHuntStores:
    """A :class:`hunt.store.HuntStores` over ``inner`` whose hunts' log of record is the stream.

    Create it on the Trio thread (``on_fenced`` is called there). ``snapshot_every``: a
    catch-up that applied at least this many records writes a snapshot, so the first load
    after it replays little.
    """

    def __init__(self, inner: HuntStores, record_log: RecordLog, *, snapshot_every: int = 1000,
                 on_fenced: Callable[[str], None] | None = None) -> None:
        self.inner = inner
        self.log = record_log
        self.snapshot_every = snapshot_every
        self.on_fenced = on_fenced
        self._token = trio.lowlevel.current_trio_token()
        self._fenced: set[str] = set()
        self._lock = threading.Lock()

    # -- HuntStores -------------------------------------------------------------------------

    def ids(self) -> list[str]:
        return self.inner.ids()

    def exists(self, hunt_id: str) -> bool:
        return self.inner.exists(hunt_id)

    def create(self, hunt_id: str, first: Sequence[Recorded]) -> None:
        """Append the creation batch to the stream as the subject's first message, then create
        the file. Raises HuntExists (here or in the stream), LogUnavailable."""
        if hunt_id in self.inner.ids():
            raise HuntExists(f"hunt {hunt_id!r} already exists")
        try:
            self.log.append(hunt_id, first, 0)
        except LogFenced as err:
            raise HuntExists(f"hunt {hunt_id!r} already exists (in the log of record)") from err
        self.inner.create(hunt_id, first)

    def open(self, hunt_id: str) -> LoggedHuntStore:
        """The hunt's writer, its file caught up from the stream first. Raises LogFenced (this
        node stepped down from the hunt), LogUnavailable, LogDiverged, HuntNotFound, ..."""
        if self.is_fenced(hunt_id):
            raise LogFenced(f"hunt {hunt_id!r}: this node stepped down from it (another node owns it)")
        store, caught = self._sync(hunt_id)
        return LoggedHuntStore(store, hunt_id, caught.stream_seq, self)

    def open_reader(self, hunt_id: str) -> HuntStore:
        return self.inner.open_reader(hunt_id)

    # -- the node's calls -------------------------------------------------------------------

    async def catch_up(self, hunt_id: str) -> CaughtUp:
        """Bring the hunt's file up to date from the stream (or build it), append a takeover
        mark (from then on the stream refuses the previous owner's appends, even before this
        node writes), and lift a fence.

        Call it when this node gains the hunt's lease, while the hunt is not loaded here (the
        engine's next open catches up again, cheaply: one request). Raises HuntNotFound (neither
        the stream nor this node has the hunt), LogFenced (another node took it over meanwhile),
        LogUnavailable, LogDiverged, StoreLocked.
        """

        def run() -> CaughtUp:
            store, caught = self._sync(hunt_id)
            try:
                mark = self.log.take_over(hunt_id, caught.seq, caught.stream_seq)
            finally:
                store.close()
            return CaughtUp(caught.seq, mark, caught.applied)

        caught = await trio.to_thread.run_sync(run)
        with self._lock:
            self._fenced.discard(hunt_id)
        return caught

    async def prepare(self, hunt_id: str) -> bool:
        """The node's hook when it gains a hunt's lease (``open_node(prepare=...)``): catch up;
        False when neither the stream nor this node has the hunt. Other errors raise."""
        try:
            await self.catch_up(hunt_id)
        except HuntNotFound:
            return False
        return True

    def fence(self, hunt_id: str) -> None:
        """Step down from a hunt (say, its lease lapsed): its next commit and open raise LogFenced."""
        with self._lock:
            self._fenced.add(hunt_id)

    def is_fenced(self, hunt_id: str) -> bool:
        with self._lock:
            return hunt_id in self._fenced

    def _fenced_by_stream(self, hunt_id: str) -> None:
        """On a commit thread: the stream refused an append. Fence, and tell the node."""
        self.fence(hunt_id)
        log.warning("hunt %s: the log of record refused this node's append; stepping down", hunt_id)
        if self.on_fenced is not None:
            with contextlib.suppress(trio.RunFinishedError):
                self._token.run_sync_soon(self.on_fenced, hunt_id)

    # -- catch-up (blocking) ----------------------------------------------------------------

    def _sync(self, hunt_id: str) -> tuple[HuntStore, CaughtUp]:
        last, last_stream = self.log.last(hunt_id)
        try:
            store: HuntStore | None = self.inner.open(hunt_id)
        except HuntNotFound:
            if last == 0:
                raise
            store = None
        try:
            local = 0 if store is None else store.last_seq()
            if local > last:
                if last != 0:
                    raise LogDiverged(f"hunt {hunt_id!r}: the file holds seq {local}, the stream only {last}")
                assert store is not None
                last_stream = self._adopt(hunt_id, store, local)
                return store, CaughtUp(local, last_stream, 0)
            applied = 0
            if local < last:
                store, applied = self._apply(hunt_id, store, local, last, last_stream)
            assert store is not None
            return store, CaughtUp(last, last_stream, applied)
        except BaseException:
            if store is not None:
                store.close()
            raise

    def _apply(self, hunt_id: str, store: HuntStore | None, local: int, last: int,
               last_stream: int) -> tuple[HuntStore, int]:
        """Apply the stream's records after ``local`` up to ``last`` to the file (building it)."""
        start = 0
        if store is not None:
            with contextlib.suppress(ValueError, TypeError):
                start = int(store.get_meta(LOG_CURSOR) or 0)
            start = start if start <= last_stream else 0  # the stream was recreated: read it all
        applied = 0
        for _, records in self.log.read(hunt_id, start, last_stream):
            records = [r for r in records if r.seq > local]
            if not records:
                continue
            if records[0].seq != local + 1:
                raise LogDiverged(f"hunt {hunt_id!r}: the stream jumps from seq {local} to {records[0].seq}")
            if store is None:
                self.inner.create(hunt_id, records)
                store = self.inner.open(hunt_id)
            else:
                store.append(records)
            local = records[-1].seq
            applied += len(records)
        if store is None or local != last:
            raise LogDiverged(f"hunt {hunt_id!r}: read up to seq {local} of the stream's {last}")
        store.set_meta(LOG_CURSOR, str(last_stream))
        if applied >= self.snapshot_every:
            state, _ = store.load()
            if state is not None:
                store.write_snapshot(state.seq, state.last_ts, encode_snapshot(state))
        log.info("hunt %s: caught up from the log of record to seq %d (%d records)", hunt_id, last, applied)
        return store, applied

    def _adopt(self, hunt_id: str, store: HuntStore, local: int) -> int:
        """The stream has no record of a hunt this file holds: append the file to it, expecting
        an empty subject (a copy another node adopted first wins: LogFenced)."""
        expected, after = 0, 0
        while after < local:
            records = list(store.read(after=after, limit=self.log.settings.log_catch_up_batch))
            expected = self.log.append(hunt_id, records, expected)
            after = records[-1].seq
        store.set_meta(LOG_CURSOR, str(expected))
        log.info("hunt %s: its file (seq %d) is now in the log of record", hunt_id, local)
        return expected


class LoggedHuntStore:
    """One hunt's writer: :meth:`append` goes to the stream, then to the file; the rest is the file's."""

    def __init__(self, inner: HuntStore, hunt_id: str, stream_seq: int, stores: LoggedHuntStores) -> None:
        self.inner = inner
        self.hunt_id = hunt_id
        self.stream_seq = stream_seq  # of the last message on the hunt's subject that this node knows
        self._stores = stores

    def append(self, records: Sequence[Recorded], snapshot: tuple[int, int, bytes] | None = None) -> None:
        """Stream first (raises LogFenced, LogUnavailable: nothing is committed here), then the file."""
        stores = self._stores
        if records:
            if stores.is_fenced(self.hunt_id):
                raise LogFenced(f"hunt {self.hunt_id!r}: this node stepped down from it")
            try:
                self.stream_seq = stores.log.append(self.hunt_id, records, self.stream_seq)
            except LogFenced:
                stores._fenced_by_stream(self.hunt_id)
                raise
        self.inner.append(records, snapshot)
        if snapshot is not None:  # a hint for the next catch-up, as often as snapshots are written
            with contextlib.suppress(StoreError):
                self.inner.set_meta(LOG_CURSOR, str(self.stream_seq))

    def __getattr__(self, name: str) -> Any:  # everything else (last_snapshot_seq included) is the file's
        return getattr(self.inner, name)


@asynccontextmanager
async def open_logged_engine(config: Config, name: str, *, clock: Callable[[], int] = wall_clock_ms,
                             ) -> AsyncIterator[tuple[Engine, LoggedHuntStores]]:
    """A cluster node's engine: its hunt files under the data dir, their log of record the stream
    at ``cluster.nats_url``. ``open_node(..., log=stores)`` catches a hunt up (``stores.prepare``)
    when it takes the lease and releases the lease when the stream fences it. Raises LogUnavailable."""
    async with open_record_log(config.cluster, config.cluster.nats_url, name=f"{name}-log") as record_log:
        files = SqliteHuntStores(config.data_path, synchronous=config.store.synchronous,
                                 busy_timeout_ms=config.store.busy_timeout_ms)
        stores = LoggedHuntStores(files, record_log, snapshot_every=config.store.snapshot_every)
        async with open_engine(config, clock=clock, stores=stores) as engine:
            yield engine, stores
