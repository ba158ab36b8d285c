"""Clue media and the map over HTTP: uploads typed by their bytes and bounded, attachments, what
a player may fetch (only what their side may see), the map's areas, and live pushes."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import trio

from hunt.domain import haversine_m
from tests.support.api import Connect, OpenServer, Player, Server
from tests.support.hunts import CRANE, HARBOR, HUNT_ID

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
GIF = b"GIF89a" + b"\x01" * 300
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x55" * 500
OGG = b"OggS\x00\x02" + b"\x00" * 400


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
async def public(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
        yield client


async def upload(server: Server, data: bytes, content_type: str = "image/png") -> httpx.Response:
    return await server.http.post(f"/admin/hunts/{HUNT_ID}/media", content=data,
                                  headers={"Content-Type": content_type})


async def attach(server: Server, target: str, media: list[dict[str, Any]], **where: Any) -> httpx.Response:
    return await server.http.post(f"/admin/hunts/{HUNT_ID}/attach", json={"target": target, "media": media, **where})


async def fetch(public: httpx.AsyncClient, digest: str, player: Player | None = None, *,
                shown: bool = False) -> httpx.Response:
    """The file as a player gets it; ``shown``: it should be visible now (with --workers 2 the
    gateway that answers may apply the last command a moment after its ack: ask again until then)."""
    headers = {"Authorization": f"Bearer {player.token}"} if player else {}
    with trio.move_on_after(5):
        while (response := await public.get(f"/hunts/{HUNT_ID}/media/{digest}", headers=headers)).status_code \
                == 404 and shown:
            await trio.sleep(0.05)
    return response


async def view(public: httpx.AsyncClient, player: Player | None = None,
               until: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
    """The public view of the hunt, once ``until`` holds for it (see fetch)."""
    headers = {"Authorization": f"Bearer {player.token}"} if player else {}
    with trio.move_on_after(5):
        while True:
            response = await public.get(f"/hunts/{HUNT_ID}", headers=headers)
            assert response.status_code == 200, response.text
            if until(response.json()):
                break
            await trio.sleep(0.05)
    return response.json()


async def test_an_upload_is_typed_by_its_bytes_stored_by_its_hash_and_recorded(server: Server) -> None:
    await server.create_hunt()
    sent = await upload(server, PNG, "image/jpeg")  # the header only picks the size limit
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert (body["result"], body["hash"], body["size"], body["type"]) == ("ok", sha(PNG), len(PNG), "image/png")
    assert (server.config.data_path / "media" / HUNT_ID / sha(PNG)).read_bytes() == PNG
    again = (await upload(server, PNG)).json()
    assert again["duplicate"] is True and again["seq"] == body["seq"]
    assert (await upload(server, MP3, "audio/mpeg")).json()["type"] == "audio/mpeg"
    events = (await server.http.get(f"/admin/hunts/{HUNT_ID}/events", params={"type": "media_added"})).json()
    assert [e["data"]["type"] for e in events["events"]] == ["image/png", "audio/mpeg"]
    library = (await server.http.get(f"/admin/hunts/{HUNT_ID}/media")).json()
    assert {row["hash"] for row in library["media"]} == {sha(PNG), sha(MP3)} and library["map"] is False
    admin = await server.http.get(f"/admin/hunts/{HUNT_ID}/media/{sha(MP3)}")
    assert admin.status_code == 200 and admin.headers["content-type"] == "audio/mpeg"


@pytest.mark.parametrize(("data", "content_type", "status"), [
    (b"<svg onload=alert(1)>", "image/svg+xml", 400),  # not an image a clue may show
    (b"MZ\x90\x00" + b"\x00" * 100, "image/png", 400),  # an executable called a PNG
    (MP3, "image/png", 400),  # audio bytes under an image header
    (PNG, "text/plain", 400),
    (b"", "image/png", 400),
])
async def test_an_upload_that_is_not_a_clue_image_or_recording_is_refused_and_leaves_nothing(
        server: Server, data: bytes, content_type: str, status: int) -> None:
    await server.create_hunt()
    refused = await upload(server, data, content_type)
    assert refused.status_code == status and refused.json()["error"] == "bad_request", refused.text
    folder = server.config.data_path / "media" / HUNT_ID
    assert not folder.exists() or not list(folder.iterdir())
    assert (await server.http.get(f"/admin/hunts/{HUNT_ID}/media")).json()["media"] == []


async def test_uploads_are_bounded_in_size_and_number(open_server: OpenServer) -> None:
    async with open_server(limits={"max_clue_image_bytes": 1000, "max_hunt_media": 2}) as server:
        await server.create_hunt()
        big = await upload(server, PNG)  # 1032 bytes
        assert big.status_code == 413 and big.json()["error"] == "too_large"
        assert big.json()["message"].endswith("image may have at most 1000 bytes")
        assert (await upload(server, GIF, "image/gif")).status_code == 200
        assert (await upload(server, OGG, "audio/ogg")).status_code == 200  # audio has its own limit
        full = await upload(server, MP3, "audio/mpeg")
        assert full.status_code == 409 and "max_hunt_media" in full.json()["message"]
        assert not (server.config.data_path / "media" / HUNT_ID / sha(MP3)).exists()


async def test_a_player_fetches_only_the_media_their_side_may_see(server: Server, public: httpx.AsyncClient,
                                                                  connect: Connect) -> None:
    await server.create_hunt(intro={"text": "Welcome aboard"})
    for data, kind in ((PNG, "image/png"), (GIF, "image/gif"), (MP3, "audio/mpeg"), (OGG, "audio/ogg")):
        assert (await upload(server, data, kind)).status_code == 200
    for target, digest, where in (("intro", sha(PNG), {}), ("clue", sha(GIF), {"clue": "c3"}),
                                  ("hint", sha(MP3), {"clue": "c1", "hint": 0}), ("outro", sha(OGG), {})):
        done = await attach(server, target, [{"hash": digest, "alt": f"{target} media"}], **where)
        assert done.status_code == 200, done.text
    assert (await fetch(public, sha(PNG))).content == PNG  # the intro: anybody
    assert (await view(public))["intro"] == {"text": "Welcome aboard", "media": [
        {"hash": sha(PNG), "alt": "intro media", "type": "image/png"}]}
    async with connect() as ann:
        await ann.join("Ann")
        before = await view(public, ann)
        c3 = next(c for c in before["clues"] if c["id"] == "c3")
        assert c3["locked"] and "media" not in c3 and "outro" not in before
        for digest in (sha(GIF), sha(MP3), sha(OGG)):  # a locked clue's, an untaken hint's, the outro's
            hidden = await fetch(public, digest, ann)
            assert hidden.status_code == 404 and hidden.json()["error"] == "not_found"
        await ann.request({"op": "hint", "id": "h1", "clue": "c1"})
        assert (await fetch(public, sha(MP3), ann, shown=True)).content == MP3
        seen = await view(public, ann, lambda v: "media" in v["clues"][0]["hints"][0])
        hints = next(c for c in seen["clues"] if c["id"] == "c1")["hints"]
        assert hints[0]["media"][0]["alt"] == "hint media" and "media" not in hints[1]
        assert (await fetch(public, sha(MP3))).status_code == 404  # somebody without the token: no
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        shown = await fetch(public, sha(GIF), ann, shown=True)
        assert shown.status_code == 200 and shown.headers["cache-control"].startswith("private")
        assert "sandbox" in shown.headers["content-security-policy"]
        c3 = next(c for c in (await view(public, ann, lambda v: "media" in v["clues"][2]))["clues"] if c["id"] == "c3")
        assert c3["media"] == [{"hash": sha(GIF), "alt": "clue media", "type": "image/gif"}]
        assert (await fetch(public, sha(OGG), ann)).status_code == 404
    assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/end")).status_code == 200
    assert (await fetch(public, sha(OGG), shown=True)).content == OGG  # the outro, at the end
    assert (await view(public))["outro"]["media"][0]["type"] == "audio/ogg"
    assert (await fetch(public, "0" * 64)).status_code == 404
    assert (await public.get(f"/hunts/{HUNT_ID}/media/..%2f..%2fsecrets")).status_code == 404


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"target": "intro", "media": [{"hash": "0" * 64, "alt": "never uploaded"}]}, 400, "bad_request"),
    ({"target": "clue", "clue": "nope", "media": []}, 404, "unknown_clue"),
    ({"target": "hint", "clue": "c1", "hint": 5, "media": []}, 400, "bad_request"),
    ({"target": "poster", "media": []}, 400, "bad_request"),
    ({"target": "intro", "media": [{"hash": "0" * 64}]}, 400, "bad_request"),
    ({"target": "intro", "media": [], "colour": "red"}, 400, "bad_request"),
    ({"target": "intro"}, 400, "bad_request"),
])
async def test_a_bad_attachment_is_refused_and_changes_nothing(server: Server, body: dict[str, Any], status: int,
                                                               code: str) -> None:
    await server.create_hunt()
    before = (await server.http.get(f"/admin/hunts/{HUNT_ID}")).json()["seq"]
    refused = await server.http.post(f"/admin/hunts/{HUNT_ID}/attach", json=body)
    assert refused.status_code == status and refused.json()["error"] == code, refused.text
    assert (await server.http.get(f"/admin/hunts/{HUNT_ID}")).json()["seq"] == before


async def test_the_map_shows_marked_open_geo_clues_as_areas_and_its_switch_is_pushed(
        server: Server, public: httpx.AsyncClient, connect: Connect) -> None:
    clues = [dict(c) for c in HARBOR["clues"]]
    clues[1] |= {"show_on_map": True, "map_radius_m": 300}
    await server.create_hunt(clues=clues)
    async with connect() as ann:
        await ann.join("Ann")
        assert "map" not in await view(public, ann)
        switched = await server.http.post(f"/admin/hunts/{HUNT_ID}/map", json={"enabled": True, "id": "map-on"})
        assert switched.status_code == 200 and switched.json()["map"] is True
        pushed = await ann.wait_for(lambda f: f["op"] == "feed" and f.get("kind") == "map_changed")
        assert pushed["map"] is True
        [area] = (await view(public, ann, lambda v: "map" in v))["map"]["areas"]
        assert area["clue"] == "c2" and area["radius_m"] == 300
        assert haversine_m(area["lat"], area["lon"], *CRANE) + 30 <= 300.5
        assert (await view(public))["map"] == {"areas": []}  # without a side: no areas
        again = await server.http.post(f"/admin/hunts/{HUNT_ID}/map", json={"enabled": True})
        assert again.status_code == 409 and again.json()["error"] == "invalid_state"
        resent = await server.http.post(f"/admin/hunts/{HUNT_ID}/map", json={"enabled": True, "id": "map-on"})
        assert resent.json()["duplicate"] is True
        await ann.request({"op": "checkin", "id": "k1", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]})
        assert (await view(public, ann, lambda v: not v["map"]["areas"]))["map"]["areas"] == []  # found: off it
        assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/attach", json={"target": "intro", "media": []})
                ).status_code == 200
        changed = await ann.wait_for(lambda f: f["op"] == "feed" and f.get("kind") == "media_changed")
        assert changed["target"] == "intro"
    bad = await server.http.post(f"/admin/hunts/{HUNT_ID}/map", json={"enabled": "yes"})
    assert bad.status_code == 400


async def test_a_tile_server_is_allowed_by_the_pages_policy_only_when_configured(
        server: Server, open_server: OpenServer) -> None:
    plain = await server.http.get(f"/play/{HUNT_ID}")
    assert "tile.example.org" not in plain.headers["content-security-policy"]
    async with open_server(map={"tile_url": "https://tile.example.org/{z}/{x}/{y}.png"}) as tiled:
        policy = (await tiled.http.get(f"/play/{HUNT_ID}")).headers["content-security-policy"]
        assert "img-src 'self' data: blob: https://tile.example.org;" in policy


async def test_media_events_export_and_import_with_the_hunt(server: Server) -> None:
    await server.create_hunt()
    await upload(server, PNG)
    await attach(server, "intro", [{"hash": sha(PNG), "alt": "Harbour"}])
    await server.http.post(f"/admin/hunts/{HUNT_ID}/map", json={"enabled": True})
    exported = await server.http.get(f"/admin/hunts/{HUNT_ID}/export")
    text = exported.text.replace(f'"{HUNT_ID}"', '"harbor-copy"', 1)
    imported = await server.http.post("/admin/hunts/import", content=text,
                                      headers={"Content-Type": "application/x-ndjson"})
    assert imported.status_code == 201, imported.text
    library = (await server.http.get("/admin/hunts/harbor-copy/media")).json()
    assert library["map"] is True and library["targets"]["intro"] == [{"hash": sha(PNG), "alt": "Harbour"}]
