"""The engine: hunts as actors behind a router, and every operation the API and CLI need.

Use it as ``async with open_engine(config) as engine: ...``. Writes go through the hunt's
actor (``submit``); reads come from the settled in-memory state, or from a read-only
connection to the hunt file for history (events, export, time travel, verify). The router
and the hubs stay inside: callers subscribe (``subscribe``/``unsubscribe``), watch a hunt's
live side (``live``), read encoded views (``view``), save a relay cursor
(``save_relay_cursor``), read committed events (``read_events``) and take ``statistics()``.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import trio

from actors import (
    ActorStatistics,
    ActorStopped,
    CallbackReply,
    Reply,
    RequestTimeout,
    Router,
    RouterConfig,
    RouterStatistics,
    open_router,
)

from ..config import Config
from ..domain import (
    Command,
    HuntCreated,
    HuntDefinition,
    HuntState,
    Recorded,
    Rejected,
    RuleDefaults,
    parse_definition,
)
from ..store import RELAY_CURSOR, HuntNotFound, HuntStore, HuntStores, SqliteHuntStores, StoreError, hunt_path
from ._actor import Ack, HuntActor, SetMeta, Submit, Touch
from ._commandlog import CommandStats, log_commands
from ._dedup import build_filter, load_dedup_index
from ._feed import FEED_TYPES, PUBLIC_FEED_TYPES, FeedItem, feed_item
from ._gc import run_gc_policy
from ._history import import_hunt, verify_hunt
from ._hub import HuntHub, LiveHunt
from ._pools import WorkerPools

__all__ = ["Engine", "EngineStatistics", "HuntStatistics", "Result", "TooLarge", "open_engine", "wall_clock_ms"]

log = logging.getLogger("hunt.engine")

Result = Ack | Rejected
T = TypeVar("T")


class TooLarge(Exception):
    """Raised when a read would return more than its configured bound (in cluster mode, a
    history reply from another node past ``cluster.history_max_bytes``)."""


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class HuntSummary:
    id: str
    title: str
    status: str
    players: int
    events: int
    active: bool


@dataclass(frozen=True, slots=True)
class HuntStatistics:
    """One hunt as the engine sees it (``seq``, ``players``, ``counts`` only while it is loaded)."""

    id: str
    active: bool
    subscribers: int
    seq: int | None
    players: int | None
    counts: dict[str, int]
    actor: ActorStatistics | None
    pipelined_batches: int  # decided while the batch before was being committed
    dedup_filter_ready: bool  # the dedup filter is built (until then keys not in memory go to the disk)


@dataclass(frozen=True, slots=True)
class EngineStatistics:
    """A snapshot of the engine: the router's counters and every hunt it has touched."""

    router: RouterStatistics
    hunts: tuple[HuntStatistics, ...]

    def hunt(self, hunt_id: str) -> HuntStatistics | None:
        return next((h for h in self.hunts if h.id == hunt_id), None)


