"""Public views show only published hunts and the prompts of open clues."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.api import Server, open_socket
from tests.support.hunts import HUNT_ID

# Connection caps, rate buckets and the admin throttle are kept per process (with --workers N,
# per gateway), and these tests look inside that process (docs/security.md).
pytestmark = pytest.mark.one_process

WS_PATH = f"/ws/hunts/{HUNT_ID}"


async def test_a_draft_hunt_is_not_public_until_it_starts(server: Server) -> None:
    await server.create_hunt(start=False, draft=True)
    async with httpx.AsyncClient(base_url=server.base) as public:
        for path in (f"/hunts/{HUNT_ID}", f"/hunts/{HUNT_ID}/leaderboard", f"/hunts/{HUNT_ID}/feed"):
            response = await public.get(path)
            assert response.status_code == 404 and response.json()["error"] == "unknown_hunt", path
        assert (await server.http.get(f"/admin/hunts/{HUNT_ID}")).status_code == 200  # the organiser sees it
        await server.http.post(f"/admin/hunts/{HUNT_ID}/start")
        assert (await public.get(f"/hunts/{HUNT_ID}")).status_code == 200
        assert (await public.get(f"/hunts/{HUNT_ID}/feed")).status_code == 200


async def test_a_hunt_that_has_not_started_is_public_but_shows_no_prompt(server: Server) -> None:
    starts_at = int(time.time() * 1000) + 3_600_000
    await server.create_hunt(start=False, starts_at=starts_at)
    async with httpx.AsyncClient(base_url=server.base) as public:
        view = (await public.get(f"/hunts/{HUNT_ID}")).json()
    assert view["status"] == "pending" and view["starts_at"] == starts_at
    assert all(clue["locked"] and "prompt" not in clue for clue in view["clues"])
    assert "What guards the harbor" not in str(view)


async def test_locked_clues_show_no_prompt_until_the_players_side_opens_them(server: Server) -> None:
    # c3 opens after c1: give it a prompt of its own to look for.
    await server.create_hunt(clues=[
        {"id": "c1", "title": "Old light", "prompt": "What guards the harbor at night?", "kind": "answer",
         "answers": ["lighthouse"], "points": 100},
        {"id": "c3", "title": "Sign", "prompt": "Read the secret sign", "kind": "code", "codes": ["X7K2"],
         "points": 30, "after": ["c1"]},
    ])
    async with httpx.AsyncClient(base_url=server.base) as public:
        anonymous = (await public.get(f"/hunts/{HUNT_ID}")).json()
        assert anonymous["clues"][0]["prompt"] == "What guards the harbor at night?"
        assert anonymous["clues"][1]["locked"] is True and "prompt" not in anonymous["clues"][1]
        assert "secret sign" not in str(anonymous)
        async with open_socket(server.port, WS_PATH) as player:
            ack = await player.join()
            as_player = {"Authorization": f"Bearer {ack['token']}"}
            before = (await public.get(f"/hunts/{HUNT_ID}", headers=as_player)).json()
            assert "prompt" not in before["clues"][1]
            found = await player.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
            assert found["result"] == "correct"
            after = (await public.get(f"/hunts/{HUNT_ID}", headers=as_player)).json()
            assert after["clues"][1]["prompt"] == "Read the secret sign" and "locked" not in after["clues"][1]
        # Others still see it locked; a forged token is anonymous.
        assert "prompt" not in (await public.get(f"/hunts/{HUNT_ID}")).json()["clues"][1]
        forged = {"Authorization": f"Bearer {ack['player']}.forged"}
        assert "prompt" not in (await public.get(f"/hunts/{HUNT_ID}", headers=forged)).json()["clues"][1]
        await server.http.post(f"/admin/hunts/{HUNT_ID}/end")
        ended = (await public.get(f"/hunts/{HUNT_ID}")).json()
        assert ended["clues"][1]["prompt"] == "Read the secret sign"  # after the end, everything is open
