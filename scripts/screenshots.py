"""Screenshots of the two pages, taken in headless Chromium from a real server with some activity.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts ``hunt serve --sample`` in a temporary directory, lets a few players play the sample
hunt over websockets (answers, check-ins, codes, hints, location pings, a photo, in the
Families and Schools divisions), then writes

    play.png        the player page of a player in the middle of the game (1280 px wide)
    play-phone.png  the same page on a phone (375 CSS px wide, at 2x)
    admin.png       the organiser dashboard: live leaderboard, funnel, pings, a photo in the
                    judging queue, the event log (newest first, by name), a player's score
                    audit and the leaderboard at an earlier clock time
    screen.png      the big screen (/screen/<hunt>) for a projector (1280 x 720)
    crew.png        the player page of a crew member of the team hunt harbor-crews, who joined
                    crew Gulls through its invite link (the team's code filled in)

Needs Chromium and chromedriver (Debian: ``apt-get install chromium chromium-driver``) and the
test extra (``pip install -e '.[test]'``, for selenium). Uses the browser tests' helpers.
"""

from __future__ import annotations

import argparse
import io
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests package, for its helpers

from tests.support.browser import (  # noqa: E402
    Page,
    join_and_play,
    live_server,
    missing_browser,
    open_chromium,
    sign_in,
    storage_key,
    ws_session,
)
from tests.support.hunts import CRANE  # noqa: E402

HUNT = "harbor-2026"
CREWS = "harbor-crews"
FISH_MARKET = (53.5457, 9.9497)


def walk(start: tuple[float, float], end: tuple[float, float], steps: int) -> list[dict[str, object]]:
    """Location pings along a straight line (a player walking from one landmark to the next)."""
    return [{"op": "ping", "lat": start[0] + (end[0] - start[0]) * i / steps,
             "lon": start[1] + (end[1] - start[1]) * i / steps} for i in range(steps + 1)]


C1 = {"op": "answer", "clue": "c1", "answer": "lighthouse"}
C2 = {"op": "checkin", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]}
C3 = {"op": "code", "clue": "c3", "code": "X7K2"}
C4 = {"op": "answer", "clue": "c4", "answer": "bronze"}
C5 = {"op": "checkin", "clue": "c5", "lat": FISH_MARKET[0], "lon": FISH_MARKET[1]}


