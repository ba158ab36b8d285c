"""Cluster mode's history: what a node reads from the hunt file of a hunt another node owns.

Nodes share no disk, so a node's gateway engine cannot read a hunt's history from its own
data dir (its copy may be missing, or stale from an earlier ownership). It asks the owner
instead, on ``P.hist.<owner>.<hunt>`` (request/reply), and the owner reads its own file:

- ``read`` (events with the indexes' filters, at most ``engine.history_page`` a request: a
  reader pages, and asks for smaller pages when a page is over the bound), ``read_back``
  (the latest feed items), ``load`` (the current state, from
  memory when the hunt is loaded, else from disk without waking it), ``state_at`` and
  ``seq_at_time`` (time travel), ``verify`` (replay == snapshots == live, on the owner);
- a reply is ``=`` and the payload, or ``#`` and ``{"t": token, "n": parts, "s": size}`` when
  the payload is over ``cluster.history_chunk_bytes`` (NATS's max_payload is 1 MB): the parts
  are fetched with ``{"op": "part"}``, the owner keeping at most ``cluster.history_cached``
  payloads meanwhile; a payload over ``cluster.history_max_bytes`` is refused (``TooLarge``,
  413), a failure is the bus's failure JSON (``{"e": kind, ...}``).

Why ask the owner rather than read the replicated stream: the owner's file has the indexes
(player, type, clue), the snapshots time travel starts from, and the live state; the stream
has none of them, and a read through the owner costs one request per page.

The owner answers only for hunts it serves (``holds``); a node asked about a hunt it does not
serve says ``stopped`` (503, retry), and the asking node's view of the owners catches up. It
reads at most ``workers.owner_inflight`` requests at once; more are answered ``overloaded``.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson
import trio

from actors import ActorStopped, RequestTimeout

from ..config import Config
from ..domain import HuntState, Recorded
from ..engine import Engine, TooLarge
from ..store import decode_snapshot, encode_snapshot
from ._bus import OVERLOADED_REPLY, Bus, BusTimeout
from ._wire import Subjects, WireFailure, decode_failure, decode_records, encode_failure, encode_records

__all__ = ["HistoryClient", "RemoteReader", "serve_history"]

log = logging.getLogger("hunt.cluster.history")

WHOLE, CHUNKED = b"=", b"#"


class _HistoryServer:
    def __init__(self, config: Config, engine: Engine, bus: Bus, name: str, holds: Callable[[str], bool],
                 nursery: trio.Nursery) -> None:
        self.engine = engine
        self.bus = bus
        self.name = name
        self.holds = holds
        self.nursery = nursery
        self.page = config.engine.history_page
        self.chunk = config.cluster.history_chunk_bytes
        self.max_bytes = config.cluster.history_max_bytes
        self.cached_max = config.cluster.history_cached
        self.cached: OrderedDict[str, bytes] = OrderedDict()
        self.capacity = config.workers.owner_inflight
        self.inflight = 0

    def on_request(self, subject: str, data: bytes, reply: str) -> None:
        if not reply:
            return
        if self.inflight >= self.capacity:  # as for command batches: `overloaded` at once, no queue
            self.bus.publish(reply, OVERLOADED_REPLY)
            return
        self.inflight += 1
        self.nursery.start_soon(self._handle, subject.rpartition(".")[2], data, reply)

    async def _handle(self, hunt_id: str, data: bytes, reply: str) -> None:
        try:
            await self._answer(hunt_id, data, reply)
        finally:
            self.inflight -= 1

    async def _answer(self, hunt_id: str, data: bytes, reply: str) -> None:
        try:
            body = orjson.loads(data)
            op, args = body["op"], body.get("a", {})
            if op == "part":
                self.bus.publish(reply, WHOLE + self._part(str(args["t"]), int(args["i"])))
                return
            if not self.holds(hunt_id):
                raise ActorStopped(f"node {self.name} does not serve hunt {hunt_id!r} now")
            payload = await self._run(hunt_id, op, args)
            self.bus.publish(reply, self._frame(payload))
        except Exception as err:
            if not isinstance(err, ActorStopped | TooLarge):
                log.debug("history request for %s: %r", hunt_id, err)
            self.bus.publish(reply, encode_failure(err))

    async def _run(self, hunt_id: str, op: str, args: dict[str, Any]) -> bytes:
        engine = self.engine
        match op:
            case "read":
                limit = min(int(args.get("limit") or self.page), self.page)
                records = await engine.read_events(
                    hunt_id, after=int(args.get("after", 0)), until=args.get("until"), limit=limit,
                    player=args.get("player"), type_=args.get("type_"), clue=args.get("clue"),
                    from_ts=args.get("from_ts"), to_ts=args.get("to_ts"), newest_first=bool(args.get("newest_first")))
                return encode_records(records)
            case "seq_at_time":
                return orjson.dumps(await engine.seq_at_time(hunt_id, int(args["ts"])))
            case "read_back":
                types, until = tuple(args["types"]), int(args["until"])
                limit, first = min(int(args["limit"]), self.page), bool(args.get("first_finds_only"))
                records = await engine.with_reader(hunt_id, lambda reader: reader.read_back(
                    types, until=until, limit=limit, first_finds_only=first))
                return encode_records(records)
            case "load":
                if engine.is_active(hunt_id):
                    return encode_snapshot(await engine.state(hunt_id))
                state = await engine.with_reader(hunt_id, lambda reader: reader.load()[0])
                return b"null" if state is None else encode_snapshot(state)
            case "state_at":
                state = await engine.state_at(hunt_id, int(args["seq"]))
                return b"null" if state is None else encode_snapshot(state)
            case "verify":
                return orjson.dumps(await engine.verify(hunt_id))
        raise WireFailure(f"unknown history op {op!r}")

    def _frame(self, payload: bytes) -> bytes:
        if len(payload) > self.max_bytes:
            raise TooLarge(f"the reply is {len(payload)} bytes, over cluster.history_max_bytes "
                           f"({self.max_bytes}): ask for less (limit, at_seq) or raise the bound")
        if len(payload) <= self.chunk:
            return WHOLE + payload
        token = secrets.token_hex(8)
        self.cached[token] = payload
        while len(self.cached) > self.cached_max:
            self.cached.popitem(last=False)  # its reader gets `stopped` for a part: it asks again
        parts = -(-len(payload) // self.chunk)
        return CHUNKED + orjson.dumps({"t": token, "n": parts, "s": len(payload)})

    def _part(self, token: str, index: int) -> bytes:
        payload = self.cached.get(token)
        if payload is None:
            raise ActorStopped("that reply is no longer kept (cluster.history_cached): ask again")
        start = index * self.chunk
        if start + self.chunk >= len(payload):
            del self.cached[token]  # the last part: the reader has everything
        return payload[start:start + self.chunk]


async def serve_history(config: Config, engine: Engine, bus: Bus, name: str, holds: Callable[[str], bool], *,
                        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Answer other nodes' history requests for the hunts this node serves, until cancelled."""
    async with trio.open_nursery() as nursery:
        server = _HistoryServer(config, engine, bus, name, holds, nursery)
        subjects = Subjects(config.workers.subject_prefix)
        subscription = await bus.subscribe(subjects.all_history(name), server.on_request)
        await bus.flush()
        task_status.started()
        try:
            await trio.sleep_forever()
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(2):
                await bus.unsubscribe(subscription)