class Engine:
    """Owns the router and one hub per known hunt. Create it with :func:`open_engine`.

    Hunts are kept by ``stores`` (a :class:`~hunt.store.HuntStores`): one SQLite file per hunt
    under the data dir unless the caller hands it others (in-memory stores, a fault injector).
    """

    def __init__(self, config: Config, clock: Callable[[], int], stores: HuntStores | None = None) -> None:
        self.config = config
        self.clock = clock
        self.data_dir = config.data_path
        self.stores: HuntStores = stores if stores is not None else SqliteHuntStores(
            self.data_dir, synchronous=config.store.synchronous, busy_timeout_ms=config.store.busy_timeout_ms)
        self._router: Router  # set by open_engine
        self._pools = WorkerPools.from_config(config.engine)
        self._hubs: dict[str, HuntHub] = {}
        self._known: set[str] = set(self.stores.ids())
        self._observer: Callable[[str, Sequence[Recorded]], None] | None = None
        self.commands = CommandStats()  # ack latency and refusals, for /metrics
        self.rule_defaults = RuleDefaults(
            wrong_attempts_max=config.game.wrong_attempts_max,
            wrong_attempts_window_s=config.game.wrong_attempts_window_s,
            heatmap_cell_deg=config.game.heatmap_cell_deg,
            heatmap_max_cells=config.game.heatmap_max_cells,
        )

    # -- hunts -----------------------------------------------------------------------------

    def hunt_ids(self) -> list[str]:
        """Every hunt of the data dir, with those another process (``hunt import``, ``hunt run``)
        created since this engine started: the listing looks at the directory each time."""
        self._known.update(self.stores.ids())
        return sorted(self._known)

    def exists(self, hunt_id: str) -> bool:
        return self.discover(hunt_id)

    def require(self, hunt_id: str) -> None:
        """Raise InvalidHuntId or HuntNotFound unless ``hunt_id`` names a known hunt."""
        if not self.discover(hunt_id):  # known ids were validated when they became known
            hunt_path(self.data_dir, hunt_id)  # raises InvalidHuntId for a malformed id
            raise HuntNotFound(f"no hunt {hunt_id!r}")

    def discover(self, hunt_id: str) -> bool:
        """Whether ``hunt_id`` is known, looking on disk for a hunt another process created."""
        if hunt_id in self._known:
            return True
        try:
            hunt_path(self.data_dir, hunt_id)  # a malformed id names no hunt
        except StoreError:
            return False
        found = self.stores.exists(hunt_id)  # one stat: any well-formed id may be asked for
        if found:
            self._known.add(hunt_id)
        return found

    def _hub(self, hunt_id: str) -> HuntHub:
        hub = self._hubs.get(hunt_id)
        if hub is None:
            self.require(hunt_id)
            hub = self._hubs[hunt_id] = HuntHub(hunt_id, self.config.engine.feed_buffer,
                                                self.config.engine.join_feed)
            hub.observer = self._observer
        return hub

    def observe_commits(self, observer: Callable[[str, Sequence[Recorded]], None]) -> None:
        """Call ``observer(hunt_id, records)`` with every durable batch, before its acks go out
        (the owner of ``--workers N`` publishes them to the gateways). It must not block."""
        self._observer = observer
        for hub in self._hubs.values():
            hub.observer = observer

    def is_active(self, hunt_id: str) -> bool:
        """Whether the hunt is loaded (its actor runs)."""
        return self._router.is_active(hunt_id)

    def active_count(self) -> int:
        return len(self._router.active_keys())

    async def unload(self, hunt_id: str) -> None:
        """Stop the hunt's actor once it has drained its mailbox (a final snapshot is written)
        and wait until its file is closed. No effect on a hunt that is not loaded."""
        self._router.passivate(hunt_id)
        await self._router.wait_stopped(hunt_id)

    async def wait_unloaded(self, hunt_id: str) -> None:
        """Wait until the hunt's actor is stopped and its file closed (say, after it idled out)."""
        await self._router.wait_stopped(hunt_id)

    # -- live side -------------------------------------------------------------------------

    def live(self, hunt_id: str) -> LiveHunt:
        """A read-only door on the hunt's committed live side (seq, feed, wake-ups, views)."""
        return LiveHunt(self._hub(hunt_id))

    def subscribe(self, hunt_id: str) -> None:
        """Count one more subscriber: a hunt with subscribers is never unloaded for idleness."""
        self._hub(hunt_id).subscribers += 1

    def unsubscribe(self, hunt_id: str) -> None:
        """Undo one :meth:`subscribe`. Raises ValueError if there is none to undo."""
        hub = self._hub(hunt_id)
        if hub.subscribers <= 0:
            raise ValueError(f"hunt {hunt_id!r} has no subscriber to remove")
        hub.subscribers -= 1

    async def view(self, hunt_id: str, key: Any, build: Callable[[HuntState], Any],
                   encode: Callable[[Any], bytes]) -> tuple[bytes, str]:
        """``build(state)`` encoded, at most once per committed version; returns ``(body, etag)``."""
        state = await self.state(hunt_id)
        hub = self._hub(hunt_id)
        return hub.views.get(key, hub.seq, lambda: build(state), encode)

    async def save_relay_cursor(self, hunt_id: str, seq: int) -> bool:
        """Write the relay's cursor into the hunt file, through its actor (the file's only writer).

        Returns False without waking the hunt when it is not loaded. Raises StoreError or an
        actor error (ActorError) when the write failed; the cursor is advisory, retry later.
        """
        if not self._router.is_active(hunt_id):
            return False
        await self._router.ask(hunt_id, SetMeta(RELAY_CURSOR, str(seq)), timeout=self.config.engine.request_timeout_s)
        return True

    def statistics(self) -> EngineStatistics:
        router = self._router.statistics()
        actors = {actor.key: actor for actor in router.actors}
        hunts = []
        for hunt_id, hub in sorted(self._hubs.items()):
            state = hub.state
            hunts.append(HuntStatistics(
                id=hunt_id, active=hunt_id in actors, subscribers=hub.subscribers,
                seq=None if state is None else hub.seq, players=None if state is None else len(state.players),
                counts={} if state is None else dict(state.counts), actor=actors.get(hunt_id),
                pipelined_batches=hub.pipelined, dedup_filter_ready=hub.dedup_filter_ready))
        return EngineStatistics(router=router, hunts=tuple(hunts))

    async def create_hunt(self, document: Any) -> HuntDefinition:
        """Validate a definition and create its hunt file. Raises DefinitionError, HuntExists."""
        definition = parse_definition(document, self.rule_defaults)
        hunt_path(self.data_dir, definition.id)
        # A fresh incarnation each time: tokens of an earlier hunt with this id do not carry over.
        incarnation = secrets.token_urlsafe(16)
        created = Recorded(seq=1, ts=self.clock(), event=HuntCreated(dict(definition.document), incarnation))

        await self._pools.run_commit(lambda: self.stores.create(definition.id, [created]))
        self._known.add(definition.id)
        return definition

    async def import_hunt(self, lines: Iterable[bytes], *, progress: Callable[[int], None] | None = None) -> str:
        """Create a hunt from an NDJSON export (streamed); returns its id. Raises InvalidImport, HuntExists."""
        hunt_id = await self._pools.run_import(
            lambda: import_hunt(self.data_dir, lines, self.config.store, progress))
        self._known.add(hunt_id)
        return hunt_id

    # -- commands --------------------------------------------------------------------------

    async def submit(self, hunt_id: str, commands: Sequence[Command]) -> list[Result]:
        """Decide and durably record commands; one result per command, in order.

        Raises HuntNotFound, Overloaded (mailbox full for the admission timeout), ActorCrashed
        (the batch's commit failed: retry), ActorStopped (shutting down), RequestTimeout.
        """
        self.require(hunt_id)
        self._hub(hunt_id)
        reply = Reply()
        started = trio.current_time()
        await self._router.send(hunt_id, Submit(tuple(commands)), reply)
        deadline = self.config.engine.request_timeout_s
        with trio.move_on_after(deadline):
            result: list[Result] = await reply.wait()
            latency_s = trio.current_time() - started
            self.commands.settled(result, latency_s)
            if self.config.logging.commands:
                log_commands(hunt_id, commands, result, latency_s)
            return result
        self.commands.refused("timeout", len(commands))
        raise RequestTimeout(f"no durable ack from hunt {hunt_id!r} within {deadline} s")

    async def send(self, hunt_id: str, commands: Sequence[Command],
                   callback: Callable[[Any, BaseException | None], None]) -> None:
        """Queue commands, waiting for mailbox space as :meth:`submit` does, but not for the
        outcome: ``callback(results, error)`` runs on the actor's task once they are settled
        (it must not block). Raises what :meth:`submit` raises before its commands are queued;
        cancelled, nothing was queued."""
        self.require(hunt_id)
        self._hub(hunt_id)
        if self.config.logging.commands:
            started, settle = trio.current_time(), callback

            def callback(results: Any, error: BaseException | None) -> None:
                if error is None:
                    log_commands(hunt_id, commands, results, trio.current_time() - started)
                settle(results, error)

        await self._router.send(hunt_id, Submit(tuple(commands)), CallbackReply(callback))

    def submit_nowait(self, hunt_id: str, commands: Sequence[Command],
                      callback: Callable[[Any, BaseException | None], None]) -> None:
        """Queue commands without waiting; ``callback(results, error)`` runs once they are settled.

        Raises Overloaded at once if the mailbox is full. For load generators.
        """
        self.require(hunt_id)
        self._hub(hunt_id)
        self._router.send_nowait(hunt_id, Submit(tuple(commands)), CallbackReply(callback))

    # -- reads -----------------------------------------------------------------------------

    async def state(self, hunt_id: str, *, min_seq: int = 0) -> HuntState:
        """The live state, loaded if needed and settled (read it before your next await).

        Here it holds every durable commit, so ``min_seq`` (what a client has already seen)
        needs no wait; a gateway's replica waits for it (hunt.cluster)."""
        hub = self._hub(hunt_id)
        while True:
            state = await hub.settled()
            if state is not None:
                return state
            await self._router.ask(hunt_id, Touch(), timeout=self.config.engine.request_timeout_s)

    async def read_events(self, hunt_id: str, *, after: int = 0, until: int | None = None,
                          limit: int | None = None, player: str | None = None, type_: str | None = None,
                          clue: str | None = None, from_ts: int | None = None, to_ts: int | None = None,
                          newest_first: bool = False) -> list[Recorded]:
        """History from the log through the indexes (a read-only connection, off the event loop)."""
        self.require(hunt_id)
        return await self._with_reader(hunt_id, lambda reader: list(reader.read(
            after=after, until=until, limit=limit, player=player, type_=type_, clue=clue, from_ts=from_ts,
            to_ts=to_ts, newest_first=newest_first)))

    async def seq_at_time(self, hunt_id: str, ts: int) -> int:
        """The seq of the last event at or before ``ts`` (epoch ms), 0 if none (for time travel by clock)."""
        self.require(hunt_id)
        return await self._with_reader(hunt_id, lambda reader: reader.seq_at_time(ts))

    async def with_reader(self, hunt_id: str, work: Callable[[HuntStore], T]) -> T:
        """``work(reader)`` on a worker thread with a read-only reader of the hunt's log (it
        must only read). Raises HuntNotFound, StoreError."""
        self.require(hunt_id)
        return await self._with_reader(hunt_id, work)

    async def _with_reader(self, hunt_id: str, work: Callable[[HuntStore], T]) -> T:
        """Run ``work(reader)`` on a worker thread with a reader of the hunt (a read-only connection)."""

        def run() -> T:
            reader = self.stores.open_reader(hunt_id)
            try:
                return work(reader)
            finally:
                reader.close()

        return await self._pools.run_read(run)

    async def feed_since(self, hunt_id: str, since: int, player: str | None) -> tuple[list[FeedItem], int]:
        """One page of the feed items after ``since`` that concern ``player`` or the whole hunt.

        Returns ``(items, upto)``: every such item with a seq in ``(since, upto]``, in order.
        While ``upto`` is below the committed seq, call again from ``upto`` for the next page.
        Items still in memory come at once; older ones are read from the log, at most
        ``engine.history_page`` of each feed type per page, on the read pool: a replay of a
        long history costs bounded memory and never holds a commit back.
        """
        hub = self._hub(hunt_id)
        await self.state(hunt_id)
        recent = hub.feed.after(since)
        if recent is not None:
            upto = max(hub.seq, since)
        else:
            floor, page = hub.feed.floor, self.config.engine.history_page

            def read_page(reader: HuntStore) -> list[Recorded]:
                rows = [record for type_ in FEED_TYPES
                        for record in reader.read(after=since, until=floor, type_=type_, limit=page)]
                return sorted(rows, key=lambda r: r.seq)[:page]

            older = await self._with_reader(hunt_id, read_page)
            # A full page may stop short of the floor; else every item up to the floor was read
            # (commits made meanwhile only push the floor up: the next page starts from here).
            upto = older[-1].seq if len(older) == page else floor
            state = await self.state(hunt_id)
            recent = [item for record in older if (item := feed_item(record, state)) is not None]
        return [item for item in recent if item[1] is None or player in item[1]], upto

    async def recent_public_feed(self, hunt_id: str) -> list[FeedItem]:
        """The latest feed items for everybody (at most ``engine.join_feed``), oldest first: what
        a player who joins mid-hunt is shown. Read from the log once per hunt and process, then
        kept up to date in memory by the hub."""
        hub = self._hub(hunt_id)
        keep = hub.recent_public.maxlen or 0
        if keep and not hub.public_primed:
            await self.state(hunt_id)
            until = hub.seq
            older = await self._with_reader(hunt_id, lambda reader: reader.read_back(
                PUBLIC_FEED_TYPES, until=until, limit=keep, first_finds_only=True))
            state = await self.state(hunt_id)
            items = [item for record in older if (item := feed_item(record, state)) is not None and item[1] is None]
            newer = [item for item in hub.recent_public if item[0] > until]
            if not hub.public_primed:
                hub.recent_public.clear()
                hub.recent_public.extend(items + newer)
                hub.public_primed = True
        return list(hub.recent_public)

    async def state_at(self, hunt_id: str, seq: int) -> HuntState | None:
        """The state as of ``seq`` (time travel), from the nearest snapshot plus a replay."""
        self.require(hunt_id)
        return await self._with_reader(hunt_id, lambda reader: reader.state_at(seq))

    async def verify(self, hunt_id: str) -> dict[str, Any]:
        """Check that a full replay equals every snapshot and the live state."""
        self.require(hunt_id)
        live = None
        if self._router.is_active(hunt_id):
            state = await self.state(hunt_id)
            live = state.to_dict()
        return await self._pools.run_read(lambda: verify_hunt(self.data_dir, hunt_id, live))

    async def summaries(self) -> list[HuntSummary]:
        """One row per hunt. Active hunts answer from memory; the others are read from disk
        through a read-only connection, so listing hunts never wakes (or pins) an idle one."""
        rows = []
        for hunt_id in self.hunt_ids():
            active = self._router.is_active(hunt_id)
            try:
                state = await self.state(hunt_id) if active else await self._peek(hunt_id)
            except (StoreError, ActorStopped, RequestTimeout, TooLarge) as err:  # one unreadable (or, in a
                # cluster, moving) hunt must not hide every other hunt
                log.warning("listing hunts: %s cannot be read: %s", hunt_id, err)
                rows.append(HuntSummary(hunt_id, hunt_id, "unavailable", 0, 0, active))
                continue
            if state is None:
                continue
            rows.append(HuntSummary(hunt_id, state.definition.title, state.status_at(self.clock()),
                                    len(state.players), state.seq, active))
        return rows

    def cluster_status(self) -> dict[str, Any] | None:
        """The cluster's nodes, hunts and leases as this node sees them; None outside cluster mode."""
        return None

    async def _peek(self, hunt_id: str) -> HuntState | None:
        return await self._with_reader(hunt_id, lambda reader: reader.load()[0])


