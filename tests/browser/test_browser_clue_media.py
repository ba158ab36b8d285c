"""Clue media and the map in Chromium: the intro's image, a clue's image (with its alt text) once
the clue opens, a hint's recording once taken, the outro at the end, and the self-drawn map of
marked geo clues, turned on live by the organiser; then the dashboard's controls for all of it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, join
from tests.support.hunts import sample_hunt

pytestmark = pytest.mark.browser

# A 1x1 PNG and a second image the browser decodes (a 1x1 GIF).
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
      b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(server: LiveServer, hunt_id: str, data: bytes, content_type: str) -> None:
    response = server.http.post(f"/admin/hunts/{hunt_id}/media", content=data, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text


def attach(server: LiveServer, hunt_id: str, target: str, digest: str, alt: str, **where: Any) -> None:
    response = server.http.post(f"/admin/hunts/{hunt_id}/attach",
                                json={"target": target, "media": [{"hash": digest, "alt": alt}], **where})
    assert response.status_code == 200, response.text


def image_shown(page: Page, css: str) -> bool:
    return bool(page.js("const i = document.querySelector(arguments[0]);"
                        "return !!i && i.complete && i.naturalWidth === 1 && i.src.startsWith('blob:')", css))


def test_media_show_where_the_player_may_see_them(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id, intro={"text": "Welcome to the harbour!"}, outro={"text": "Thanks for playing"})
    upload(server, hunt_id, PNG, "image/png")
    upload(server, hunt_id, GIF, "image/gif")
    upload(server, hunt_id, MP3, "audio/mpeg")
    attach(server, hunt_id, "intro", sha(PNG), "The old harbour at dawn")
    attach(server, hunt_id, "clue", sha(GIF), "A painted sign", clue="c3")  # c3 opens after c1
    attach(server, hunt_id, "hint", sha(MP3), "A foghorn", clue="c1", hint=0)
    attach(server, hunt_id, "outro", sha(PNG), "Fireworks")

    join(page, hunt_id, "Ann")
    page.until_text("#intro-text", "Welcome to the harbour!")
    page.until(lambda: image_shown(page, "#intro-media img"), "the intro's image")
    assert page.q("#intro-media img").get_attribute("alt") == "The old harbour at dawn"
    assert page.q("#outro").get_attribute("hidden") is not None
    assert not page.all("#clue-c3-media img")  # c3 is locked: nothing of it on the page

    page.click("#clue-c1-hint")
    page.until(lambda: page.all("#clue-c1-hints audio"), "the hint's recording")
    audio = page.q("#clue-c1-hints audio")
    assert audio.get_attribute("aria-label") == "A foghorn"
    page.until(lambda: (audio.get_attribute("src") or "").startswith("blob:"), "the recording loaded")

    page.type("#clue-c1-input", "lighthouse")
    page.click("#clue-c1-submit")
    page.until(lambda: image_shown(page, "#clue-c3-media img"), "c3's image once c3 opens")
    assert page.q("#clue-c3-media img").get_attribute("alt") == "A painted sign"

    server.control(hunt_id, "end")
    page.until(lambda: page.q("#outro").is_displayed(), "the outro at the end")
    page.until_text("#outro-text", "Thanks for playing")
    page.until(lambda: image_shown(page, "#outro-media img"), "the outro's image")


def test_the_map_draws_marked_geo_clues_and_the_player_and_follows_the_switch(
        page: Page, server: LiveServer, hunt_id: str) -> None:
    clues = sample_hunt(hunt_id)["clues"]
    c2 = next(c for c in clues if c["id"] == "c2")
    c2 |= {"show_on_map": True, "map_radius_m": 200}
    server.create_hunt(hunt_id, clues=clues)
    join(page, hunt_id, "Bo")
    assert not page.q("#map-panel").is_displayed()
    response = server.http.post(f"/admin/hunts/{hunt_id}/map", json={"enabled": True})
    assert response.status_code == 200, response.text
    page.until(lambda: page.q("#map-panel").is_displayed(), "the map, turned on live")
    page.until(lambda: page.all('#map circle.map-area[data-clue="c2"]'), "c2's area on the map")
    assert len(page.all("#map circle.map-area")) == 1  # c5 is not marked (and locked)
    assert not page.all("#map image")  # no tile server configured: nothing from elsewhere
    page.q("#manual-position summary").click()
    page.type("#manual-lat", str(c2["lat"] + 0.004))
    page.type("#manual-lon", str(c2["lon"]))
    page.click("#map-locate")
    page.until(lambda: page.all("#map-me"), "the player on the map")
    page.until_text('#map-list li[data-clue="c2"]', "south of you")
    server.http.post(f"/admin/hunts/{hunt_id}/map", json={"enabled": False})
    page.until(lambda: not page.q("#map-panel").is_displayed(), "the map, turned off live")


def test_the_dashboard_uploads_attaches_and_switches_the_map(page: Page, server: LiveServer, hunt_id: str,
                                                            tmp_path: Path) -> None:
    server.create_hunt(hunt_id)
    picture = tmp_path / "harbour.png"
    picture.write_bytes(PNG)
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#media-panel").is_displayed(), "the media panel")
        page.q("#media-file").send_keys(str(picture))
        page.click("#media-upload")
        page.until_text("#media-result", "Uploaded")
        page.until(lambda: page.all(f'#media-library li[data-hash="{sha(PNG)}"]'), "the file in the library")
        page.until(lambda: image_shown(page, f'#media-library li[data-hash="{sha(PNG)}"] img'), "its preview")
        page.js("const s = document.querySelector('#media-target');"
                "s.value = 'clue:c1'; s.dispatchEvent(new Event('change'));")
        page.js("document.querySelector('#media-choice').value = arguments[0]", sha(PNG))
        page.type("#media-alt", "The lighthouse from the pier")
        page.click("#media-attach")
        page.until_text("#media-result", "Attached")
        page.until(lambda: page.all('#media-targets li[data-target="clue:c1"]'), "c1 listed with its media")
        page.click("#media-map")
        page.until(lambda: page.q("#media-map").is_selected(), "the map switch on")
        page.until_text("#media-result", "The map is on")
    library = server.http.get(f"/admin/hunts/{hunt_id}/media").json()
    assert library["targets"]["clue:c1"] == [{"hash": sha(PNG), "alt": "The lighthouse from the pier"}]
    assert library["map"] is True
    join(page, hunt_id, "Cy")
    page.until(lambda: image_shown(page, "#clue-c1-media img"), "the image on the player page")
    assert page.q("#clue-c1-media img").get_attribute("alt") == "The lighthouse from the pier"
    page.until(lambda: page.q("#map-panel").is_displayed(), "the map the dashboard turned on")

    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.all('#media-targets li[data-target="clue:c1"] .media-remove'), "the remove button")
        page.click('#media-targets li[data-target="clue:c1"] .media-remove')
        page.until_text("#media-result", "shows 0 files")
        page.until(lambda: not page.all('#media-targets li[data-target="clue:c1"]'), "c1 without media")
    assert "clue:c1" not in server.http.get(f"/admin/hunts/{hunt_id}/media").json()["targets"]
