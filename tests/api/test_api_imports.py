"""``POST /admin/hunts/import`` with hostile bodies: each is a 400 naming the line, none a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.api import Server
from tests.support.hunts import harbor

IMPORTED = "imported"


def line(seq: int, type_: str, **fields: Any) -> dict[str, Any]:
    return {"seq": seq, "ts": 1_700_000_000_000 + seq, "type": type_, "player": None, "clue": None,
            "cmd": f"cmd{seq}", "principal": "admin", "data": {}, **fields}


CREATED = {**line(1, "hunt_created"), "cmd": None, "principal": None,
           "data": {"definition": harbor(IMPORTED)}}
JOINED = line(2, "player_joined", player="p1", principal="join", data={"name": "Ann", "team": None})


def body(*items: dict[str, Any] | str) -> bytes:
    # json (not orjson): it writes integers beyond 64 bits, as a hostile client can.
    return b"".join((item if isinstance(item, str) else json.dumps(item)).encode() + b"\n" for item in items)


@pytest.mark.parametrize(("content", "at"), [
    (body(CREATED, {**JOINED, "player": 7}), "line 2"),
    (body(CREATED, {**JOINED, "cmd": {"nested": 1}}), "line 2"),
    (body(CREATED, {**JOINED, "principal": ["join"]}), "line 2"),
    (body(CREATED, {**JOINED, "data": {"name": "Ann", "team": None, "score": 1}}), "line 2"),
    (body(CREATED, {**JOINED, "seq": 2**64}), "line 2"),
    (body({**CREATED, "ts": 2**63 + 1}), "line 1"),
    (body(CREATED, JOINED, "null"), "line 3"),
    (body(CREATED, JOINED, line(3, "hunt_started", ts=4_102_444_800_000)), "line 3"),
    (body(CREATED, JOINED, line(3, "score_adjusted", player="p1", data={"delta": 10**15, "reason": "",
                                                                         "score": 10**15})), "line 3"),
    (body({**CREATED, "data": {"definition": harbor("../escape")}}), "line 1"),
    (body(CREATED) + b"\xff\xfe\n", "line 2"),
])
async def test_a_hostile_import_is_a_bad_request_naming_the_line(server: Server, content: bytes, at: str) -> None:
    response = await server.http.post("/admin/hunts/import", content=content)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request" and response.json()["message"].startswith(at)
    assert not list(server.config.data_path.rglob("*.sqlite3*"))


async def test_an_honest_import_is_created(server: Server) -> None:
    response = await server.http.post("/admin/hunts/import", content=body(CREATED, JOINED, line(3, "hunt_started")))
    assert response.status_code == 201, response.text
