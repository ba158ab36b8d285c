"""The organiser dashboard (/admin) in headless Chromium against a real server.

Sign in with the admin token, list and create hunts (a bad definition shows the server's
validation error), start/pause/end, and the live views: leaderboard, clue funnel, pings,
event log search, a player's score audit and the leaderboard at a past sequence.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.browser import ADMIN_TOKEN, LiveServer, Page, join_and_play, sign_in
from tests.support.hunts import CRANE, sample_hunt

pytestmark = pytest.mark.browser


def table(page: Page, tbody: str, columns: int | None = None) -> list[tuple[str, ...]]:
    """The rows' cell texts, read in one script: the dashboard re-renders its tables on every
    refresh, so reading cell by cell could meet a row that was just replaced."""
    rows = page.js("return Array.from(document.querySelectorAll(arguments[0]), (tr) => "
                   "Array.from(tr.querySelectorAll('td'), (td) => td.innerText.trim()))", f"{tbody} tr")
    return [tuple(cells[:columns] if columns else cells) for cells in rows]


def leaderboard(page: Page, tbody: str = "#leaderboard") -> list[tuple[str, ...]]:
    """(rank, name, score) rows."""
    return [(rank, name, score) for rank, name, _player, score in table(page, tbody)]


def hunt_status_in_list(page: Page, hunt_id: str) -> str:
    return str(page.q(f'#hunt-list tr[data-hunt="{hunt_id}"] td:nth-child(2)').text)


def test_sign_in_create_and_control_a_hunt(page: Page, server: LiveServer, hunt_id: str, tmp_path: Path) -> None:
    existing = server.create_hunt(f"{hunt_id}-old", start=False)

    page.open("/admin")
    page.until(lambda: page.q("#login-section").is_displayed(), "the sign-in form")
    page.type("#token", "not-the-token")
    page.click("#token-btn")
    page.until_text("#errors", "refused")
    assert not page.q("#dashboard").is_displayed()
    page.type("#token", ADMIN_TOKEN)
    page.click("#token-btn")
    page.until(lambda: page.q("#dashboard").is_displayed(), "the dashboard")
    page.until(lambda: hunt_status_in_list(page, existing) == "pending", "the existing hunt in the list")

    # A definition the server refuses: its validation message is shown, nothing is created.
    bad = sample_hunt(hunt_id)
    bad["clues"][2]["after"] = ["c99"]
    page.js("document.querySelector('#create-json').value = arguments[0]", json.dumps(bad))
    page.click("#create-btn")
    page.until_text("#create-result", "unknown clue 'c99'")
    assert "bad" in page.q("#create-result p").get_attribute("class")
    assert "HTTP 400" in page.text("#create-result")
    assert not page.all(f'#hunt-list tr[data-hunt="{hunt_id}"]')
    # Not even JSON: said so before anything is sent.
    page.js("document.querySelector('#create-json').value = '{\"id\": '")
    page.click("#create-btn")
    page.until_text("#create-result", "not valid JSON")

    # Upload a good one: it is loaded into the text box, created, listed and selected.
    upload = tmp_path / "hunt.json"
    upload.write_text(json.dumps(sample_hunt(hunt_id, title="Browser Hunt")))
    page.q("#create-file").send_keys(str(upload))
    page.until_text("#create-result", "Loaded hunt.json")
    page.click("#create-btn")
    page.until_text("#create-result", f"Created hunt “{hunt_id}”")
    page.until(lambda: hunt_status_in_list(page, hunt_id) == "pending", "the new hunt in the list")
    page.until(lambda: page.q("#hunt-detail").is_displayed(), "the new hunt selected")
    page.until_equal("#hunt-title", "Browser Hunt")
    page.until_equal("#hunt-status", "pending")
    assert page.q("#play-link").get_attribute("href") == f"{server.base}/play/{hunt_id}"

    # Start, pause, resume, end; the list follows; only the controls that fit the status are enabled.
    def enabled() -> dict[str, bool]:
        return {button.text: button.is_enabled() for button in page.all("#start-btn, #pause-btn, #end-btn")}

    assert enabled() == {"Start": True, "Pause": False, "End": True}
    for button, status, then in (
            ("#start-btn", "active", {"Start": False, "Pause": True, "End": True}),
            ("#pause-btn", "paused", {"Resume": True, "Pause": False, "End": True}),
            ("#start-btn", "active", {"Start": False, "Pause": True, "End": True}),
            ("#end-btn", "ended", {"Start": False, "Pause": False, "End": False})):
        page.click(button)
        if button == "#end-btn":  # End asks first, the focus on Cancel; Cancel (or Escape) changes nothing
            page.until(lambda: page.q("#confirm-dialog").is_displayed(), "the confirmation")
            assert "End the hunt now?" in page.text("#confirm-text")
            assert page.js("return document.activeElement.id") == "confirm-no"
            page.click("#confirm-no")
            page.until(lambda: not page.q("#confirm-dialog").is_displayed(), "the confirmation closed")
            assert server.events(hunt_id)[-1]["type"] == "hunt_started"
            page.click(button)
            page.until(lambda: page.q("#confirm-dialog").is_displayed(), "the confirmation again")
            page.click("#confirm-yes")
        page.until_text("#control-result", f"the hunt is {status}")
        page.until_equal("#hunt-status", status)
        page.until(lambda status=status: hunt_status_in_list(page, hunt_id) == status, f"{status} in the list")
        assert enabled() == then, status
    assert [e["type"] for e in server.events(hunt_id)] == [
        "hunt_created", "hunt_started", "hunt_paused", "hunt_started", "hunt_ended"]


def test_live_views_audit_and_time_travel(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    [ann_joined, ann_c1] = join_and_play(server.port, hunt_id, "Ann",
                                         {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    ann_alone = ann_c1["seq"]  # the last seq at which Ann was the only player
    replies = join_and_play(server.port, hunt_id, "Bob",
                            {"op": "answer", "clue": "c1", "answer": "lighthouse"},
                            {"op": "checkin", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]},
                            {"op": "code", "clue": "c3", "code": "X7K2"},
                            {"op": "ping", "lat": CRANE[0], "lon": CRANE[1]},
                            {"op": "ping", "lat": 53.5457, "lon": 9.9497})
    bob = replies[0]["player"]

    sign_in(page, f"/admin#hunt={hunt_id}")  # the hunt in the address is selected
    page.js("window.sameDocument = true")
    page.until(lambda: leaderboard(page) == [("1", "Bob", "170"), ("2", "Ann", "120")], "the live leaderboard")
    page.until_equal("#stat-players", "2")
    page.until_text("#stat-mailbox", "0 / ")
    page.until_text("#stat-by-type", "pinged 2")
    page.until_text("#heatmap-legend", "2 pings in 2 cells")

    # The funnel: per clue, attempts and finders.
    page.until(lambda: dict((row[0].split()[-1], row[1:3]) for row in table(page, "#clue-table"))["c1"] == ("2", "2"),
               "c1 found twice in the funnel")
    funnel = {row[0].split()[-1]: row[1:4] for row in table(page, "#clue-table")}
    assert funnel["c1"][2] == f"Ann ({ann_joined['player']})"  # the first finder, by name
    assert funnel["c4"] == ("0", "0", "\u2013")  # nobody yet

    # Somebody else scores: the dashboard shows it without a reload (it polls).
    join_and_play(server.port, hunt_id, "Cy", {"op": "answer", "clue": "c4", "answer": "bronze"},
                  {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    page.until(lambda: leaderboard(page) == [("1", "Bob", "170"), ("2", "Cy", "140"), ("3", "Ann", "120")],
               "Cy on the live leaderboard")
    page.until_equal("#stat-players", "3")
    page.until(lambda: re.fullmatch(r"\d+(\.\d)?", page.text("#stat-rate")), "an event rate (events/s)")

    # The event log, newest first, players by name: searched by player, then by type and clue.
    page.type("#events-player", bob)
    page.click("#events-btn")
    page.until(lambda: {row[3] for row in table(page, "#events-table")} == {"Bob"}, "only Bob's events")
    types = [row[2] for row in table(page, "#events-table")]
    assert types == ["pinged", "pinged", "clue_found", "clue_found", "clue_found", "player_joined"]
    assert {b.get_attribute("data-player") for b in page.all("#events-table button.audit-link")} == {bob}
    page.type("#events-player", "")
    page.type("#events-type", "clue_found")
    page.type("#events-clue", "c1")
    page.click("#events-btn")
    page.until(lambda: len(table(page, "#events-table")) == 3, "the three finds of c1")
    assert {(row[2], row[4]) for row in table(page, "#events-table")} == {("clue_found", "c1")}
    assert [row[3] for row in table(page, "#events-table")] == ["Cy", "Bob", "Ann"]
    assert "3 events, newest first" in page.text("#events-meta")

    # A player's score audit, opened from the log: every point, and its sum equals the score.
    page.click(f'#events-table button.audit-link[data-player="{bob}"]')
    page.until_text("#audit-summary", f"Bob ({bob}): score 170, rank 1")
    assert [(row[2], row[3], row[4]) for row in table(page, "#audit-table")] == [
        ("clue_found", "c1", "90"), ("clue_found", "c2", "50"), ("clue_found", "c3", "30")]
    assert page.text("#audit-sum") == "170"
    assert "equals the score" in page.text("#audit-check")

    # Time travel: the leaderboard when Ann had just solved c1 differs from the live one.
    page.type("#timetravel-seq", str(ann_alone))
    page.click("#timetravel-btn")
    page.until_text("#timetravel-meta", f"as of seq {ann_alone} · 1 players")
    assert leaderboard(page, "#timetravel-table") == [("1", "Ann", "120")]
    assert leaderboard(page, "#timetravel-table") != leaderboard(page)
    # The slider goes there too; its right end is the live sequence.
    live_seq = server.leaderboard(hunt_id)["seq"]
    assert page.q("#timetravel-range").get_attribute("max") == str(live_seq)
    page.js("const r = document.querySelector('#timetravel-range'); r.value = arguments[0];"
            "r.dispatchEvent(new Event('input')); r.dispatchEvent(new Event('change'));", str(live_seq))
    page.until_text("#timetravel-meta", f"as of seq {live_seq} · 3 players")
    assert leaderboard(page, "#timetravel-table") == leaderboard(page)
    assert page.js("return window.sameDocument === true"), "the dashboard reloaded"
