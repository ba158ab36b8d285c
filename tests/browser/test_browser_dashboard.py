"""The dashboard does what the admin API does (headless Chromium against a real server):
adjust a score and ban a player (each confirmed first, keyboard included), export the log and
import it, the event log newest first by name with a clock-time filter and pages, the
leaderboard's pages, and the standings at a clock time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import LiveServer, Page, join_and_play, sign_in

pytestmark = pytest.mark.browser

# A datetime-local value (the browser's time zone, to the millisecond) for epoch ms.
LOCAL = ("const d = new Date(arguments[0]); const p = (n, w = 2) => String(n).padStart(w, '0');"
         "return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:"
         "${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;")


def open_hunt(page: Page, hunt_id: str) -> None:
    sign_in(page, f"/admin#hunt={hunt_id}")
    page.until(lambda: page.q("#manage").is_displayed(), "the hunt's panels")


def set_time(page: Page, css: str, ms: int) -> None:
    page.js("document.querySelector(arguments[0]).value = arguments[1]", css, page.js(LOCAL, ms))


def rows(page: Page, tbody: str) -> list[list[str]]:
    """The cell texts, read in one script (a table re-rendered by a refresh meanwhile would
    leave a stale row to a cell-by-cell read)."""
    return list(page.js("return Array.from(document.querySelectorAll(arguments[0]), (tr) => "
                        "Array.from(tr.querySelectorAll('td'), (td) => td.innerText.trim()))", f"{tbody} tr"))


def confirm(page: Page, expected: str, *, yes: bool = True) -> None:
    page.until(lambda: page.q("#confirm-dialog").is_displayed(), "the confirmation")
    page.until_text("#confirm-text", expected)
    page.click("#confirm-yes" if yes else "#confirm-no")
    page.until(lambda: not page.q("#confirm-dialog").is_displayed(), "the confirmation closed")


def test_adjust_a_score_by_name_after_confirming(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    [joined, _] = join_and_play(server.port, hunt_id, "Ann", {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    ann = joined["player"]
    open_hunt(page, hunt_id)
    page.until(lambda: page.all("#player-options option"), "the players known from the leaderboard")
    assert page.q("#player-options option").get_attribute("label") == "Ann"

    # Wrong input is said at once and nothing is sent.
    page.click("#adjust-btn")
    page.until_text("#adjust-result", "Say whose score to adjust")
    page.type("#adjust-player", "ann")  # a name, in any case
    page.type("#adjust-delta", "0")
    page.click("#adjust-btn")
    page.until_text("#adjust-result", "other than 0")
    assert "bad" in page.q("#adjust-result").get_attribute("class")

    # Cancelled: nothing happens. Confirmed: recorded, and the new score is said.
    page.type("#adjust-delta", "-15")
    page.type("#adjust-reason", "left the route")
    page.click("#adjust-btn")
    confirm(page, f"Give Ann ({ann}) -15 points (“left the route”)?", yes=False)
    page.until_text("#adjust-result", "Not adjusted")
    assert not server.events(hunt_id, type="score_adjusted")
    page.click("#adjust-btn")
    confirm(page, "-15 points")
    page.until_text("#adjust-result", f"Ann ({ann}): -15 points, score now 105")
    [adjusted] = server.events(hunt_id, type="score_adjusted")
    assert (adjusted["player"], adjusted["data"]["delta"], adjusted["data"]["reason"]) == (ann, -15, "left the route")
    # The audit, asked for by name, has it with its reason.
    page.type("#audit-player", "Ann")
    page.click("#audit-btn")
    page.until_text("#audit-summary", f"Ann ({ann}): score 105")
    assert rows(page, "#audit-table")[-1][2:] == ["score_adjusted", "", "-15", "left the route"]

    # Somebody the hunt does not know: the server's reason is shown.
    page.type("#adjust-player", "p404")
    page.type("#adjust-delta", "5")
    page.click("#adjust-btn")
    confirm(page, "p404")
    page.until_text("#adjust-result", "Not done: no player 'p404'")


def test_ban_a_player_with_the_keyboard(page: Page, server: LiveServer, hunt_id: str) -> None:
    from selenium.webdriver.common.keys import Keys

    server.create_hunt(hunt_id)
    [joined] = join_and_play(server.port, hunt_id, "Bob")
    bob = joined["player"]
    open_hunt(page, hunt_id)
    page.type("#ban-player", bob)
    page.type("#ban-reason", "shared the codes")
    page.q("#ban-reason").send_keys(Keys.ENTER)  # Enter submits; Escape cancels the confirmation
    page.until(lambda: page.q("#confirm-dialog").is_displayed(), "the confirmation")
    page.until_text("#confirm-text", f"Ban Bob ({bob})?")
    page.js("return document.activeElement").send_keys(Keys.ESCAPE)
    page.until_text("#ban-result", "Not banned")
    assert not server.events(hunt_id, type="player_banned")
    page.q("#ban-reason").send_keys(Keys.ENTER)
    page.until(lambda: page.q("#confirm-dialog").is_displayed(), "the confirmation again")
    page.js("return document.activeElement").send_keys(Keys.TAB)  # Cancel -> Ban
    page.js("return document.activeElement").send_keys(Keys.ENTER)
    page.until_text("#ban-result", f"Bob ({bob}) is banned")
    [banned] = server.events(hunt_id, type="player_banned")
    assert (banned["player"], banned["data"]["reason"]) == (bob, "shared the codes")
    page.q("#ban-btn").click()
    confirm(page, "Ban Bob")
    page.until_text("#ban-result", "Not done:")  # already banned: the server says why


def test_export_downloads_the_log_and_import_creates_a_hunt_from_it(page: Page, server: LiveServer, hunt_id: str,
                                                                   tmp_path: Path) -> None:
    server.create_hunt(hunt_id)
    join_and_play(server.port, hunt_id, "Ann", {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    open_hunt(page, hunt_id)
    page.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                {"behavior": "allow", "downloadPath": str(tmp_path / "downloads")})
    try:
        page.click("#export-btn")
        page.until_text("#export-result", "Exported")
        assert page.q("#export-link").get_attribute("download") == f"{hunt_id}.ndjson"
        downloaded = tmp_path / "downloads" / f"{hunt_id}.ndjson"
        page.until(downloaded.exists, "the downloaded file")
    finally:
        page.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})
    exported = downloaded.read_text()
    assert exported == server.http.get(f"/admin/hunts/{hunt_id}/export").text

    # The same file again: that hunt exists, and the page says so.
    original = tmp_path / "original.ndjson"
    original.write_text(exported)
    page.click("#import-btn")
    page.until_text("#import-result", "Choose an exported hunt")
    page.q("#import-file").send_keys(str(original))
    page.click("#import-btn")
    page.until_text("#import-result", "Not imported (HTTP 409)")
    # Under another id: created, listed and opened.
    lines: list[dict[str, Any]] = [json.loads(line) for line in exported.splitlines()]
    copy_id = f"{hunt_id[:50]}-copy"
    lines[0]["data"]["definition"]["id"] = copy_id
    renamed = tmp_path / "copy.ndjson"
    renamed.write_text("".join(json.dumps(line) + "\n" for line in lines))
    page.q("#import-file").send_keys(str(renamed))
    page.click("#import-btn")
    page.until_text("#import-result", f"Imported hunt “{copy_id}” ({len(lines)} events)")
    page.until(lambda: page.text("#hunt-id") == copy_id, "the imported hunt opened")
    assert server.leaderboard(copy_id)["rows"] == server.leaderboard(hunt_id)["rows"]
    # Not an export at all: the line the server refused is named.
    junk = tmp_path / "junk.ndjson"
    junk.write_text('{"seq": 1}\n')
    page.q("#import-file").send_keys(str(junk))
    page.click("#import-btn")
    page.until_text("#import-result", "Not imported (HTTP 400)")


def test_event_log_newest_first_by_name_with_a_time_filter_and_pages(page: Page, server: LiveServer,
                                                                    hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join_and_play(server.port, hunt_id, "Ann", *[{"op": "ping", "lat": 1, "lon": 2} for _ in range(6)])
    join_and_play(server.port, hunt_id, "Bob", {"op": "ping", "lat": 1, "lon": 2})
    events = server.events(hunt_id)
    open_hunt(page, hunt_id)
    page.type("#events-limit", "4")
    page.click("#events-btn")

    def seqs() -> list[int]:
        return [int(row[0]) for row in rows(page, "#events-table")]

    newest = [e["seq"] for e in reversed(events)]
    page.until(lambda: seqs() == newest[:4], "the newest four events")
    assert [row[3] for row in rows(page, "#events-table")] == ["Bob", "Bob", "Ann", "Ann"]  # names, not ids
    assert page.q("#events-newer").get_attribute("disabled") and page.q("#events-older").is_enabled()
    page.click("#events-older")
    page.until(lambda: seqs() == newest[4:8], "the next four, older")
    page.click("#events-older")
    page.until(lambda: seqs() == newest[8:12], "older still")
    page.click("#events-newer")
    page.until(lambda: seqs() == newest[4:8], "back one page")
    while page.q("#events-older").is_enabled():
        page.click("#events-older")
        page.until_text("#events-meta", "Page")
    page.until_text("#events-meta", "the oldest that match")

    # Between two clock times (to the millisecond), newest first.
    low, high = events[3]["ts"], events[-2]["ts"]
    set_time(page, "#events-from", low)
    set_time(page, "#events-to", high)
    page.type("#events-limit", "100")
    page.click("#events-btn")
    inside = [e["seq"] for e in reversed(events) if low <= e["ts"] <= high]
    page.until(lambda: seqs() == inside, "the events between the two times")
    # From after To: said, and nothing is asked.
    set_time(page, "#events-from", high + 1)
    set_time(page, "#events-to", low)
    page.click("#events-btn")
    page.until_text("#events-meta", "“from” time is after the “to” time")
    assert "bad" in page.q("#events-meta").get_attribute("class")


def test_the_leaderboards_page_and_travel_to_a_clock_time(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    [_, found] = join_and_play(server.port, hunt_id, "Ann", {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    for i in range(22):
        join_and_play(server.port, hunt_id, f"P{i:02}")
    events = server.events(hunt_id)
    found_ts = next(e["ts"] for e in events if e["seq"] == found["seq"])
    open_hunt(page, hunt_id)

    page.until_text("#leaderboard-page", "1\u201320 of 23")
    assert page.q("#leaderboard-prev").get_attribute("disabled")
    page.click("#leaderboard-next")
    page.until_text("#leaderboard-page", "21\u201323 of 23")
    page.until(lambda: len(rows(page, "#leaderboard")) == 3, "the second page")
    assert not page.q("#leaderboard-next").is_enabled()
    page.click("#leaderboard-prev")
    page.until(lambda: rows(page, "#leaderboard")[0][1] == "Ann", "the first page again")

    # As of the moment Ann found c1: she alone (and 404 before anything happened is said plainly).
    set_time(page, "#timetravel-time", found_ts)
    page.click("#timetravel-time-btn")
    last = max(e["seq"] for e in events if e["ts"] <= found_ts)
    page.until_text("#timetravel-meta", f"(seq {last}) · 1 players")
    assert [row[1] for row in rows(page, "#timetravel-table")] == ["Ann"]
    set_time(page, "#timetravel-time", events[0]["ts"] - 60_000)
    page.click("#timetravel-time-btn")
    page.until_text("#timetravel-meta", "Nothing had happened yet")
    page.js("document.querySelector('#timetravel-time').value = ''")
    page.click("#timetravel-time-btn")
    page.until_text("#timetravel-meta", "Choose a date and time first")
    # Now: everybody, in pages.
    set_time(page, "#timetravel-time", events[-1]["ts"])
    page.click("#timetravel-time-btn")
    page.until_text("#timetravel-meta", "· 23 players")
    page.until_text("#timetravel-page", "1\u201320 of 23")
    page.click("#timetravel-next")
    page.until(lambda: len(rows(page, "#timetravel-table")) == 3, "the past board's second page")


def test_the_judging_queue_in_pages(page: Page, server: LiveServer, hunt_id: str) -> None:
    # Two players, 26 photo missions: 52 entries, a page of 50 and one of 2 (few joins: the
    # server limits joins per address, and the session's server has seen many).
    missions = [{"id": f"m{i:02}", "title": f"Photo {i:02}", "kind": "mission", "points": 10, "accepts": ["photo"]}
                for i in range(26)]
    server.create_hunt(hunt_id, clues=missions)
    for name in ("Crew00", "Crew50"):
        [joined] = join_and_play(server.port, hunt_id, name)
        for i, mission in enumerate(missions):
            photo = b"\x89PNG\r\n\x1a\n" + bytes([i]) * 64  # another photo each time (a PNG by its signature)
            sent = server.http.post(f"/hunts/{hunt_id}/entries", params={"clue": mission["id"], "id": f"e{i}"},
                                    content=photo, headers={"Content-Type": "image/png",
                                                            "Authorization": f"Bearer {joined['token']}"})
            assert sent.status_code == 200, sent.text
    open_hunt(page, hunt_id)
    page.until(lambda: len(page.all("#judging-list li")) == 50, "the first page of the queue")
    assert page.text("#judging-page") == "page 1" and page.q("#judging-prev").get_attribute("disabled")
    page.click("#judging-next")
    page.until(lambda: len(page.all("#judging-list li")) == 2, "the second page")
    page.until_text("#judging-meta", "Crew50")
    assert page.text("#judging-page") == "page 2" and not page.q("#judging-next").is_enabled()
    page.click("#judging-prev")
    page.until(lambda: len(page.all("#judging-list li")) == 50, "the first page again")


def test_no_two_controls_of_the_dashboard_share_an_id(page: Page, server: LiveServer, hunt_id: str) -> None:
    # The panels come from several modules (admin.js, history.js, actions.js, timed.js, edits.js,
    # ...): a repeated id makes a label name the wrong field and a handler drive the wrong panel.
    server.create_hunt(hunt_id)
    open_hunt(page, hunt_id)
    page.until(lambda: page.all("#hunt-list tr"), "the hunt list")
    repeated = page.js("const seen = {}; for (const e of document.querySelectorAll('[id]')) "
                       "seen[e.id] = (seen[e.id] || 0) + 1;"
                       "return Object.keys(seen).filter((id) => seen[id] > 1).sort();")
    assert repeated == []
