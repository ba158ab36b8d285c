"""The log of record of cluster mode: every hunt's subject in one replicated JetStream stream.

A :class:`RecordLog` is one NATS connection (nats-py on an asyncio loop in a thread of its
own) and three blocking calls, made from the engine's commit and worker threads, never from the
Trio thread:

- :meth:`RecordLog.append` publishes one committed batch as one message on the hunt's subject
  ``<log_subject_prefix>.<hunt>``, with ``Nats-Expected-Last-Subject-Sequence`` set to the
  stream sequence of the last message the caller knows on that subject. The stream refuses it
  when somebody else wrote the subject since (a new owner): :class:`LogFenced`. No ack within
  ``cluster.log_publish_timeout_s``, no leader, no connection: :class:`LogUnavailable`.
- :meth:`RecordLog.last` is the (hunt seq, stream seq) of the subject's last message, asked of
  the stream leader (a lagging replica must not make a stale view look current).
- :meth:`RecordLog.read` yields the batches after a stream sequence, a bounded page at a time.

A message is the batch's records, one a line, each exactly the public form the store encodes
(:func:`hunt.store.record_to_dict`, plus ``hunt``: the relay's message body), so analytics can
read this stream as it reads the relay's. Its id is ``<hunt>:<last seq of the batch>`` (the
stream drops a second copy within its duplicate window); headers ``Hunt-First-Seq`` and
``Hunt-Last-Seq`` say which seqs it holds. A node that takes a hunt over appends an empty
message (a takeover mark, :meth:`RecordLog.take_over`): a reader skips it. No credential is in
a record (join ids are keyed hashes, tokens are never events), but the hunt's content is, in
full: ``hunt_created`` and the organisers' edits carry answers, codes and positions, and
``attempt_failed`` the wrong answer's text, because a node rebuilds hunts from this stream. It
is the nodes' own storage: outside consumers read the relay's messages, which leave those out
(docs/cluster.md).

Exceptions (the engine and the API see them as the store's):

    WriteFailed (hunt.store)
    ├── LogFenced       Raised when the stream refused an append: another node wrote the hunt since.
    └── LogUnavailable  Raised when the stream did not acknowledge (the outcome is unknown).
    CorruptStore (hunt.store)
    └── LogDiverged     Raised when a hunt file and the stream disagree (a gap, or events the stream lacks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import nats
import nats.errors
import orjson
import trio
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from ..config import ClusterConfig
from ..domain import Recorded
from ..store import CorruptStore, WriteFailed, dict_to_record, record_to_dict

__all__ = ["LogDiverged", "LogFenced", "LogUnavailable", "RecordLog", "open_record_log"]

log = logging.getLogger("hunt.cluster.log")

T = TypeVar("T")
HEADER_MSG_ID = "Nats-Msg-Id"
HEADER_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"
HEADER_FIRST = "Hunt-First-Seq"
HEADER_LAST = "Hunt-Last-Seq"
ERR_WRONG_LAST_SEQUENCE = 10071  # JetStream's "wrong last sequence"
ERR_STREAM_NAME_IN_USE = 10058
STREAM_RETRY_S = 0.25  # between asks for the stream while JetStream does not answer at start
CONNECT_TIMEOUT_S = 10.0
PAYLOAD_HEADROOM = 1024  # bytes kept free under the server's max_payload for headers


class LogFenced(WriteFailed):
    """Raised when the stream refused an append: another node wrote the hunt since (or this
    node stepped down from it); nothing of the batch is recorded, this node must not serve it."""


class LogUnavailable(WriteFailed):
    """Raised when the stream did not acknowledge an append or a read in time (NATS unreachable,
    no stream leader); an append's outcome is unknown: re-sync from the stream before serving."""


class LogDiverged(CorruptStore):
    """Raised when a hunt file and the stream disagree: a gap in the stream, or events in the
    file that the stream lacks."""


def decode_batch(data: bytes) -> list[Recorded]:
    """Raises LogDiverged for a message that is not a batch of records."""
    try:
        return [dict_to_record(orjson.loads(line)) for line in data.split(b"\n") if line]
    except (orjson.JSONDecodeError, ValueError) as err:
        raise LogDiverged(f"a message of the log is not a batch of records: {err}") from err