def photo() -> bytes:
    """A small picture for the photo mission: sky, water and a ship's hull (a PNG)."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:  # no Pillow: a 1x1 PNG does as well
        return (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
                b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
                b"\x00\x00\x00\x00IEND\xaeB`\x82")
    image = Image.new("RGB", (480, 320), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 210, 480, 320), fill=(30, 90, 140))
    draw.polygon([(90, 170), (390, 170), (350, 225), (130, 225)], fill=(120, 30, 30))
    draw.rectangle((180, 110, 300, 170), fill=(240, 240, 240))
    draw.rectangle((230, 60, 245, 110), fill=(60, 60, 60))
    for x in (40, 440):  # two of the crew on the quay
        draw.ellipse((x - 14, 232, x + 14, 260), fill=(250, 210, 170))
        draw.rectangle((x - 16, 260, x + 16, 320), fill=(230, 120, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def play_in(port: int, division: str, name: str, *commands: dict[str, object]) -> list[dict[str, Any]]:
    """``join_and_play`` in a division (the sample hunt has Families and Schools)."""
    frames: list[dict[str, object]] = [{"op": "join", "id": secrets.token_urlsafe(16), "name": name,
                                        "division": division}]
    frames += [{"id": f"{name}-{i}", **command} for i, command in enumerate(commands)]
    replies = ws_session(port, HUNT, frames)
    assert all(reply["op"] == "ack" for reply in replies), replies
    return replies


def play_some(port: int, http: httpx.Client) -> int:
    """Players of the sample hunt, over real websockets, and a crew photo for the judges.
    Returns the time (epoch ms) of a find early in the game."""
    replies = play_in(port, "families", "Mia", C1, C3, *walk((53.5430, 9.9700), CRANE, 6), C2)
    early = http.get(f"/admin/hunts/{HUNT}/events", params={"after": replies[2]["seq"] - 1, "limit": 1}).json()
    sent = http.post(f"/hunts/{HUNT}/entries", params={"clue": "c7", "id": "mia-photo"}, content=photo(),
                     headers={"Content-Type": "image/png", "Authorization": f"Bearer {replies[0]['token']}"})
    assert sent.status_code == 200, sent.text
    play_in(port, "schools", "Jonas", {"op": "hint", "clue": "c4"}, C4,
            {"op": "answer", "clue": "c1", "answer": "lamp"}, C1, *walk(CRANE, FISH_MARKET, 12), C2, C5)
    play_in(port, "families", "Lea", C2, {"op": "hint", "clue": "c1"}, C1, *walk(FISH_MARKET, CRANE, 8))
    play_in(port, "schools", "Noah", C4, {"op": "answer", "clue": "c1", "answer": "light tower"})
    join_and_play(port, HUNT, "Emma", {"op": "answer", "clue": "c4", "answer": "brass"},
                  {"op": "hint", "clue": "c4"}, C4)
    return int(early["events"][0]["ts"])


def shrink(path: Path) -> None:
    """Store the PNG with a 256-colour palette (a third of the size; UI screenshots lose nothing visible)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="output folder")
    args = parser.parse_args(argv)
    reason = missing_browser()
    if reason is not None:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 2
    out: Path = args.out
    with tempfile.TemporaryDirectory(prefix="hunt-screenshots-") as tmp, \
            live_server(Path(tmp), sample=True, LIMITS_LEADERBOARD_PUSH_INTERVAL_MS="100") as server, \
            open_chromium(1280, 900) as chromium:
        page = Page(chromium.driver, server.base)
        # Ann joins in the browser first (in the Families division), so her feed hears of the
        # others' first finds.
        page.open(f"/play/{HUNT}")
        page.until(lambda: page.q("#join-division-field").is_displayed(), "the join form's divisions")
        page.type("#join-name", "Ann")
        page.js("document.querySelector('#join-division').value = 'families'")
        page.click("#join-btn")
        page.until(lambda: page.q("#game").is_displayed(), "the game after joining")
        ann = page.storage(storage_key(HUNT))["player"]
        early = play_some(server.port, server.http)
        page.until_text("#feed", "Jonas found Fish market")

        # Ann takes a hint and solves two clues.
        page.click("#clue-c1-hint")
        page.until_text("#clue-c1-hints", "It blinks.")
        page.type("#clue-c1-input", "lighthouse")
        page.click("#clue-c1-submit")
        page.until_text("#clue-c1-result", "Correct")
        page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 to open")
        page.type("#clue-c3-input", "X7K2")
        page.click("#clue-c3-submit")
        page.until_text("#clue-c3-result", "Correct")
        # Somebody else scores while Ann watches: the leaderboard and the feed move.
        join_and_play(server.port, HUNT, "Ole", {"op": "answer", "clue": "c1", "answer": "lighthouse"})
        page.until_text("#leaderboard", "Ole")
        page.js("document.querySelector('#manual-position').open = true")
        page.type("#manual-lat", str(CRANE[0]))
        page.type("#manual-lon", str(CRANE[1]))
        page.js("document.activeElement.blur()")
        page.screenshot(out / "play.png")

        page.viewport(375, 740, mobile=True, scale=2)
        page.driver.refresh()
        page.until(lambda: page.q("#conn-status").get_attribute("data-state") == "open", "the reconnection")
        page.until_text("#leaderboard", "Ole")
        page.screenshot(out / "play-phone.png")
        page.reset_viewport()

        # The dashboard: a little more play, then every panel filled in.
        token = page.storage(storage_key(HUNT))["token"]
        pings = [{"id": f"w{i}", **ping} for i, ping in enumerate(walk(CRANE, (53.5436, 9.9736), 5))]
        ws_session(server.port, HUNT, [{"op": "hello", "id": "h", "token": token},
                                       {"op": "batch", "id": "walk", "items": pings}])
        sign_in(page, f"/admin#hunt={HUNT}")
        page.until_text("#leaderboard-meta", "players")
        page.until(lambda: page.text("#stat-rate") != "\u2013", "an event rate", timeout_s=6)
        page.until(lambda: page.js("const i = document.querySelector('#judging-media img');"
                                   "return i && i.complete && i.naturalWidth > 0"), "the photo in the judging queue")
        page.type("#events-type", "clue_found")
        page.click("#events-btn")
        page.until_text("#events-meta", "newest first")
        page.click(f'#events-table button.audit-link[data-player="{ann}"]')
        page.until_text("#audit-check", "equals the score")
        page.js("const t = document.querySelector('#timetravel-time'); const d = new Date(arguments[0]);"
                "t.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 23);", early)
        page.click("#timetravel-time-btn")
        page.until_text("#timetravel-meta", "Leaderboard as of")
        page.js("window.scrollTo(0, 0); document.activeElement.blur()")
        page.screenshot(out / "admin.png")

        page.viewport(1280, 720)
        page.open(f"/screen/{HUNT}")
        page.until(lambda: len(page.all("#screen-board tr")) >= 5, "the big screen's leaderboard")
        page.until(lambda: len(page.all("#screen-feed li")) >= 3, "the big screen's feed")
        page.screenshot(out / "screen.png", full_page=False)

        # The team hunt: crew Gulls (made by the organiser, in Families) plays; Kai joins it in
        # the browser through the invite link the organiser hands out, which fills in its code.
        page.reset_viewport()
        [gulls] = server.http.get(f"/admin/hunts/{CREWS}/teams").json()["rows"]
        crew = [{"op": "join", "id": secrets.token_urlsafe(16), "name": "Ida", "team": "Gulls",
                 "team_code": gulls["team_code"]}, {"id": "i1", **C1}, {"id": "i2", **C3}]
        ws_session(server.port, CREWS, crew)
        ws_session(server.port, CREWS, [{"op": "join", "id": secrets.token_urlsafe(16), "name": "Tom",
                                         "team": "Otters", "division": "schools"}, {"id": "t1", **C4}])
        page.open(gulls["invite"])
        page.until(lambda: page.q("#join-code").get_attribute("value") or page.js(
            "return document.querySelector('#join-code').value"), "the code from the invite link")
        page.type("#join-name", "Kai")
        page.click("#join-btn")
        page.until(lambda: page.q("#game").is_displayed(), "Kai in crew Gulls")
        page.until_text("#team-name", "Gulls")
        page.until_text("#leaderboard", "Otters")
        page.js("document.activeElement.blur()")
        page.screenshot(out / "crew.png")
    for name in ("play.png", "play-phone.png", "admin.png", "screen.png", "crew.png"):
        shrink(out / name)
        print(f"{out / name} ({(out / name).stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
