"""Mission entries over HTTP: uploads (bounded, typed by their bytes, content-addressed beside the
log), the judging queue, verdicts pushed live to the team, and the media for the judges."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Connect, OpenServer, Player, Server, open_socket, trickle
from tests.support.hunts import HARBOR as HUNT
from tests.support.hunts import HUNT_ID

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000
MISSION = {"id": "m1", "title": "Team selfie", "prompt": "You and the crane", "kind": "mission", "points": 40}
TEXT_MISSION = {"id": "m2", "title": "Poem", "kind": "mission", "points": 10, "accepts": ["text"]}


async def create(server: Server, **changes: object) -> None:
    await server.create_hunt(clues=[*HUNT["clues"], MISSION, TEXT_MISSION], **changes)


@pytest.fixture
async def public(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
        yield client


async def send(public: httpx.AsyncClient, player: Player, body: bytes, content_type: str, *, clue: str = "m1",
               cmd: str = "e1") -> httpx.Response:
    return await public.post(f"/hunts/{HUNT_ID}/entries", params={"clue": clue, "id": cmd}, content=body,
                             headers={"Authorization": f"Bearer {player.token}", "Content-Type": content_type})


async def test_a_photo_is_stored_by_its_hash_and_judged_live(server: Server, public: httpx.AsyncClient,
                                                             connect: Connect) -> None:
    await create(server, mode="teams")
    async with connect() as ann, connect() as bob:
        captain = await ann.join("Ann", team="Gulls")
        await bob.join("Bob", team="Gulls", team_code=captain["team_code"])
        sent = await send(public, ann, PNG, "image/jpeg")  # the type comes from the bytes, not the header
        assert sent.status_code == 200, sent.text
        body = sent.json()
        digest = hashlib.sha256(PNG).hexdigest()
        assert body["result"] == "submitted" and body["media"] == {"hash": digest, "size": len(PNG),
                                                                   "type": "image/png"}
        assert (server.config.data_path / "media" / HUNT_ID / digest).read_bytes() == PNG
        pushed = await bob.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "entry_submitted")
        assert pushed["entry"] == body["entry"] and pushed["entry_kind"] == "photo"

        queue = (await server.http.get(f"/admin/hunts/{HUNT_ID}/entries")).json()
        [row] = queue["entries"]
        assert (row["entry"], row["name"], row["team"], row["clue_title"], row["status"]) == (
            body["entry"], "Ann", "Gulls", "Team selfie", "pending")
        assert queue["counts"] == {"pending": 1, "approved": 0, "rejected": 0}
        media = await server.http.get(f"/admin/hunts/{HUNT_ID}/media/{digest}")
        assert media.status_code == 200 and media.content == PNG and media.headers["content-type"] == "image/png"
        assert "sandbox" in media.headers["content-security-policy"]

        judged = await server.http.post(f"/admin/hunts/{HUNT_ID}/entries/{body['entry']}/judge",
                                        json={"verdict": "approve", "bonus": 5, "message": "Lovely!"})
        assert judged.status_code == 200, judged.text
        assert judged.json()["points"] == 45
        for player in (ann, bob):
            verdict = await player.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "entry_judged")
            assert verdict["approved"] and verdict["message"] == "Lovely!" and verdict["points"] == 45
    again = await server.http.post(f"/admin/hunts/{HUNT_ID}/entries/{body['entry']}/judge",
                                   json={"verdict": "reject"})
    assert again.status_code == 409 and again.json()["error"] == "invalid_state"
    assert (await server.http.get(f"/admin/hunts/{HUNT_ID}/entries", params={"status": "approved"})
            ).json()["entries"][0]["judged"]["bonus"] == 5


async def test_text_and_video_entries_rejection_and_a_retry(server: Server, connect: Connect) -> None:
    await create(server)
    async with httpx.AsyncClient(base_url=server.base) as client, connect() as cat:
        await cat.join("Cat")

        async def post(clue: str, cmd: str, body: bytes, content_type: str) -> httpx.Response:
            return await client.post(f"/hunts/{HUNT_ID}/entries", params={"clue": clue, "id": cmd}, content=body,
                                     headers={"Authorization": f"Bearer {cat.token}", "Content-Type": content_type})

        text = await post("m2", "t1", b"Gulls cry, the crane stands", "text/plain; charset=utf-8")
        assert text.status_code == 200 and text.json()["kind"] == "text"
        assert (await post("m2", "t1", b"other", "text/plain")).json()["duplicate"] is True
        assert (await post("m2", "t2", b"again", "text/plain")).json()["error"] == "entry_pending"
        assert (await post("m2", "t3", MP4, "video/mp4")).status_code == 400  # the poem takes text only
        video = await post("m1", "v1", MP4, "video/mp4")
        assert video.status_code == 200 and video.json()["media"]["type"] == "video/mp4"
        rejected = await server.http.post(f"/admin/hunts/{HUNT_ID}/entries/{video.json()['entry']}/judge",
                                          json={"verdict": "reject", "message": "We cannot see the crane"})
        assert rejected.json()["result"] == "rejected"
        verdict = await cat.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "entry_judged")
        assert not verdict["approved"] and "We cannot see the crane" in verdict["text"]
        retry = await post("m1", "v2", PNG, "image/png")
        assert retry.status_code == 200


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    (b"<html><script>alert(1)</script>", "image/png", 400, "bad_request"),  # not an image at all
    (PNG, "video/mp4", 400, "bad_request"),  # an image sent as a video
    (b"", "image/png", 400, "bad_request"),
    (b"\xff\xfe\x00", "text/plain", 400, "bad_request"),  # not UTF-8
    (b"hello", "application/json", 400, "bad_request"),
    (PNG + b"\x00" * 5000, "image/png", 413, "too_large"),
])
async def test_bad_uploads_are_refused_and_leave_nothing_behind(open_server: OpenServer, body: bytes,
                                                                 content_type: str, status: int, code: str) -> None:
    async with open_server(limits={"max_photo_bytes": 4096}) as server:
        await create(server)
        async with httpx.AsyncClient(base_url=server.base) as client:
            async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
                await ann.join("Ann")
            response = await send(client, ann, body, content_type)
        assert (response.status_code, response.json()["error"]) == (status, code), response.text
        folder = server.config.data_path / "media" / HUNT_ID
        assert not folder.exists() or list(folder.iterdir()) == []


async def test_uploads_need_a_players_token_and_refused_entries_keep_no_file(server: Server,
                                                                             public: httpx.AsyncClient,
                                                                             connect: Connect) -> None:
    await create(server)
    async with connect() as ann:
        await ann.join("Ann")
    forged = Player(ann.ws, player="p1", token="p1.forged")
    assert (await send(public, forged, PNG, "image/png")).status_code == 401
    no_token = await public.post(f"/hunts/{HUNT_ID}/entries", params={"clue": "m1", "id": "x"}, content=PNG,
                                 headers={"Content-Type": "image/png"})
    assert no_token.status_code == 401
    missing_id = await public.post(f"/hunts/{HUNT_ID}/entries", params={"clue": "m1"}, content=PNG,
                                   headers={"Content-Type": "image/png", "Authorization": f"Bearer {ann.token}"})
    assert missing_id.status_code == 400
    locked = await send(public, ann, PNG, "image/png", clue="c3")  # not a mission (and locked)
    assert locked.status_code == 409
    assert list(Path(server.config.data_path, "media", HUNT_ID).iterdir()) == []


@pytest.mark.parametrize("digest", ["../../secret.key", "a" * 63, "A" * 64, "%2e%2e"])
async def test_media_paths_are_hashes_only_and_for_admins_only(hunt: str, server: Server, public: httpx.AsyncClient,
                                                               digest: str) -> None:
    assert (await server.http.get(f"/admin/hunts/{HUNT_ID}/media/{digest}")).status_code == 404
    assert (await public.get(f"/admin/hunts/{HUNT_ID}/media/{'a' * 64}")).status_code == 401


async def test_bad_verdicts_and_queue_queries_are_clear_errors(server: Server) -> None:
    await create(server)
    judge = f"/admin/hunts/{HUNT_ID}/entries"
    assert (await server.http.post(f"{judge}/99/judge", json={"verdict": "approve"})).json()["error"] == \
        "unknown_entry"
    assert (await server.http.post(f"{judge}/99/judge", json={"verdict": "maybe"})).status_code == 400
    assert (await server.http.post(f"{judge}/99/judge", json={"verdict": "approve", "bonus": "5"})).status_code == 400
    assert (await server.http.get(judge, params={"status": "lost"})).status_code == 400
    # An entry number past what a seq can be is no entry (it once crashed a gateway's forwarder,
    # which cannot encode an integer over 64 bits).
    for huge in (2**63, 2**70):
        refused = await server.http.post(f"{judge}/{huge}/judge", json={"verdict": "approve"})
        assert refused.status_code == 404, huge
    assert (await server.http.get("/health")).status_code == 200


async def test_a_verdict_reusing_another_commands_id_is_refused(server: Server) -> None:
    await create(server)
    announced = await server.http.post(f"/admin/hunts/{HUNT_ID}/announce", json={"text": "hi", "id": "x1"})
    assert announced.status_code == 200
    judged = await server.http.post(f"/admin/hunts/{HUNT_ID}/entries/3/judge", json={"verdict": "reject", "id": "x1"})
    assert (judged.status_code, judged.json()["error"]) == (409, "invalid_state")


async def test_a_trickled_upload_is_refused_with_408_and_leaves_no_file(open_server: OpenServer) -> None:
    async with open_server(limits={"body_idle_timeout_s": 0.5, "import_body_timeout_s": 1.0}) as server:
        await create(server)
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join("Ann")
            received, took = await trickle(server.port, f"/hunts/{HUNT_ID}/entries?clue=m1&id=e1", ann.token, PNG,
                                           content_type="image/png", at_once=16)
        folder = server.config.data_path / "media" / HUNT_ID
        left = list(folder.iterdir()) if folder.exists() else []
    assert received.startswith(b"HTTP/1.1 408") and b'"timeout"' in received, received[:120]
    assert took < 3 and left == []