class RecordLog:
    """The stream, for blocking callers. Create it with :func:`open_record_log`."""

    def __init__(self, settings: ClusterConfig) -> None:
        self.settings = settings
        self.stream = settings.log_stream
        self._loop = asyncio.new_event_loop()
        self._nc: Any = None
        self._js: Any = None

    def subject(self, hunt_id: str) -> str:
        # Hunt ids are [a-z0-9_-] (the domain checks them): always exactly one subject token.
        return f"{self.settings.log_subject_prefix}.{hunt_id}"

    # -- blocking calls (worker threads) ----------------------------------------------------

    def append(self, hunt_id: str, records: Sequence[Recorded], expected: int) -> int:
        """Publish ``records`` (one batch, contiguous seqs) after stream seq ``expected`` (0: the
        subject must be empty); return the stream seq of the (last) message. A batch larger than
        the server takes in one message goes as several, each after the one before.

        Raises LogFenced (refused: the subject moved on, or the batch is already there) or
        LogUnavailable (no ack within the publish timeout).
        """
        for first, last, body in self._chunks(hunt_id, records):
            expected = self._publish(hunt_id, first, last, body, expected)
        return expected

    def take_over(self, hunt_id: str, seq: int, expected: int) -> int:
        """Append a takeover mark (no records; ``Hunt-Last-Seq`` stays ``seq``) after stream seq
        ``expected``, so that a stale owner's next append, which expects an older seq, is
        refused even before the new owner writes anything. Returns its stream seq.

        Raises LogFenced (another node moved the subject on meanwhile), LogUnavailable.
        """
        headers = {HEADER_LAST_SUBJECT_SEQ: str(expected), HEADER_FIRST: str(seq + 1), HEADER_LAST: str(seq)}
        return self._send(hunt_id, b"", headers, expected, dedup=False)

    def last(self, hunt_id: str) -> tuple[int, int]:
        """(last hunt seq, its stream seq) on the hunt's subject; (0, 0) when it has none.

        Raises LogUnavailable.
        """
        try:
            message = self._run(self._js.get_last_msg(self.stream, self.subject(hunt_id)))
        except NotFoundError:
            return 0, 0
        except APIError as err:  # no stream leader, JetStream not ready
            raise LogUnavailable(f"{self.subject(hunt_id)}: {err}") from err
        headers = message.headers or {}
        try:
            return int(headers[HEADER_LAST]), int(message.seq)
        except (KeyError, ValueError) as err:
            raise LogDiverged(f"the last message on {self.subject(hunt_id)} has no {HEADER_LAST}") from err

    def read(self, hunt_id: str, after: int, until: int) -> Iterator[tuple[int, list[Recorded]]]:
        """Yield ``(stream seq, records)`` of every message on the hunt's subject with a stream
        seq in ``(after, until]``, in order, ``cluster.log_catch_up_batch`` messages at a time.

        Raises LogUnavailable when the stream stops answering before ``until`` was read.
        """
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1,
                                ack_policy=AckPolicy.NONE, filter_subject=self.subject(hunt_id),
                                inactive_threshold=30.0)
        try:
            subscription = self._run(self._js.pull_subscribe(self.subject(hunt_id), stream=self.stream,
                                                             config=config))
        except APIError as err:
            raise LogUnavailable(f"{self.subject(hunt_id)}: cannot read: {err}") from err
        try:
            seen = after
            while seen < until:
                try:
                    messages = self._run(subscription.fetch(self.settings.log_catch_up_batch,
                                                            timeout=self.settings.log_publish_timeout_s))
                except LogUnavailable as err:
                    raise LogUnavailable(f"{self.subject(hunt_id)}: read stopped at {seen} of {until}") from err
                for message in messages:
                    seen = int(message.metadata.sequence.stream)
                    if seen > until:
                        return
                    yield seen, decode_batch(message.data)
        finally:
            with contextlib.suppress(Exception):
                self._run(subscription.unsubscribe())

    # -- inside -----------------------------------------------------------------------------

    def _chunks(self, hunt_id: str, records: Sequence[Recorded]) -> Iterator[tuple[int, int, bytes]]:
        """``(first seq, last seq, body)`` of each message: every record encoded once, as many
        lines to a message as fit under the server's max_payload."""
        limit = max(int(getattr(self._nc, "max_payload", 1 << 20)) - PAYLOAD_HEADROOM, 1)
        lines: list[bytes] = []
        size = first = last = 0
        for record in records:
            line = orjson.dumps({**record_to_dict(record), "hunt": hunt_id})
            if lines and size + len(line) + 1 > limit:
                yield first, last, b"\n".join(lines)
                lines, size = [], 0
            if not lines:
                first = record.seq
            last = record.seq
            lines.append(line)
            size += len(line) + 1
        if lines:
            yield first, last, b"\n".join(lines)

    def _publish(self, hunt_id: str, first: int, last: int, body: bytes, expected: int) -> int:
        headers = {HEADER_MSG_ID: f"{hunt_id}:{last}", HEADER_LAST_SUBJECT_SEQ: str(expected),
                   HEADER_FIRST: str(first), HEADER_LAST: str(last)}
        return self._send(hunt_id, body, headers, expected, dedup=True)

    def _send(self, hunt_id: str, body: bytes, headers: dict[str, str], expected: int, *, dedup: bool) -> int:
        timeout = self.settings.log_publish_timeout_s
        try:
            ack = self._run(self._js.publish(self.subject(hunt_id), body, timeout=timeout, stream=self.stream,
                                             headers=headers))
        except APIError as err:
            if err.err_code == ERR_WRONG_LAST_SEQUENCE:
                raise LogFenced(f"hunt {hunt_id!r}: the stream moved past {expected}; another node owns it") from err
            raise LogUnavailable(f"hunt {hunt_id!r}: the stream refused the append: {err}") from err
        if dedup and ack.duplicate:
            # The stream already holds a batch ending at this seq: written by another owner (a
            # retry of ours would have re-synced first). Acking would ack somebody else's event.
            raise LogFenced(f"hunt {hunt_id!r}: seq {headers[HEADER_LAST]} is already in the stream")
        return int(ack.seq)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a nats-py coroutine on the log's loop and wait (bounded) for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(self.settings.log_publish_timeout_s + 1.0)
        except APIError:  # the server's answer: the caller knows what it means
            raise
        except (TimeoutError, nats.errors.Error, OSError) as err:
            future.cancel()
            raise LogUnavailable(f"the log stream {self.stream} did not answer: {err!r}") from err

    async def _connect(self, servers: list[str], name: str) -> None:
        async def error_cb(err: Exception) -> None:
            log.warning("log connection %s: %r", name, err)

        self._nc = await nats.connect(servers=servers, name=name, connect_timeout=2, allow_reconnect=True,
                                      max_reconnect_attempts=-1, reconnect_time_wait=0.2, error_cb=error_cb)
        self._js = self._nc.jetstream(timeout=self.settings.log_publish_timeout_s)

    async def _ensure_stream(self) -> None:
        """Create the stream (R ``cluster.replicas``) unless it exists."""
        subjects = [f"{self.settings.log_subject_prefix}.*"]
        try:
            await self._js.stream_info(self.stream)
            return
        except NotFoundError:
            pass
        config = StreamConfig(name=self.stream, subjects=subjects, storage=StorageType.FILE,
                              num_replicas=self.settings.replicas)
        try:
            await self._js.add_stream(config)
            log.info("created the log stream %s (R%d) for %s", self.stream, self.settings.replicas, subjects)
        except APIError as err:
            if err.err_code != ERR_STREAM_NAME_IN_USE:  # another node created it meanwhile: fine
                raise

    async def _close(self) -> None:
        """Close the connection, then end every task nats-py left on the loop (a reconnect loop
        to a dead server, a subscription's reader), so that nothing is left half-run."""
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.close(), 2)
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)


