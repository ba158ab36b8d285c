"""The outbox relay loop: every committed event of every hunt, to JetStream, exactly once.

This is an asyncio program (nats-py is asyncio); it runs in a process of its own, either as
``hunt relay`` or as the server's relay process (:mod:`hunt.relay._embedded`), never on the
server's Trio thread. Why a process and not an asyncio loop in a helper thread: the relay
costs ~30 µs of Python per event (read, encode, publish, parse the ack), so at 20,000
events/s it needs most of a core; in a thread it would take that from the hunt actors
through the GIL. The bridge itself would be cheap either way (see docs/relay.md for the
figures); what a process buys is a core of its own.

A *session* is one connection. It ensures the stream exists, reconciles every hunt with the
stream, then publishes rounds of up to ``broker.batch`` events. Any trouble ends the session
(no nats-py auto-reconnect: it would flush buffered publishes behind our back); the next one
starts after a backoff of up to ``broker.retry_backoff_max_s`` and reconciles again.

Exactly once, per hunt, in seq order (the full argument is in docs/relay.md):

1. Reconcile: a hunt resumes after ``max(cursor, published, last seq the stream holds for
   hunt.<id>.events)``, asked of the stream leader. That is durable broker state, not the
   duplicate window.
2. Chain: every message but a session's first names its predecessor
   (``Nats-Expected-Last-Msg-Id``), and a hunt's first message after reconciliation names
   the subject's last stream seq (``Nats-Expected-Last-Subject-Sequence``). The server stores
   a message only if the stream's tail is what we think it is, so one refused message refuses
   every later one, in its round and in the rounds behind it: what is stored is always a
   prefix of what was sent, with no gap, and nothing stored meanwhile by a previous session
   (its late messages) or by another relay is published again.
3. A session's first message is a probe sent alone: it roots the chain.
4. A cursor advances only over acknowledged messages. Up to PIPELINE rounds are in flight.

``Nats-Msg-Id`` (``<hunt>:<seq>``) stays on every message, so the duplicate window is a third
line of defence, not the first.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import APIError

from ..config import Config
from ..store import StoreError, hunt_ids
from ._acks import AckInbox, Refused, Round
from ._errors import BrokerRejected, BrokerUnavailable, RelayError
from ._outbox import HuntOutbox
from ._stats import HuntLag, RelayStatistics, write_relay_status
from ._wire import (
    HEADER_LAST_MSG_ID,
    HEADER_LAST_SUBJECT_SEQ,
    HEADER_MSG_ID,
    connect,
    ensure_stream,
    last_published,
    subject,
)

__all__ = ["Relay"]

log = logging.getLogger("hunt.relay")

ERR_WRONG_LAST_MSG_ID = 10070
ERR_WRONG_LAST_SEQUENCE = 10071
MIN_BACKOFF_S = 0.1
REPORT_INTERVAL_S = 0.25
STATUS_EVERY = 4  # reports: the status file is rewritten about once a second
DISCOVER_INTERVAL_S = 1.0
MAX_RECONCILES_WITHOUT_PROGRESS = 3
PIPELINE = 2  # rounds in flight: the next is read and sent while the broker stores the last

SaveCursor = Callable[[str, int], bool]
Report = Callable[[RelayStatistics], Awaitable[None]]


class _Track:
    """What the relay knows about one hunt."""

    __slots__ = ("anchored", "committed", "cursor", "hunt_id", "oldest", "outbox", "poisoned", "published",
                 "reconciled", "saved_at", "sent", "stream_seq", "subject", "warned")

    def __init__(self, hunt_id: str, outbox: HuntOutbox, cursor: int) -> None:
        self.hunt_id = hunt_id
        self.subject = subject(hunt_id)
        self.outbox = outbox
        self.committed = 0
        self.cursor = cursor  # as stored in the hunt file
        self.published = cursor  # acknowledged by the broker (or found in the stream)
        self.sent = cursor  # published, or on its way (pipelined rounds)
        self.stream_seq = 0  # stream seq of the hunt's last message, as of reconciliation
        self.reconciled = False
        self.anchored = False  # a message of this session carried the subject check
        self.oldest: tuple[int, int] | None = None  # (seq, ts) of the oldest unpublished event
        self.saved_at = 0.0
        self.poisoned: str | None = None
        self.warned: tuple[int, int] | None = None

    def lag(self, now_ms: float) -> HuntLag:
        behind = max(0, self.committed - self.published)
        lag_s = 0.0
        if behind and self.oldest is not None:
            lag_s = max(0.0, (now_ms - self.oldest[1]) / 1000)
        return HuntLag(self.hunt_id, self.committed, self.published, self.cursor, behind, round(lag_s, 3))


# What a round publishes: per hunt, the events as (seq, ts, body).
Round_ = list[tuple[_Track, list[tuple[int, int, bytes]]]]


class Relay:
    """Publishes every hunt of ``config.server.data_dir``. Run it with ``await relay.run()``.

    ``save_cursor(hunt_id, seq) -> bool`` (blocking, called from the worker thread) stores a
    cursor where this process may; None leaves cursors to somebody else (the server's actors).
    ``report(stats)`` is awaited about every 0.25 s. ``run`` only returns by cancellation;
    broker trouble is retried, never raised.
    """

    def __init__(self, config: Config, *, save_cursor: SaveCursor | None = None, report: Report | None = None,
                 name: str = "hunt-relay") -> None:
        self.config = config
        self._broker = config.broker
        self._save_cursor = save_cursor
        self._report = report
        self._name = name
        self._tracks: dict[str, _Track] = {}
        self._rotation = 0
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="relay-sqlite")
        self._discovered_at = -DISCOVER_INTERVAL_S
        self._chain: str | None = None  # msg id of the last message sent (None: the next is a probe)
        self._probing = False
        self._acks: AckInbox | None = None
        self._state = "starting"
        self._sessions = 0
        self._published = 0
        self._duplicates = 0
        self._reconciliations = 0
        self._errors = 0
        self._last_error: str | None = None

    # -- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._report_loop())
                await self._sessions_forever()
        finally:
            self._state = "stopped"
            await asyncio.shield(self._shutdown())

    async def _sessions_forever(self) -> None:
        backoff = MIN_BACKOFF_S
        while True:
            published_before = self._published + self._duplicates
            try:
                await self._session()
            except RelayError as err:
                self._errors += 1
                self._last_error = str(err)
                log.warning("relay session ended: %s", err)
            if self._published + self._duplicates > published_before:
                backoff = MIN_BACKOFF_S
            self._state = "backoff"
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
            backoff = min(backoff * 2, self._broker.retry_backoff_max_s)

    async def _session(self) -> None:
        nc = await connect(self._broker, name=self._name, on_closed=self._on_closed)
        try:
            js = nc.jetstream(timeout=self._broker.publish_timeout_s)
            await _guard(ensure_stream(js, self._broker))
            self._acks = AckInbox(nc)
            await _guard(self._acks.start())
            self._sessions += 1
            self._chain = None
            self._probing = False
            for track in self._tracks.values():
                track.reconciled = False
            self._state = "connected"
            log.info("relay connected to %s (stream %s)", self._broker.url, self._broker.stream)
            await self._publish_forever(nc, js, self._acks)
        finally:
            self._acks = None
            try:
                await nc.close()
            except Exception:  # already closed, or the socket is gone: nothing to release
                log.debug("closing the relay connection failed", exc_info=True)

    def _on_closed(self) -> None:
        if self._acks is not None:
            self._acks.abort()

    async def _publish_forever(self, nc: NATS, js: JetStreamContext, acks: AckInbox) -> None:
        """Rounds, up to PIPELINE of them in flight; a refused round sends us back to reconcile."""
        idle = self._broker.poll_interval_ms / 1000
        fruitless = 0
        inflight: deque[tuple[Round, list[tuple[_Track, int]], str | None]] = deque()
        while True:
            # Nothing of an unreconciled hunt is on its way (a refusal drains every round in
            # flight before it sends the hunts back here), so its tail can be learnt right now.
            await self._reconcile(js, [t for t in self._tracks.values() if not t.reconciled])
            if len(inflight) < PIPELINE and not self._probing:  # a probe is settled before more is sent
                work = await self._blocking(self._next_round)
                if work:
                    inflight.append(await self._send(nc, acks, work))
                    continue
            if not inflight:
                await asyncio.sleep(idle)
                continue
            round_, sent, chain = inflight.popleft()
            results = await acks.wait(round_, self._broker.publish_timeout_s)
            self._probing = False
            if self._settle(sent, results, chain):
                fruitless = 0
                continue
            # The stream's tail was not what we thought. Every later round is refused too (the
            # chain): settle them, forget what was on its way, learn the tails again, go on.
            while inflight:
                round_, sent, chain = inflight.popleft()
                self._settle(sent, await acks.wait(round_, self._broker.publish_timeout_s), chain)
            self._chain = None
            for track in self._tracks.values():
                track.reconciled = False
                track.sent = track.published
            fruitless += 1
            if fruitless > MAX_RECONCILES_WITHOUT_PROGRESS:
                raise BrokerRejected("the stream keeps changing under the relay (is another relay publishing?)")

    async def _reconcile(self, js: JetStreamContext, tracks: list[_Track]) -> None:
        for track in tracks:
            last, stream_seq = await _guard(last_published(js, self._broker.stream, track.hunt_id))
            resume = max(track.published, track.cursor, last)
            if last < resume and track.warned != (last, resume):
                log.warning("hunt %s: the stream holds up to seq %d but %d were acknowledged before "
                            "(messages expired or purged); resuming after %d, not republishing them",
                            track.hunt_id, last, resume, resume)
            if last > track.committed and track.warned != (last, resume):
                log.warning("hunt %s: the stream holds seq %d, beyond the log's %d (a different hunt "
                            "with the same id?)", track.hunt_id, last, track.committed)
            track.warned = (last, resume)
            track.published = track.sent = resume
            track.stream_seq = stream_seq
            track.reconciled = True
            track.anchored = False
            self._reconciliations += 1

    async def _send(self, nc: NATS, acks: AckInbox, work: Round_) -> tuple[Round, list[tuple[_Track, int]], str | None]:
        """Publish a round without waiting; return it with what was sent and the chain's new end.

        Headers: every message names its predecessor (Expected-Last-Msg-Id), except a
        session's probe, which goes alone; a hunt's first message after reconciliation names
        the subject's last stream seq (Expected-Last-Subject-Sequence), which covers what
        reached the stream between its reconciliation and the chain's start.
        """
        if self._chain is None:
            work = [(work[0][0], work[0][1][:1])]
            self._probing = True
        round_ = acks.begin(sum(len(rows) for _, rows in work))
        sent: list[tuple[_Track, int]] = []
        chain = self._chain
        for track, rows in work:
            for seq, _ts, body in rows:
                mid = f"{track.hunt_id}:{seq}"
                headers = {HEADER_MSG_ID: mid}
                if chain is not None:
                    headers[HEADER_LAST_MSG_ID] = chain
                if not track.anchored:
                    headers[HEADER_LAST_SUBJECT_SEQ] = str(track.stream_seq)
                    track.anchored = True
                try:
                    await nc.publish(track.subject, body, reply=acks.reply_to(round_, len(sent)), headers=headers)
                except nats.errors.MaxPayloadError:
                    # Nothing of it was sent, so the chain holds; the hunt cannot go on, the others can.
                    track.poisoned = f"event {seq} is larger than the broker's max_payload"
                    log.error("hunt %s: %s; its relay is stopped", track.hunt_id, track.poisoned)
                    break
                except nats.errors.Error as err:
                    raise BrokerUnavailable(f"publish failed: {err!r}") from err
                sent.append((track, seq))
                track.sent = seq
                chain = mid
        acks.shrink(round_, len(sent))
        self._chain = chain
        return round_, sent, chain

    def _settle(self, sent: list[tuple[_Track, int]], results: list[Any], chain: str | None) -> bool:
        """Advance what the broker acknowledged; False if the round was refused or met a duplicate."""
        refused: Refused | None = None
        stale = False
        for (track, seq), result in zip(sent, results, strict=True):
            if isinstance(result, Refused):
                refused = refused or result
                continue
            if refused is not None:  # impossible by the chain; say so loudly if it ever happens
                log.error("hunt %s: seq %d was stored after an earlier message was refused (%s)",
                          track.hunt_id, seq, refused.description)
            track.published = seq
            if result.duplicate:
                # Already in the stream (an earlier session's message): published, but the
                # stream's tail may lie beyond it, so the chain must be rooted again.
                self._duplicates += 1
                stale = True
            else:
                self._published += 1
            if track.oldest is not None and track.oldest[0] <= seq:
                track.oldest = None
        if refused is not None and refused.err_code not in (ERR_WRONG_LAST_MSG_ID, ERR_WRONG_LAST_SEQUENCE):
            raise BrokerRejected(f"publish refused: {refused.description} ({refused.err_code})")
        return refused is None and not stale

    # -- the worker thread ----------------------------------------------------------------

    async def _blocking(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _discover(self) -> None:
        now = time.monotonic()
        if now - self._discovered_at < DISCOVER_INTERVAL_S:
            return
        self._discovered_at = now
        for hunt_id in hunt_ids(self.config.data_path):
            if hunt_id in self._tracks:
                continue
            try:
                outbox = HuntOutbox(self.config.data_path, hunt_id)
                self._tracks[hunt_id] = _Track(hunt_id, outbox, outbox.cursor())
            except StoreError as err:
                log.warning("hunt %s: cannot read its log: %s", hunt_id, err)

    def _poll(self) -> None:
        """Refresh committed seqs (and cursors, and the age of the oldest unpublished event)."""
        self._discover()
        for track in self._tracks.values():
            try:
                track.committed = track.outbox.committed()
                track.cursor = max(track.cursor, track.outbox.cursor())
                first = track.published + 1
                if track.committed >= first and (track.oldest is None or track.oldest[0] != first):
                    ts = track.outbox.ts_of(first)
                    track.oldest = None if ts is None else (first, ts)
            except StoreError as err:
                log.warning("hunt %s: reading its log failed: %s", track.hunt_id, err)

    def _next_round(self) -> Round_:
        """Up to ``broker.batch`` events, taken from the hunts in turn (fair when many are busy)."""
        self._discover()
        tracks = list(self._tracks.values())
        if not tracks:
            return []
        self._rotation = (self._rotation + 1) % len(tracks)
        budget = self._broker.batch
        work = []
        for track in tracks[self._rotation:] + tracks[:self._rotation]:
            if budget <= 0:
                break
            if not track.reconciled or track.poisoned:
                continue
            try:
                track.committed = track.outbox.committed()
                if track.committed <= track.sent:
                    continue
                rows = track.outbox.read(track.sent, budget)
            except StoreError as err:
                log.warning("hunt %s: reading its log failed: %s", track.hunt_id, err)
                continue
            if rows:
                if track.oldest is None:
                    track.oldest = (rows[0][0], rows[0][1])
                work.append((track, rows))
                budget -= len(rows)
        return work

    def _save_cursors(self) -> None:
        save = self._save_cursor
        if save is None:
            return
        now = time.monotonic()
        for track in self._tracks.values():
            if track.published > track.cursor and now - track.saved_at >= self._broker.cursor_interval_s:
                track.saved_at = now
                try:
                    if save(track.hunt_id, track.published):
                        track.cursor = track.published
                except StoreError as err:
                    log.warning("hunt %s: saving the relay cursor failed: %s", track.hunt_id, err)

    # -- reporting ------------------------------------------------------------------------

    def statistics(self) -> RelayStatistics:
        now = time.time()
        hunts = tuple(track.lag(now * 1000) for _, track in sorted(self._tracks.items()))
        return RelayStatistics(
            state=self._state, url=self._broker.url, stream=self._broker.stream, sessions=self._sessions,
            published=self._published, duplicates=self._duplicates, reconciliations=self._reconciliations,
            errors=self._errors, last_error=self._last_error, updated_ts=now, hunts=hunts)

    async def _report_loop(self) -> None:
        reports = 0
        while True:
            await self._blocking(self._poll)  # lag keeps growing visibly while the broker is away
            await self._blocking(self._save_cursors)
            stats = self.statistics()
            if reports % STATUS_EVERY == 0:
                await self._blocking(partial(write_relay_status, self.config.data_path, stats))
            if self._report is not None:
                await self._report(stats)
            reports += 1
            await asyncio.sleep(REPORT_INTERVAL_S)

    async def _shutdown(self) -> None:
        """Last cursors and a last status, then release every connection."""
        def close() -> None:
            for track in self._tracks.values():
                track.saved_at = 0.0
            self._save_cursors()
            write_relay_status(self.config.data_path, self.statistics())
            for track in self._tracks.values():
                track.outbox.close()

        try:
            await self._blocking(close)
            if self._report is not None:
                await self._report(self.statistics())
        finally:
            self._executor.shutdown(wait=False)


async def _guard(awaitable: Awaitable[Any]) -> Any:
    """Await a broker call, turning nats-py's exceptions into ours."""
    try:
        return await awaitable
    except APIError as err:
        raise BrokerRejected(f"{err.description or type(err).__name__} ({err.err_code})") from err
    except (nats.errors.Error, OSError, TimeoutError) as err:
        raise BrokerUnavailable(f"{type(err).__name__}: {err}") from err