@asynccontextmanager
async def open_engine(config: Config, *, clock: Callable[[], int] = wall_clock_ms,
                      stores: HuntStores | None = None) -> AsyncIterator[Engine]:
    """Run an engine for the duration of the block; on exit every hunt drains and snapshots.

    ``stores`` keeps the hunts (default: SQLite files under the configured data dir).
    """
    engine = Engine(config, clock, stores)
    engine.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # hunt files hold secrets: owner only
    e = config.engine
    router_config = RouterConfig(
        mailbox_capacity=e.mailbox_capacity, admission_timeout_s=e.admission_timeout_ms / 1000,
        admission_queue=e.admission_queue, max_batch=e.max_batch, request_timeout_s=e.request_timeout_s,
        idle_passivate_s=e.idle_passivate_s,
        restart_backoff_min_s=e.restart_backoff_min_s, restart_backoff_max_s=e.restart_backoff_max_s,
        max_restarts=e.max_restarts, restart_window_s=e.restart_window_s,
        stop_timeout_s=config.server.shutdown_timeout_s,
    )

    async def activate(hunt_id: str) -> HuntActor:
        pools = engine._pools
        store = await pools.run_commit(lambda: engine.stores.open(hunt_id))
        try:
            state, replayed = await pools.run_commit(store.load)
            if state is None:
                raise HuntNotFound(f"hunt {hunt_id!r} has an empty log")
            dedup = await pools.run_commit(lambda: load_dedup_index(store, e))
            lookups = await pools.run_commit(lambda: engine.stores.open_reader(hunt_id))
        except BaseException:
            with trio.CancelScope(shield=True):
                await pools.run_commit(store.close)
            raise
        log.info("hunt %s loaded at seq %d (%d events replayed)", hunt_id, state.seq, replayed)
        actor = HuntActor(store, state, engine._hub(hunt_id), dedup, engine.clock, config.store.snapshot_every,
                          pools.commit, lookups)
        actor.start_filter_build(lambda stop: build_filter(lambda: engine.stores.open_reader(hunt_id), e, stop))
        return actor

    async with trio.open_nursery() as housekeeping:
        housekeeping.start_soon(run_gc_policy, e.gc_freeze_every_s, e.gc_full_every_s)
        async with open_router(activate, router_config) as router:
            engine._router = router
            yield engine
        housekeeping.cancel_scope.cancel()
