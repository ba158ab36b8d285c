"""Cluster mode's log of record in tests: engines over the logged stores, and the raw stream.

``logged_engine(config, record_log)`` is an engine whose hunts' log of record is the stream (the
node's side of docs/cluster.md, without leases); ``raw_log(urls)`` reads every message of the
log stream as bytes, as an outside consumer would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import nats
import nats.js.errors
import trio

from hunt.cluster import LoggedHuntStores, RecordLog
from hunt.config import Config
from hunt.engine import Engine, open_engine
from hunt.store import HuntStores, SqliteHuntStores

LOG_STREAM = "HUNT_LOG"


@asynccontextmanager
async def logged_engine(config: Config, record_log: RecordLog, *, on_fenced: Callable[[str], None] | None = None,
                        inner: HuntStores | None = None) -> AsyncIterator[tuple[Engine, LoggedHuntStores]]:
    """An engine over ``config``'s data dir whose commits go to the stream first."""
    files = inner if inner is not None else SqliteHuntStores(config.data_path, synchronous=config.store.synchronous)
    stores = LoggedHuntStores(files, record_log, snapshot_every=config.store.snapshot_every, on_fenced=on_fenced)
    async with open_engine(config, stores=stores) as engine:
        yield engine, stores


RawMessage = tuple[str, bytes, dict[str, str]]


async def raw_log(urls: list[str], stream: str = LOG_STREAM, limit: int = 10_000) -> list[RawMessage]:
    """Every message of the stream, in order: (subject, data, headers). At most ``limit``."""

    async def read() -> list[RawMessage]:
        nc = await nats.connect(servers=urls, connect_timeout=2)
        try:
            js = nc.jetstream(timeout=5)
            state = (await js.stream_info(stream)).state
            found = []
            for seq in range(state.first_seq, min(state.last_seq, state.first_seq + limit - 1) + 1):
                try:
                    message = await js.get_msg(stream, seq)
                except nats.js.errors.NotFoundError:  # deleted: not ours to skip silently
                    raise AssertionError(f"stream seq {seq} is missing") from None
                found.append((message.subject, message.data or b"", dict(message.headers or {})))
            return found
        finally:
            await nc.close()

    result: list[RawMessage] = await trio.to_thread.run_sync(lambda: asyncio.run(read()))
    return result


def hunt_seqs(messages: list[RawMessage], subject: str) -> list[int]:
    """The hunt seqs the messages on ``subject`` hold, in stream order (from their headers)."""
    seqs: list[int] = []
    for found, _, headers in messages:
        if found == subject:
            seqs.extend(range(int(headers["Hunt-First-Seq"]), int(headers["Hunt-Last-Seq"]) + 1))
    return seqs
