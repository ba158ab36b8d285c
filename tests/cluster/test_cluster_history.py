"""The owner's side of cluster mode's history requests, with a fake bus and engine: it reads at
most ``workers.owner_inflight`` requests at once (more are ``overloaded`` at once), answers
only for hunts it serves, sends a large reply in parts and keeps at most
``cluster.history_cached`` of them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import trio

from hunt.cluster._bus import OVERLOADED_REPLY
from hunt.cluster._remote import CHUNKED, WHOLE, _HistoryServer
from hunt.config import load_config

pytestmark = pytest.mark.cluster


class FakeBus:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def publish(self, subject: str, data: bytes) -> None:
        self.sent.append((subject, data))


class SlowEngine:
    def __init__(self) -> None:
        self.release = trio.Event()

    async def read_events(self, hunt_id: str, **_: Any) -> list[Any]:
        await self.release.wait()
        return []


def server(nursery: trio.Nursery, engine: Any, bus: FakeBus, serves: bool = True, **cluster: Any) -> _HistoryServer:
    config = load_config(None, env={}, overrides={"workers": {"owner_inflight": 1}, "cluster": cluster})
    return _HistoryServer(config, engine, bus, "a", lambda _hunt: serves, nursery)  # type: ignore[arg-type]


READ = orjson.dumps({"op": "read", "a": {}})


async def test_requests_past_the_bound_are_overloaded_at_once() -> None:
    bus, engine = FakeBus(), SlowEngine()
    async with trio.open_nursery() as nursery:
        history = server(nursery, engine, bus)
        history.on_request("p.hist.a.h1", READ, "r1")
        history.on_request("p.hist.a.h1", READ, "r2")
        await trio.testing.wait_all_tasks_blocked()
        assert bus.sent == [("r2", OVERLOADED_REPLY)]
        engine.release.set()
    assert bus.sent[1][0] == "r1" and bus.sent[1][1].startswith(WHOLE)
    assert history.inflight == 0


async def test_a_hunt_it_does_not_serve_is_refused() -> None:
    bus = FakeBus()
    async with trio.open_nursery() as nursery:
        server(nursery, SlowEngine(), bus, serves=False).on_request("p.hist.a.h1", READ, "r1")
    assert orjson.loads(bus.sent[0][1])["e"] == "stopped"


def test_a_large_reply_goes_in_parts_and_only_the_newest_are_kept() -> None:
    history = server(None, None, FakeBus(), history_chunk_bytes=1000, history_cached=2)  # type: ignore[arg-type]
    payloads = [bytes([65 + n]) * 2500 for n in range(3)]
    assert history._frame(b"x" * 1000) == WHOLE + b"x" * 1000  # up to a part's size: as it is
    frames = [history._frame(payload) for payload in payloads]
    assert all(frame[:1] == CHUNKED for frame in frames)
    headers = [orjson.loads(frame[1:]) for frame in frames]
    assert (headers[0]["n"], headers[0]["s"]) == (3, 2500)
    assert list(history.cached) == [headers[1]["t"], headers[2]["t"]]  # the oldest was dropped
    assert b"".join(history._part(headers[2]["t"], i) for i in range(3)) == payloads[2]
    assert headers[2]["t"] not in history.cached  # the last part read: forgotten
    with pytest.raises(Exception, match="no longer kept"):
        history._part(headers[0]["t"], 0)
