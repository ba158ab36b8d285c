"""``hunt consume``: a durable pull consumer that keeps the analytics projection (asyncio).

Durable consumer ``broker.consumer_durable`` on the relay's stream, one ``filter_subject``
(``hunt.*.events``; nats-server 2.9 ignores ``filter_subjects``), explicit acks. Each fetched
batch is folded into the projection in one SQLite transaction, and only then acknowledged:
a crash between the two redelivers messages the projection already holds, and it skips them
(see :mod:`hunt.relay._analytics`). Messages that arrive ahead of a missing one are handed
back with a delayed nak.

The projection, not the consumer's ack floor, says what has been applied: if the analytics
file is new while the durable consumer already exists, the consumer is recreated so the
projection starts from the stream's first message.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from ..config import Config
from ._analytics import APPLIED, DUPLICATE, GAP, Projection
from ._errors import RelayError
from ._relay import MIN_BACKOFF_S, _guard
from ._wire import HEADER_MSG_ID, SUBJECTS, connect, ensure_stream, hunt_of_subject, parse_msg_id

__all__ = ["ConsumerStatistics", "run_consumer"]

log = logging.getLogger("hunt.consume")

FETCH_WAIT_S = 1.0
GAP_REDELIVERY_S = 1.0
MAX_ACK_PENDING = 20_000


@dataclass
class ConsumerStatistics:
    applied: int = 0
    duplicates: int = 0
    gaps: int = 0
    foreign: int = 0
    sessions: int = 0
    errors: int = 0


async def run_consumer(config: Config, *, idle_exit_s: float | None = None) -> ConsumerStatistics:
    """Consume until cancelled, or until no message came for ``idle_exit_s`` (then return).

    Broker trouble is retried with backoff (up to ``broker.retry_backoff_max_s``).
    """
    stats = ConsumerStatistics()
    executor = ThreadPoolExecutor(1, thread_name_prefix="consume-sqlite")
    loop = asyncio.get_running_loop()
    projection = await loop.run_in_executor(executor, Projection, config.data_path)
    fresh = await loop.run_in_executor(executor, projection.is_empty)
    backoff = MIN_BACKOFF_S
    idle_since = time.monotonic()
    try:
        while True:
            try:
                done = await _session(config, projection, executor, stats, fresh, idle_exit_s, idle_since)
                if done:
                    return stats
            except RelayError as err:
                stats.errors += 1
                log.warning("consumer session ended: %s", err)
            fresh = False
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
            backoff = min(backoff * 2, config.broker.retry_backoff_max_s)
    finally:
        await loop.run_in_executor(executor, projection.close)
        executor.shutdown(wait=False)


async def _session(config: Config, projection: Projection, executor: ThreadPoolExecutor, stats: ConsumerStatistics,
                   fresh: bool, idle_exit_s: float | None, idle_since: float) -> bool:
    b = config.broker
    loop = asyncio.get_running_loop()
    nc = await connect(b, name="hunt-consume")
    try:
        js = nc.jetstream(timeout=b.publish_timeout_s)
        await _guard(ensure_stream(js, b))
        if fresh:
            await _guard(_delete_consumer(js, b.stream, b.consumer_durable))
        consumer = ConsumerConfig(
            durable_name=b.consumer_durable, deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT,
            ack_wait=b.consumer_ack_wait_s, max_deliver=-1, max_ack_pending=MAX_ACK_PENDING,
            filter_subject=SUBJECTS)
        sub = await _guard(js.pull_subscribe(SUBJECTS, durable=b.consumer_durable, stream=b.stream, config=consumer))
        stats.sessions += 1
        log.info("consuming %s as %s", b.stream, b.consumer_durable)
        while True:
            try:
                messages = await _guard(sub.fetch(b.batch, timeout=FETCH_WAIT_S))
            except RelayError as err:
                if not isinstance(err.__cause__, nats.errors.TimeoutError):
                    raise
                messages = []
            if not messages:
                if idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s:
                    return True
                continue
            idle_since = time.monotonic()
            batch = [_identify(message) for message in messages]
            verdicts = await loop.run_in_executor(executor, projection.apply, batch)
            for message, verdict in zip(messages, verdicts, strict=True):
                await _settle(message, verdict, stats)
    finally:
        try:
            await nc.close()
        except Exception:
            log.debug("closing the consumer connection failed", exc_info=True)


async def _delete_consumer(js: JetStreamContext, stream: str, durable: str) -> None:
    try:
        await js.delete_consumer(stream, durable)
    except NotFoundError:
        return
    log.info("new analytics file: consumer %s recreated from the stream's start", durable)


def _identify(message: Any) -> tuple[str | None, int, bytes]:
    """(hunt, seq, body) by the message id, checked against the subject."""
    parsed = parse_msg_id((message.headers or {}).get(HEADER_MSG_ID))
    hunt = hunt_of_subject(message.subject)
    if parsed is None or parsed[0] != hunt:
        return None, 0, message.data
    return hunt, parsed[1], message.data


async def _settle(message: Any, verdict: str, stats: ConsumerStatistics) -> None:
    if verdict == GAP:
        stats.gaps += 1
        await _guard(message.nak(delay=GAP_REDELIVERY_S))
        return
    if verdict == APPLIED:
        stats.applied += 1
    elif verdict == DUPLICATE:
        stats.duplicates += 1
    else:
        stats.foreign += 1
    await _guard(message.ack())
