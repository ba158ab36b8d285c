"""Routes without a token: public reads (cached, ETag), health, metrics, OpenAPI, pages, static files."""

from __future__ import annotations

import re

import httpx
import pytest
import trio

from hunt.api._public import STATIC_DIR
from hunt.api._ws import PLAYER_PATH
from hunt.protocol import ErrorCode
from tests.support.api import Connect, Server
from tests.support.hunts import HUNT_ID


@pytest.fixture
async def public(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base)  # no token


async def test_health(server: Server, public: httpx.AsyncClient) -> None:
    async with public:
        response = await public.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok", "hunts": 0, "active": 0}


async def test_the_public_hunt_view_reveals_no_secrets(hunt: str, public: httpx.AsyncClient) -> None:
    async with public:
        response = await public.get(f"/hunts/{HUNT_ID}")
        missing = await public.get("/hunts/nope")
    view = response.json()
    assert {k: view[k] for k in ("id", "title", "mode", "order", "status")} == {
        "id": HUNT_ID, "title": "Harbor Hunt", "mode": "solo", "order": "free", "status": "active"}
    assert [c["id"] for c in view["clues"]] == ["c1", "c2", "c3"]
    assert view["clues"][0]["hints"] == [{"cost": 10}, {"cost": 5}] and view["clues"][2]["after"] == ["c1"]
    for secret in ("lighthouse", "X7K2", "53.5441", "9.9667", "It blinks", "answers", "codes", '"lat"'):
        assert secret not in response.text
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_hunt"


async def test_the_public_leaderboard_is_cached_with_an_etag(
        hunt: str, server: Server, public: httpx.AsyncClient, connect: Connect) -> None:
    url = f"/hunts/{HUNT_ID}/leaderboard"
    async with public, connect() as ann:
        await ann.join("Ann")
        first = await public.get(url)
        etag = first.headers["ETag"]
        assert first.json() == {"seq": first.json()["seq"], "total": 1,
                                "rows": [{"rank": 1, "player": "p1", "name": "Ann", "score": 0}]}
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            cached = await public.get(url, headers={"If-None-Match": header})
            assert cached.status_code == 304 and cached.content == b"" and cached.headers["ETag"] == etag
        await ann.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
        after_ping = await _once_changed(public, url, etag)
        # A new version, same rows: the body (and so the ETag) differs only by seq.
        assert after_ping.status_code == 200 and after_ping.headers["ETag"] != etag
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        changed = await _once_changed(public, url, after_ping.headers["ETag"])
    assert changed.status_code == 200 and changed.json()["rows"][0]["score"] == 120


async def _once_changed(public: httpx.AsyncClient, url: str, etag: str) -> httpx.Response:
    """The first answer that is not a 304 for ``etag``, within 2 s. With --workers the HTTP
    request may reach the other gateway, whose copy of the hunt can be a few ms behind the ack
    (docs/workers.md); in one process the first answer is already the new version."""
    with trio.move_on_after(2):
        while (response := await public.get(url, headers={"If-None-Match": etag})).status_code == 304:
            await trio.sleep(0.02)
    return response


