"""The server against its own OpenAPI document, checked from outside by schemathesis.

A live in-process server with the standard hunt; ``st run`` reads ``/openapi.json`` and sends
schema-valid and schema-invalid requests to every operation (examples, coverage and fuzzing
phases) with all of its checks: no server error, documented statuses, content types, headers
and response schemas, valid data accepted, invalid data refused, 405 with ``Allow`` for
undeclared methods, auth not ignored. Bounded: a fixed seed, a few examples per operation and
a time budget.

Four operations take bodies whose rules JSON Schema cannot say in full (a definition's cross-
field rules, and a clue's when one is added or edited; an NDJSON export is a string to a
schema), so for them a schema-valid body may still be refused with 400; the document says
which rules those are. Everything else must match exactly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import trio

from tests.support.api import ADMIN_TOKEN, OpenServer, Server, open_socket
from tests.support.hunts import HUNT_ID, harbor

ROOT = Path(__file__).resolve().parents[2]
BUDGET_S = 35

CONFIG = f"""
seed = 20261207
max-time = {BUDGET_S}
request-timeout = 20
hooks = "tests.support.schemathesis_hooks"
headers = {{ Authorization = "Bearer {ADMIN_TOKEN}" }}

[cache]
enabled = false

[generation]
mode = "all"
max-examples = 12

[phases.stateful]
enabled = false

[[operations]]
include-path-regex = "^/admin/hunts(/import)?$"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
include-path-regex = "^/admin/hunts/[{{]hunt_id[}}]/clues(/[{{]clue[}}]/edit(/preview)?)?$"
include-method = "POST"
parameters = {{ hunt_id = "{HUNT_ID}", clue = "c1" }}
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404", "409", "429"]

[[operations]]
include-path-regex = "^/admin/hunts/[{{]hunt_id[}}]/clues/[{{]clue[}}]/"
parameters = {{ hunt_id = "{HUNT_ID}", clue = "c2" }}

[[operations]]
include-path-regex = "^/(admin/)?hunts/[{{]hunt_id[}}]"
parameters = {{ hunt_id = "{HUNT_ID}" }}
"""


async def test_the_server_answers_as_its_openapi_document_says(open_server: OpenServer, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    async with open_server() as server:
        await server.create_hunt()
        with trio.fail_after(BUDGET_S + 60):
            run = await trio.run_process(
                [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config), "run",
                 f"{server.base}/openapi.json"],
                cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_stdout=True, capture_stderr=True,
                check=False)
    report = (run.stdout + run.stderr).decode(errors="replace")
    assert run.returncode == 0, report[-12_000:]
    assert "Failures:" not in report and "Errors:" not in report, report[-12_000:]


# -- what the run found, each pinned by a test of its own ---------------------------------------


async def raw_exchange(port: int, *requests: bytes) -> list[bytes]:
    """Send requests on one connection; what came back after each (until the server closed or paused)."""
    answers = []
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        for raw in requests:
            await stream.send_all(raw)
            received = b""
            with trio.move_on_after(3):
                while b"\r\n\r\n" not in received or not received.endswith(b"}"):
                    chunk = await stream.receive_some()
                    if not chunk:
                        break
                    received += chunk
            answers.append(received)
    return answers


async def test_an_error_before_the_body_is_read_closes_the_connection(server: Server) -> None:
    # Answered 401 before its body was read, the connection used to wait for that body and the
    # client's next request on it hung. Now the answer says Connection: close.
    body = b'{"player": "p1", "delta": 5}'
    refused = (b"POST /admin/hunts/harbor/adjust HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body))
    [answer] = await raw_exchange(server.port, refused)
    head = answer.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 401") and b"connection: close" in head
    for method, path, status in (("TRACE", "/health", 405), ("PUT", "/admin/hunts", 405), ("GET", "/health", 200)):
        response = await server.http.request(method, path, content=b"{}")  # a body nobody reads
        assert response.status_code == status and response.headers["Connection"] == "close", (method, path)
    assert (await server.http.get("/health")).headers.get("Connection") != "close"


async def test_a_method_a_route_lacks_is_405_with_allow(server: Server) -> None:
    for method, path, allowed in (("DELETE", "/health", {"GET"}), ("PUT", "/admin/hunts", {"GET", "POST"}),
                                  ("GET", "/admin/hunts/import", {"POST"}),
                                  ("PATCH", f"/admin/hunts/{HUNT_ID}/adjust", {"POST"})):
        response = await server.http.request(method, path)
        assert response.status_code == 405 and response.json()["error"] == "method_not_allowed", (method, path)
        assert set(response.headers["Allow"].split(", ")) - {"HEAD", "OPTIONS"} == allowed, (method, path)


async def test_no_hunt_may_be_called_import(server: Server) -> None:
    refused = await server.http.post("/admin/hunts", json=harbor("import"))
    assert refused.status_code == 400 and "import" in refused.json()["message"]
    assert (await server.http.get("/hunts/import")).status_code == 404


async def test_admin_commands_refuse_fields_they_do_not_know(server: Server) -> None:
    await server.create_hunt()
    for path, body in ((f"/admin/hunts/{HUNT_ID}/adjust", {"player": "p1", "delta": 5, "detla": 1}),
                       (f"/admin/hunts/{HUNT_ID}/pause", {"id": "x", "force": True}),
                       (f"/admin/hunts/{HUNT_ID}/players/p1/ban", {"why": "spam"})):
        response = await server.http.post(path, json=body)
        assert response.status_code == 400 and "unknown field" in response.json()["message"], path
    assert (await server.engine.state(HUNT_ID)).status_at(server.ctx.now_ms()) == "active"


@pytest.mark.parametrize("query", ["limit=", "limit=+5", "limit=1_0", "limit=1e2", "offset=-1", "at_seq=0",
                                   f"at_seq={2**63}", "after=9223372036854775808", "limit=0"])
async def test_query_integers_are_plain_digits_within_bounds(server: Server, query: str) -> None:
    await server.create_hunt()
    response = await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard?{query}")
    if query.startswith("after"):
        response = await server.http.get(f"/admin/hunts/{HUNT_ID}/events?{query}")
    assert response.status_code == 400, query
    assert (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard?at_seq={2**63 - 1}")).status_code == 200


async def test_a_resent_admin_command_is_still_checked_before_its_first_answer(server: Server) -> None:
    await server.create_hunt()
    async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
        await ann.join("Ann")
    first = await server.http.post(f"/admin/hunts/{HUNT_ID}/adjust", json={"id": "a1", "player": "p1", "delta": 5})
    assert first.status_code == 200
    for body in ({"id": "a1", "player": "p1", "delta": 0}, {"id": "a1", "player": "p1", "delta": 10**7},
                 {"id": "a1", "player": "p1", "delta": 5, "reason": "x" * 501}):
        response = await server.http.post(f"/admin/hunts/{HUNT_ID}/adjust", json=body)
        assert response.status_code == 400, body
    ban = await server.http.post(f"/admin/hunts/{HUNT_ID}/players/p1/ban", json={"id": "b1", "reason": "y" * 501})
    assert ban.status_code == 400
