"""The owner side of ``--workers N``: the engine's hunts served to gateways over the bus.

:func:`serve_owner` answers each gateway batch (``P.cmd.<owner>.<hunt>``) with the results of
one ``engine.send``, sent only once the batch is durable, and publishes every durable batch
of records once per hunt (``P.push.<hunt>``) before its acks, for the gateways' replicas. At
most ``workers.owner_inflight`` batches are handled at once; beyond that a batch is answered
``overloaded`` at once, so nothing queues without bound here either.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import trio

from actors import ActorStopped

from ..config import Config
from ..domain import Recorded
from ..engine import Engine
from ._bus import OVERLOADED_REPLY, Bus
from ._wire import (
    Subjects,
    WireFailure,
    decode_commands,
    decode_subscribers,
    encode_failure,
    encode_records,
    encode_results,
    encode_statistics,
)

__all__ = ["OwnerStatistics", "serve_owner"]

log = logging.getLogger("hunt.cluster.owner")

PUSH_CHUNK = 512  # records per push message, well under NATS's 1 MB default payload
REPORT_EXPIRY = 10  # stats intervals without a report from a gateway: its connections are gone


class OwnerStatistics:
    """Counters of one owner (for tests and the benchmark)."""

    def __init__(self) -> None:
        self.batches = 0
        self.commands = 0
        self.refused = 0  # batches answered `overloaded` because owner_inflight were in flight
        self.pushes = 0


class _Owner:
    def __init__(self, config: Config, engine: Engine, bus: Bus, name: str, nursery: trio.Nursery,
                 accepts: Callable[[str], bool] | None = None) -> None:
        self.engine = engine
        self.accepts = accepts
        self.bus = bus
        self.name = name
        self.nursery = nursery
        self.subjects = Subjects(config.workers.subject_prefix)
        self.capacity = config.workers.owner_inflight
        self.inflight = 0
        self.stats = OwnerStatistics()
        self.reports: dict[str, tuple[float, dict[str, int]]] = {}  # gateway -> (when, subscribers by hunt)
        self.counted: dict[str, int] = {}  # the gateways' subscribers this owner counts, by hunt
        self.report_expiry_s = REPORT_EXPIRY * config.workers.stats_interval_s

    def on_commands(self, subject: str, data: bytes, reply: str) -> None:
        if not reply:
            return  # not a request: nobody would hear the outcome
        hunt_id = subject.rpartition(".")[2]
        if self.accepts is not None and not self.accepts(hunt_id):
            self.bus.publish(reply, encode_failure(ActorStopped(f"node {self.name} does not serve {hunt_id!r} now")))
            return
        if self.inflight >= self.capacity:
            self.stats.refused += 1
            self.bus.publish(reply, OVERLOADED_REPLY)
            return
        self.inflight += 1
        self.nursery.start_soon(self._handle, hunt_id, data, reply)

    async def _handle(self, hunt_id: str, data: bytes, reply: str) -> None:
        answered = False

        def settle(results: Any, error: BaseException | None) -> None:  # on the actor's task: no await
            nonlocal answered
            if answered:
                return
            answered = True
            self.inflight -= 1
            if error is None and self.accepts is not None and not self.accepts(hunt_id):
                error = ActorStopped(f"node {self.name} lost hunt {hunt_id!r} before the ack")  # never ack then
            try:
                body = encode_failure(error) if error is not None else encode_results(results)
            except Exception as err:  # never let the actor's task fail for one reply
                body = encode_failure(err)
            self.bus.publish(reply, body)

        try:
            commands = decode_commands(data)
            self.stats.batches += 1
            self.stats.commands += len(commands)
            self.engine.discover(hunt_id)  # a gateway may have created or imported it
            await self.engine.send(hunt_id, commands, settle)  # waits for mailbox space, not for the commit
        except Exception as err:
            settle(None, err)
        except BaseException:  # cancelled (shutting down): nothing was queued
            settle(None, ActorStopped("the owner is stopping"))
            raise

    def on_commit(self, hunt_id: str, records: Sequence[Recorded]) -> None:
        if self.accepts is not None and not self.accepts(hunt_id):
            return  # not ours any more: what the owner publishes comes from the owner only
        subject = self.subjects.push(hunt_id)
        for start in range(0, len(records), PUSH_CHUNK):  # a commit can hold max_batch batches
            self.stats.pushes += 1
            self.bus.publish(subject, encode_records(records[start:start + PUSH_CHUNK]))

    def on_control(self, _subject: str, data: bytes, reply: str) -> None:
        try:
            gateway, counts = decode_subscribers(data)
        except WireFailure as err:
            log.warning("control message: %s", err)
        else:
            self.reports[gateway] = (trio.current_time(), counts)
            self.count_subscribers()
        if reply:
            self.bus.publish(reply, encode_statistics(self.engine.statistics().router))

    def count_subscribers(self) -> None:
        """Each hunt's subscribers are those of every gateway's last report, so a hunt that
        players follow stays loaded (a gateway silent for ``REPORT_EXPIRY`` intervals counts none)."""
        now = trio.current_time()
        for gateway, (when, _) in list(self.reports.items()):
            if now - when > self.report_expiry_s:
                del self.reports[gateway]
        totals: dict[str, int] = dict.fromkeys(self.counted, 0)
        for _, counts in self.reports.values():
            for hunt_id, count in counts.items():
                if count > 0 and self.engine.discover(hunt_id):
                    totals[hunt_id] = totals.get(hunt_id, 0) + count
        engine = self.engine
        for hunt_id, total in totals.items():
            counted = self.counted.get(hunt_id, 0)
            for _ in range(total - counted):
                engine.subscribe(hunt_id)
            for _ in range(counted - total):
                engine.unsubscribe(hunt_id)
        self.counted = {hunt_id: total for hunt_id, total in totals.items() if total}

    async def sweep(self) -> None:
        while True:
            await trio.sleep(self.report_expiry_s)
            self.count_subscribers()


async def serve_owner(config: Config, engine: Engine, bus: Bus, name: str, *,
                      accepts: Callable[[str], bool] | None = None,
                      task_status: trio.TaskStatus[OwnerStatistics] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve ``engine``'s hunts as owner ``name`` until cancelled; reports its statistics once
    subscribed (gateways may send from then on). With ``accepts`` (cluster mode: whether this
    node holds the hunt's lease now) a batch for a hunt it does not accept, or whose lease it
    lost before the commit, is answered ``stopped`` (``unavailable``), never acked."""
    async with trio.open_nursery() as nursery:
        owner = _Owner(config, engine, bus, name, nursery, accepts)
        engine.observe_commits(owner.on_commit)
        commands = await bus.subscribe(owner.subjects.all_commands(name), owner.on_commands)
        control = await bus.subscribe(owner.subjects.control(name), owner.on_control)
        await bus.flush()
        nursery.start_soon(owner.sweep)
        log.info("owner %s serving over the bus", name)
        task_status.started(owner.stats)
        try:
            await trio.sleep_forever()
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(2):
                for subscription in (commands, control):
                    with contextlib.suppress(Exception):  # the bus may be gone already
                        await bus.unsubscribe(subscription)