async def test_admin_reads_have_etags_too(hunt: str, server: Server) -> None:
    for path in ("", "/clues", "/leaderboard", "/leaderboard?at_seq=1"):
        first = await server.http.get(f"/admin/hunts/{HUNT_ID}{path}")
        again = await server.http.get(f"/admin/hunts/{HUNT_ID}{path}", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path


async def test_reads_of_a_live_hunt_do_not_touch_sql(
        hunt: str, server: Server, connect: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connect() as ann:
        await ann.join("Ann")

        def no_sql(*args: object, **kwargs: object) -> None:
            raise AssertionError("a live read went to the store")

        monkeypatch.setattr(server.engine, "read_events", no_sql)
        monkeypatch.setattr(server.engine, "state_at", no_sql)
        monkeypatch.setattr(server.engine.stores, "open_reader", no_sql)
        for path in (f"/hunts/{HUNT_ID}", f"/hunts/{HUNT_ID}/leaderboard", f"/admin/hunts/{HUNT_ID}",
                     f"/admin/hunts/{HUNT_ID}/leaderboard", f"/admin/hunts/{HUNT_ID}/clues",
                     f"/admin/hunts/{HUNT_ID}/players/p1", "/admin/hunts"):
            response = await server.http.get(path)
            assert response.status_code == 200, path


@pytest.mark.one_process  # a gateway's /metrics shows its own connections (tests/cluster covers it)
async def test_metrics_read_the_engine_at_scrape_time(hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join("Ann")
        await ann.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
        response = await server.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    expected = [
        f'hunt_events_total{{hunt="{HUNT_ID}",type="pinged"}} 1.0',
        f'hunt_events_total{{hunt="{HUNT_ID}",type="player_joined"}} 1.0',
        f'hunt_mailbox_capacity{{hunt="{HUNT_ID}"}} {float(server.config.engine.mailbox_capacity)}',
        f'hunt_mailbox_depth{{hunt="{HUNT_ID}"}} 0.0',
        f'hunt_players{{hunt="{HUNT_ID}"}} 1.0',
        f'hunt_subscribers{{hunt="{HUNT_ID}"}} 1.0',
        f'hunt_ws_connections{{hunt="{HUNT_ID}"}} 1.0',
        "hunt_router_activations_total 1.0",
        "hunt_router_overloaded_total 0.0",
        "hunt_router_restarts_total 0.0",
        "hunt_hunts 1.0",
    ]
    for line in expected:
        assert line in text, line
    for name in ("hunt_actor_batches_total", "hunt_actor_messages_total", "hunt_actor_queue_wait_seconds_total",
                 "hunt_actor_handler_seconds_total", "hunt_actor_restarts_total", "hunt_ws_connections_accepted_total"):
        assert re.search(rf"^{name}(\{{.*\}})? \d", text, re.M), name


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


async def test_openapi_describes_exactly_the_routes(server: Server) -> None:
    document = (await server.http.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    routes = {(_openapi_path(rule.rule), method.lower())
              for rule in server.app.url_map.iter_rules()
              for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    routes.add(("/ws/hunts/{hunt_id}", "get"))  # served on ASGI beside quart (hunt/api/_ws.py)
    assert PLAYER_PATH.fullmatch("/ws/hunts/h1") and not PLAYER_PATH.fullmatch("/ws/hunts/h1/x")
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert routes == described
    for path, operations in document["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path
            assert operation["responses"]
    assert set(document["components"]["schemas"]["Error"]["properties"]["error"]["enum"]) == set(ErrorCode)


async def test_pages_and_static_files(server: Server, public: httpx.AsyncClient) -> None:
    async with public:
        play = await public.get(f"/play/{HUNT_ID}")
        admin = await public.get("/admin")
        script = await public.get("/static/play.js")
        bad_page = await public.get("/play/a.b")
        escape = await public.get("/static/..%2f..%2fconfig.py")
        missing = await public.get("/static/nope.css")
        # Found by schemathesis: a name longer than the filesystem allows was a 500 (ENAMETOOLONG).
        too_long = await public.get("/static/" + "a" * 5000 + ".js")
        odd = await public.get("/static/%E1%B9%B0%CC%BA%20o%CD%9E.css")
        nested = await public.get("/static/sub/play.js")
    assert play.status_code == 200 and play.headers["content-type"].startswith("text/html")
    assert play.content == (STATIC_DIR / "play.html").read_bytes()
    assert admin.status_code == 200 and admin.content == (STATIC_DIR / "admin.html").read_bytes()
    assert script.status_code == 200 and script.content == (STATIC_DIR / "play.js").read_bytes()
    assert bad_page.status_code == 404
    assert escape.status_code == 404 and missing.status_code == 404
    assert [r.status_code for r in (too_long, odd, nested)] == [404, 404, 404]
    assert too_long.json()["error"] == "not_found"
    assert script.headers["content-type"].startswith("text/javascript")


async def test_unknown_routes_and_methods_are_json_errors(server: Server, public: httpx.AsyncClient) -> None:
    async with public:
        missing = await public.get("/nothing/here")
        wrong_method = await public.delete("/health")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (405, "method_not_allowed")
