"""HTTP at the edge: slow bodies, admin token guessing, huge query numbers, page headers, /metrics."""

from __future__ import annotations

import logging

import httpx
import pytest

from hunt.api._app import PAGE_HEADERS
from tests.support.api import ADMIN_TOKEN, OpenServer, Server, trickle
from tests.support.hunts import HUNT_ID

# Connection caps, rate buckets and the admin throttle are kept per process (with --workers N,
# per gateway), and these tests look inside that process (docs/security.md).
pytestmark = pytest.mark.one_process

SLOW = {"body_timeout_s": 1.0, "body_idle_timeout_s": 0.5, "import_body_timeout_s": 1.0}
SPACES = b" " * 1000  # a JSON body the tests below send one byte at a time


@pytest.mark.parametrize("path", ["/admin/hunts", "/admin/hunts/import"])
async def test_a_trickled_body_gets_408_and_the_connection_ends(open_server: OpenServer, path: str) -> None:
    async with open_server(limits=SLOW) as server:
        received, took = await trickle(server.port, path, ADMIN_TOKEN, SPACES)
    assert received.startswith(b"HTTP/1.1 408"), received[:80]
    assert b'"timeout"' in received
    assert took < 3


async def test_a_stalled_body_gets_408_after_the_idle_timeout(open_server: OpenServer) -> None:
    async with open_server(limits=SLOW) as server:
        received, took = await trickle(server.port, "/admin/hunts", ADMIN_TOKEN, SPACES, every_s=3)
    assert received.startswith(b"HTTP/1.1 408") and b"stalled" in received
    assert took < 2.5


async def test_a_trickled_body_after_a_401_does_not_hold_the_connection(open_server: OpenServer) -> None:
    async with open_server(limits=SLOW) as server:
        received, took = await trickle(server.port, "/admin/hunts", "wrong", SPACES)
    assert received.startswith(b"HTTP/1.1 401")
    assert took < 3


async def test_wrong_admin_tokens_are_throttled_per_address_and_logged_without_the_token(
        open_server: OpenServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "hunt.api.admin")
    guess = "guess-" + "x" * 30
    async with open_server(server={"trusted_proxies": ["127.0.0.1"]},
                           limits={"admin_failures_max": 3, "admin_failures_window_s": 60.0}) as server:
        async with httpx.AsyncClient(base_url=server.base, headers={"X-Forwarded-For": "198.51.100.7"}) as client:
            statuses = [(await client.get("/admin/hunts", headers={"Authorization": f"Bearer {guess}"})).status_code
                        for _ in range(5)]
            assert statuses == [401, 401, 401, 429, 429]
            # Throttled means throttled: the right token from that address waits too.
            right = await client.get("/admin/hunts", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert right.status_code == 429 and right.json()["error"] == "rate_limited"
            assert 1 <= int(right.headers["Retry-After"]) <= 20 and right.json()["retry_after_ms"] > 0
        other = await server.http.get("/admin/hunts", headers={"X-Forwarded-For": "198.51.100.8"})
        assert other.status_code == 200  # another address is not locked out
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 3 and all("198.51.100.7" in line for line in refusals)
    assert guess not in caplog.text and ADMIN_TOKEN not in caplog.text


@pytest.mark.parametrize("query", ["after=9223372036854775808", "limit=99999999999999999999",
                                   "after=9223372036854775807000"])
async def test_query_numbers_beyond_64_bits_are_a_400(server: Server, query: str) -> None:
    await server.create_hunt()
    response = await server.http.get(f"/admin/hunts/{HUNT_ID}/events?{query}")
    assert response.status_code in (200, 400)  # limit caps, after refuses
    if "after" in query:
        assert response.status_code == 400 and response.json()["error"] == "bad_request"
    response = await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard?at_seq=9223372036854775808")
    assert response.status_code == 400


async def test_pages_carry_a_content_security_policy_and_every_response_nosniff(server: Server) -> None:
    await server.create_hunt()
    for path in (f"/play/{HUNT_ID}", "/admin"):
        response = await server.http.get(path)
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
        assert policy == PAGE_HEADERS["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
    for path in ("/health", "/static/play.js", f"/hunts/{HUNT_ID}", "/nowhere"):
        response = await server.http.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path


async def test_metrics_are_for_this_machine_by_default(open_server: OpenServer) -> None:
    async with open_server(server={"trusted_proxies": ["127.0.0.1"]}) as server:
        async with httpx.AsyncClient(base_url=server.base) as local:
            assert (await local.get("/metrics")).status_code == 200
        async with httpx.AsyncClient(base_url=server.base, headers={"X-Forwarded-For": "198.51.100.7"}) as remote:
            refused = await remote.get("/metrics")
            assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
            allowed = await remote.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert allowed.status_code == 200 and "hunt_hunts" in allowed.text


async def test_metrics_can_need_a_token_of_their_own(open_server: OpenServer) -> None:
    async with open_server(server={"metrics_access": "token", "metrics_token": "scrape-" + "s" * 32}) as server:
        async with httpx.AsyncClient(base_url=server.base) as local:
            assert (await local.get("/metrics")).status_code == 401  # loopback is not enough
            assert (await local.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})).status_code == 401
            scraped = await local.get("/metrics", headers={"Authorization": "Bearer scrape-" + "s" * 32})
            assert scraped.status_code == 200


async def test_metrics_can_be_open(open_server: OpenServer) -> None:
    async with open_server(server={"metrics_access": "open", "trusted_proxies": ["127.0.0.1"]}) as server:
        async with httpx.AsyncClient(base_url=server.base, headers={"X-Forwarded-For": "198.51.100.7"}) as remote:
            assert (await remote.get("/metrics")).status_code == 200
