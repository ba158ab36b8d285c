"""Screenshots of the two pages, taken in headless Chromium from a real server with some activity.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts ``hunt serve --sample`` in a temporary directory, lets a few players play the sample
hunt over websockets (answers, check-ins, codes, hints, location pings), then writes

    play.png        the player page of a player in the middle of the game (1280 px wide)
    play-phone.png  the same page on a phone (375 CSS px wide, at 2x)
    admin.png       the organiser dashboard: live leaderboard, funnel, pings, event log,
                    a player's score audit and the leaderboard at an earlier sequence

Needs Chromium and chromedriver (Debian: ``apt-get install chromium chromium-driver``) and the
test extra (``pip install -e '.[test]'``, for selenium). Uses the browser tests' helpers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests package, for its helpers

from tests.support.browser import (  # noqa: E402
    Page,
    join,
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


def play_some(port: int) -> int:
    """Players of the sample hunt, over real websockets. Returns a seq from early in the game."""
    replies = join_and_play(port, HUNT, "Mia", C1, C3, *walk((53.5430, 9.9700), CRANE, 6), C2)
    early = replies[1]["seq"]
    join_and_play(port, HUNT, "Jonas", {"op": "hint", "clue": "c4"}, C4,
                  {"op": "answer", "clue": "c1", "answer": "lamp"}, C1, *walk(CRANE, FISH_MARKET, 12), C2, C5)
    join_and_play(port, HUNT, "Lea", C2, {"op": "hint", "clue": "c1"}, C1, *walk(FISH_MARKET, CRANE, 8))
    join_and_play(port, HUNT, "Noah", C4, {"op": "answer", "clue": "c1", "answer": "light tower"})
    join_and_play(port, HUNT, "Emma", {"op": "answer", "clue": "c4", "answer": "brass"},
                  {"op": "hint", "clue": "c4"}, C4)
    return int(early)


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
        # Ann joins in the browser first, so her feed hears of the others' first finds.
        ann = join(page, HUNT, "Ann")
        early = play_some(server.port)
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
        page.type("#events-type", "clue_found")
        page.click("#events-btn")
        page.until_text("#events-meta", "newest first")
        page.click(f'#events-table button.audit-link[data-player="{ann}"]')
        page.until_text("#audit-check", "equals the score")
        page.type("#timetravel-seq", str(early))
        page.click("#timetravel-btn")
        page.until_text("#timetravel-meta", f"as of seq {early}")
        page.js("window.scrollTo(0, 0); document.activeElement.blur()")
        page.screenshot(out / "admin.png")
    for name in ("play.png", "play-phone.png", "admin.png"):
        shrink(out / name)
        print(f"{out / name} ({(out / name).stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
