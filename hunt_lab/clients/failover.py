"""A player that goes through any node of a cluster and never gives a command up.

:class:`FailoverPlayer` joins once, then sends commands one at a time, each with its own id.
When the answer is ``unavailable`` or ``overloaded`` (the hunt is moving to another node, its
owner died, or it is busy), when no answer comes within ``answer_timeout_s``, or when the
socket closes, it connects to the next node (round robin), says ``hello`` with its token, and
sends the same command again with the same id. The server's exactly-once promise (the
idempotency key is in the log of record, so it survives a takeover) makes that safe; the
harness checks it: every acked id must be in the final log exactly once.

It records each ack (seq, duplicate, when it was sent the first time, when the ack came, the
node that acked), and every interruption (when, why), so a benchmark can read failover times.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import trio
from trio_websocket import ConnectionClosed, HandshakeError, WebSocketConnection

from ..audit import Ledger
from .player import open_websocket

__all__ = ["AckRecord", "FailoverPlayer"]

RETRY_CODES = frozenset({"unavailable", "overloaded"})


@dataclass(frozen=True, slots=True)
class AckRecord:
    id: str
    seq: int
    duplicate: bool
    first_sent: float  # trio time the command was first sent
    acked: float  # trio time its ack arrived
    node: int  # index of the node whose socket carried the ack


@dataclass
class FailoverPlayer:
    """One player of ``hunt_id``, reaching the cluster through ``ws_urls`` (one per node)."""

    ws_urls: list[str]
    name: str
    node: int = 0  # the node it talks to first
    answer_timeout_s: float = 3.0
    retry_pause_s: float = 0.1
    player: str = ""
    token: str = ""
    acks: list[AckRecord] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # command id -> final error code
    interruptions: list[tuple[float, str]] = field(default_factory=list)
    join_id: str = field(default_factory=lambda: secrets.token_hex(16))
    ledger: Ledger | None = None  # every command and answer, for the audit of the log
    next: int = 0  # the index of the next command to send (or of the one in flight)
    in_flight: bool = False  # that command was sent and has no final answer yet
    _first_sent: dict[str, float] = field(default_factory=dict)

    async def run(self, make: Callable[[int], dict[str, Any]], count: int, *, interval_s: float = 0.0,
                  stop: trio.Event | None = None) -> None:
        """Join, then send ``make(i)`` for i in 0..count-1 (each gets the id ``<name>-<i>``),
        one at a time, ``interval_s`` apart, until done or ``stop`` is set."""
        self.next = 0
        joined = False
        while self.next < count and (self.in_flight or not (stop is not None and stop.is_set())):
            url = self.ws_urls[self.node % len(self.ws_urls)]
            try:
                async with open_websocket(url, connect_timeout=self.answer_timeout_s) as ws:
                    if await (self._hello(ws) if joined else self._join(ws)):
                        joined = True
                        await self._play(ws, make, count, interval_s, stop)
            except (OSError, ConnectionClosed, HandshakeError, trio.TooSlowError) as err:
                self.interruptions.append((trio.current_time(), f"socket: {type(err).__name__}"))
            self.node += 1  # the next node (any node serves any hunt)
            await trio.sleep(self.retry_pause_s)

    async def _play(self, ws: WebSocketConnection, make: Callable[[int], dict[str, Any]], count: int,
                    interval_s: float, stop: trio.Event | None) -> None:
        """Send commands from ``self.next`` on, until one needs a reconnect (or all are answered;
        once ``stop`` is set, only the command in flight is finished)."""
        while self.next < count and (self.in_flight or not (stop is not None and stop.is_set())):
            self.in_flight = True
            if not await self._send_until_answered(ws, {**make(self.next), "id": f"{self.name}-{self.next}"}):
                return
            self.in_flight = False
            self.next += 1
            if interval_s:
                await trio.sleep(interval_s)

    async def _join(self, ws: WebSocketConnection) -> bool:
        reply = await self._ask(ws, {"op": "join", "id": self.join_id, "name": self.name})
        if reply is None or reply.get("op") != "ack":
            self._interrupted(reply)
            return False
        self.player, self.token = reply["player"], reply["token"]
        return True

    async def _hello(self, ws: WebSocketConnection) -> bool:
        reply = await self._ask(ws, {"op": "hello", "id": secrets.token_hex(8), "token": self.token})
        if reply is None or reply.get("op") != "welcome":
            self._interrupted(reply)
            return False
        return True

    async def _send_until_answered(self, ws: WebSocketConnection, frame: dict[str, Any]) -> bool:
        """True once the command has its final answer (an ack, or a refusal that is not worth
        retrying); False when the caller must reconnect and send it again."""
        first_sent = self._first_sent.setdefault(frame["id"], trio.current_time())
        key = (self.player, frame["id"])
        if self.ledger is not None:
            self.ledger.send(key)
        while True:
            reply = await self._ask(ws, frame)
            if reply is not None and self.ledger is not None:
                self.ledger.answer(key, reply)
            if reply is not None and reply.get("op") == "ack":
                self._first_sent.pop(frame["id"], None)
                self.acks.append(AckRecord(frame["id"], int(reply["seq"]), bool(reply.get("duplicate")),
                                           first_sent, trio.current_time(), self.node % len(self.ws_urls)))
                return True
            if reply is not None and reply.get("code") not in RETRY_CODES:
                self._first_sent.pop(frame["id"], None)
                self.refused[frame["id"]] = str(reply.get("code"))
                return True
            self._interrupted(reply)
            return False

    async def _ask(self, ws: WebSocketConnection, frame: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to ``frame`` (matched by id), or None when none came in time."""
        await ws.send_message(orjson.dumps(frame).decode())
        with trio.move_on_after(self.answer_timeout_s):
            while True:
                reply = orjson.loads(await ws.get_message())
                if reply.get("id") == frame["id"] and reply.get("op") in ("ack", "error", "welcome"):
                    return dict(reply)
        return None

    def _interrupted(self, reply: dict[str, Any] | None) -> None:
        why = "no answer in time" if reply is None else str(reply.get("code") or reply.get("op"))
        self.interruptions.append((trio.current_time(), why))