class HistoryClient:
    """Asks a hunt's owner for its history (see the module's docstring)."""

    def __init__(self, config: Config, bus: Bus, owner_of: Callable[[str], str]) -> None:
        self.bus = bus
        self.owner_of = owner_of
        self.subjects = Subjects(config.workers.subject_prefix)
        self.timeout_s = config.engine.request_timeout_s
        self.max_bytes = config.cluster.history_max_bytes
        self.page = config.engine.history_page

    async def ask(self, hunt_id: str, op: str, args: dict[str, Any]) -> bytes:
        """The owner's payload. Raises ActorStopped (nobody serves the hunt now), TooLarge,
        RequestTimeout, or the owner's error."""
        subject = self.subjects.history(self.owner_of(hunt_id), hunt_id)
        data = await self.request(subject, orjson.dumps({"op": op, "a": args}))
        if data[:1] == WHOLE:
            return data[1:]
        if data[:1] != CHUNKED:
            raise decode_failure(data)
        header = orjson.loads(data[1:])
        if header["s"] > self.max_bytes:
            raise TooLarge(f"the reply is {header['s']} bytes, over cluster.history_max_bytes ({self.max_bytes})")
        parts = []
        for index in range(header["n"]):
            part = await self.request(subject, orjson.dumps({"op": "part", "a": {"t": header["t"], "i": index}}))
            if part[:1] != WHOLE:
                raise decode_failure(part)
            parts.append(part[1:])
        return b"".join(parts)

    async def request(self, subject: str, body: bytes) -> bytes:
        """One request on the bus; RequestTimeout when no reply came in time."""
        try:
            return await self.bus.request(subject, body, self.timeout_s)
        except BusTimeout as err:
            raise RequestTimeout(f"no reply from the hunt's owner within {self.timeout_s} s") from err


class RemoteReader:
    """A hunt's reader (the read side of :class:`~hunt.store.HuntStore`) whose reads go to
    the owner. Its methods block: call them from a worker thread started by Trio."""

    def __init__(self, client: HistoryClient, hunt_id: str) -> None:
        self.client = client
        self.hunt_id = hunt_id

    def _ask(self, op: str, **args: Any) -> bytes:
        return trio.from_thread.run(self.client.ask, self.hunt_id, op, args)

    def read(self, *, after: int = 0, until: int | None = None, limit: int | None = None,
             player: str | None = None, type_: str | None = None, clue: str | None = None,
             from_ts: int | None = None, to_ts: int | None = None,
             newest_first: bool = False) -> Iterator[Recorded]:
        page = self.client.page
        filters = {"player": player, "type_": type_, "clue": clue, "from_ts": from_ts, "to_ts": to_ts,
                   "newest_first": newest_first}
        while limit is None or limit > 0:
            ask = page if limit is None else min(limit, page)
            try:
                records = decode_records(self._ask("read", after=after, until=until, limit=ask, **filters))
            except TooLarge:
                if ask == 1:
                    raise  # one event past the bound: nothing smaller to ask for
                page = max(ask // 2, 1)  # big events: smaller pages, each under the bound
                continue
            yield from records
            if len(records) < ask:
                return
            if newest_first:
                until = records[-1].seq - 1  # the next page is older
            else:
                after = records[-1].seq
            if limit is not None:
                limit -= len(records)

    def seq_at_time(self, ts: int) -> int:
        return int(self._ask("seq_at_time", ts=ts))

    def read_back(self, types: Sequence[str], *, until: int, limit: int,
                  first_finds_only: bool = False) -> list[Recorded]:
        return decode_records(self._ask("read_back", types=list(types), until=until, limit=limit,
                                        first_finds_only=first_finds_only))

    def load(self) -> tuple[HuntState | None, int]:
        payload = self._ask("load")
        return (None if payload == b"null" else decode_snapshot(payload)), 0

    def state_at(self, seq: int) -> HuntState | None:
        payload = self._ask("state_at", seq=seq)
        return None if payload == b"null" else decode_snapshot(payload)

    def close(self) -> None:
        """Nothing to close: every read was a request."""