@asynccontextmanager
async def open_record_log(settings: ClusterConfig, url: str, *, name: str = "hunt-log",
                          connect_timeout_s: float = CONNECT_TIMEOUT_S) -> AsyncIterator[RecordLog]:
    """Connect to NATS (``url``: one URL or several, comma-separated; a cluster's are tried in
    turn), create the log stream if it is missing, and close the connection after the block.
    Once connected, the connection follows the cluster (reconnects to any node, for ever).

    Raises LogUnavailable when NATS does not answer within ``connect_timeout_s``.
    """
    record_log = RecordLog(settings)
    loop = record_log._loop
    thread = threading.Thread(target=loop.run_forever, name=f"log-{name}", daemon=True)
    thread.start()
    servers = [part.strip() for part in url.split(",") if part.strip()]

    async def setup() -> None:
        await record_log._connect(servers, name)
        # A NATS cluster that has just formed (or is electing a JetStream leader) can leave the
        # stream API unanswered for a moment: ask again until the connect timeout, then fail.
        deadline = asyncio.get_running_loop().time() + connect_timeout_s
        while True:
            try:
                await record_log._ensure_stream()
                return
            except APIError as err:  # say, R3 asked of a single server
                raise LogUnavailable(f"cannot create the log stream {settings.log_stream} "
                                     f"(R{settings.replicas}): {err}") from err
            except nats.errors.TimeoutError:
                if asyncio.get_running_loop().time() + STREAM_RETRY_S >= deadline:
                    raise
                await asyncio.sleep(STREAM_RETRY_S)

    try:
        try:
            with trio.fail_after(connect_timeout_s):
                await trio.to_thread.run_sync(
                    lambda: asyncio.run_coroutine_threadsafe(setup(), loop).result(connect_timeout_s),
                    abandon_on_cancel=True)
        except LogUnavailable:
            raise
        except (trio.TooSlowError, TimeoutError, nats.errors.Error, OSError) as err:
            raise LogUnavailable(f"cannot reach NATS at {url}: {err!r}") from err
        yield record_log
    finally:
        with trio.CancelScope(shield=True):
            with contextlib.suppress(Exception):
                await trio.to_thread.run_sync(
                    lambda: asyncio.run_coroutine_threadsafe(record_log._close(), loop).result(5))
            loop.call_soon_threadsafe(loop.stop)
            await trio.to_thread.run_sync(thread.join, 5)
        if not thread.is_alive():
            loop.close()
