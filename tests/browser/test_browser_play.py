"""The player page (/play/{hunt_id}) in headless Chromium against a real server.

Join, solve clues of every kind, see the score, rank, leaderboard and feed change live when
others play (over their own websockets) or the organisers adjust a score; reload and resume
as the same player, with a command that never reached the server resent under its id and a
command whose ack was lost counted once.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import Chromium, LiveServer, Page, join, join_and_play, live_server, storage_key, ws_session
from tests.support.hunts import CRANE

pytestmark = pytest.mark.browser

# Make the page's websocket swallow every frame of one op (the command stays pending, unacked).
DROP_SENDS = """
const op = arguments[0];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  if (JSON.parse(data).op === op) return;
  return send.call(this, data);
};
"""


def leaderboard(page: Page) -> list[tuple[str, str, str]]:
    rows = []
    for tr in page.all("#leaderboard tr"):
        cells = [td.text for td in tr.find_elements("css selector", "td")]
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def feed_seqs(page: Page) -> list[str]:
    return [li.get_attribute("data-seq") for li in page.all("#feed li")]


def submit(page: Page, clue: str, value: str) -> None:
    page.type(f"#clue-{clue}-input", value)
    page.click(f"#clue-{clue}-submit")


def test_join_solve_and_see_others_score_live(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    alice = join(page, hunt_id, "Alice")
    page.js("window.sameDocument = true")  # gone if anything reloads the page
    assert page.text("#hunt-title") == "Harbor Hunt"
    assert page.text("#player-name") == "Alice"
    page.until_equal("#hunt-status", "active")
    assert not page.q("#clue-c3").is_displayed(), "c3 opens after c1"
    assert "3 more clues are locked" in page.text("#clues-locked")

    # A hint, its cost shown before taking it and taken off the score.
    assert "costs 10 points" in page.text("#clue-c1-hint")
    page.click("#clue-c1-hint")
    page.until_text("#clue-c1-hints", "It blinks.")
    page.until_equal("#score", "-10")

    # An answer: wrong, then right (100 points and a first-finder bonus of 20).
    submit(page, "c1", "lamp")
    page.until_text("#clue-c1-result", "Not quite")
    submit(page, "c1", "lighthouse")
    page.until_text("#clue-c1-result", "Correct")
    page.until_equal("#score", "110")
    page.until_equal("#rank", "1")
    assert "found" in page.q("#clue-c1").get_attribute("class")
    page.until_text("#feed", "Alice found Old light")

    # A code, on the clue that just opened; a check-in at a typed position.
    page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 to open once c1 is found")
    submit(page, "c3", "X7K2")
    page.until_text("#clue-c3-result", "Correct")
    page.until_equal("#score", "140")
    page.js("document.querySelector('#manual-position').open = true")
    page.type("#manual-lat", str(CRANE[0] + 0.01))  # about a kilometre off
    page.type("#manual-lon", str(CRANE[1]))
    page.click("#clue-c2-submit")
    page.until_text("#clue-c2-result", "Too far")
    page.type("#manual-lat", str(CRANE[0]))
    page.click("#clue-c2-submit")
    page.until_text("#clue-c2-result", "Checked in")
    page.until_equal("#score", "190")
    page.until(lambda: leaderboard(page) == [("1", "Alice", "190")], "Alice alone on the leaderboard")
    assert page.q(f'#leaderboard tr[data-player="{alice}"]').get_attribute("class") == "me"

    # Bob plays over his own websocket and overtakes: 90 + 50 + 30 + 60 = 230.
    join_and_play(server.port, hunt_id, "Bob",
                  {"op": "answer", "clue": "c1", "answer": "lighthouse"},
                  {"op": "checkin", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]},
                  {"op": "code", "clue": "c3", "code": "X7K2"},
                  {"op": "answer", "clue": "c4", "answer": "bronze"})
    page.until(lambda: leaderboard(page) == [("1", "Bob", "230"), ("2", "Alice", "190")],
               "Bob ahead of Alice on the leaderboard, without a reload")
    page.until_equal("#rank", "2")
    page.until_text("#feed", "Bob found Ship's bell")  # a first find: everybody hears of it
    assert "Bob found Old light" not in page.text("#feed")  # later finds are Bob's own news

    # The organisers adjust Alice's score: her feed says why; her score and rank follow.
    response = server.http.post(f"/admin/hunts/{hunt_id}/adjust",
                                json={"player": alice, "delta": 100, "reason": "best costume"})
    assert response.status_code == 200, response.text
    page.until_text("#feed", "Score adjusted by +100: best costume")
    page.until_equal("#score", "290")
    page.until_equal("#rank", "1")
    page.until(lambda: leaderboard(page)[:2] == [("1", "Alice", "290"), ("2", "Bob", "230")],
               "Alice back on top")
    assert page.js("return window.sameDocument === true"), "the page reloaded"


def test_reload_resumes_and_resends_the_pending_command(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    key = storage_key(hunt_id)
    carol = join(page, hunt_id, "Carol")
    submit(page, "c1", "lighthouse")
    page.until_equal("#score", "120")
    page.until_text("#feed", "Carol found Old light")

    # The code leaves the page but never reaches the server: it stays pending, unacknowledged.
    page.js(DROP_SENDS, "code")
    page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 to open")
    submit(page, "c3", "X7K2")
    [pending] = page.until(lambda: page.storage(key)["pending"], "the code command to be kept as pending")
    assert pending["op"] == "code" and pending["clue"] == "c3"
    assert server.events(hunt_id, clue="c3") == []

    page.driver.refresh()
    page.until(lambda: page.q("#game").is_displayed(), "the game after the reload")
    assert not page.q("#join-section").is_displayed(), "a reload must not ask to join again"
    assert page.text("#player-name") == "Carol"
    page.until_text("#clue-c3-result", "Correct")
    page.until_equal("#score", "150")
    saved = page.storage(key)
    assert saved["player"] == carol
    assert saved["pending"] == []
    found = server.events(hunt_id, type="clue_found", clue="c3")
    assert [(event["player"], event["cmd"]) for event in found] == [(carol, pending["id"])], found
    page.until_text("#feed", "Carol found Sign")

    # Another reload: the feed comes back once, from the page's memory and the server's catch-up.
    shown = feed_seqs(page)
    page.driver.refresh()
    page.until(lambda: page.q("#conn-status").get_attribute("data-state") == "open", "the reconnection")
    page.until_equal("#score", "150")
    assert feed_seqs(page) == shown
    assert len(shown) == len(set(shown)) == 3  # the start (sent with the join), and two finds
    assert page.text("#feed").count("Carol found Old light") == 1


def test_a_command_whose_ack_was_lost_counts_once(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    key = storage_key(hunt_id)
    dan = join(page, hunt_id, "Dan")
    page.open("/health")  # leave the game page (same origin, so its storage stays reachable)
    saved = page.storage(key)

    # The page's answer reached the server, which made it durable, but the ack never came back.
    answer = {"op": "answer", "id": "lost-ack-1", "clue": "c1", "answer": "lighthouse"}
    welcome, ack = ws_session(server.port, hunt_id, [{"op": "hello", "id": "h1", "token": saved["token"]}, answer])
    assert welcome["op"] == "welcome" and welcome["player"] == dan
    assert ack["result"] == "correct" and ack["score"] == 120
    saved["pending"].append(answer)
    page.set_storage(key, saved)

    page.open(f"/play/{hunt_id}")
    page.until_text("#clue-c1-result", "Correct")  # the resent command's (duplicate) ack settles it
    page.until_equal("#score", "120")
    page.until(lambda: page.storage(key)["pending"] == [], "the pending command to be settled")
    found = server.events(hunt_id, type="clue_found")
    assert [(event["player"], event["cmd"]) for event in found] == [(dan, "lost-ack-1")]
    page.until_text("#feed", "Dan found Old light")
    assert page.text("#feed").count("Dan found Old light") == 1


def test_a_team_scores_together(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id, mode="teams")
    page.open(f"/play/{hunt_id}")
    page.until(lambda: page.q("#join-team-field").is_displayed(), "the team field of a team hunt")
    page.type("#join-name", "Ann")
    page.type("#join-team", "Gulls")
    page.click("#join-btn")
    page.until(lambda: page.q("#game").is_displayed(), "the game after joining")
    assert page.text("#player-name") == "Ann (Gulls)"
    # Ann created the team: she is its captain and is shown the code her team mates need.
    code = page.text("#team-code")
    assert len(code) == 9 and page.q("#team-code-stat").is_displayed()

    # A team mate finds a clue on his own phone: the team's score, and the clue, are Ann's too.
    answer = {"op": "answer", "id": "b-1", "clue": "c1", "answer": "lighthouse"}
    ws_session(server.port, hunt_id, [{"op": "join", "id": secrets.token_urlsafe(16), "name": "Bob", "team": "Gulls",
                                       "team_code": code}, answer])
    page.until_text("#feed", "Bob found Old light")
    page.until_equal("#score", "120")
    page.until(lambda: "found" in page.q("#clue-c1").get_attribute("class"), "c1 found by the team")
    page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 open for the team")
    # Another team: the leaderboard's rows are teams, Ann's own is marked.
    ws_session(server.port, hunt_id, [{"op": "join", "id": secrets.token_urlsafe(16), "name": "Cy", "team": "Crabs"},
                                      {"op": "answer", "id": "c-1", "clue": "c4", "answer": "bronze"}])
    page.until(lambda: leaderboard(page) == [("1", "Gulls", "120"), ("2", "Crabs", "60")], "two teams")
    assert page.q("#leaderboard tr.me").text.split() == ["1", "Gulls", "120"]

    page.driver.refresh()
    page.until(lambda: page.q("#conn-status").get_attribute("data-state") == "open", "the reconnection")
    assert page.text("#player-name") == "Ann (Gulls)"
    page.until(lambda: "found" in page.q("#clue-c1").get_attribute("class"), "c1 still found after the reload")


def test_the_page_rides_out_a_server_restart(page: Page, chromium: Chromium, tmp_path: Path, hunt_id: str) -> None:
    """The connection drops (the server stops); a command made meanwhile waits; the page
    reconnects by itself to the restarted server, resumes, resends it and catches up the feed."""
    workdir = tmp_path / "restarting"
    with live_server(workdir) as first:
        port = first.port
        first.create_hunt(hunt_id)
        page = Page(chromium.driver, first.base)
        eve = join(page, hunt_id, "Eve")
        page.js("window.sameDocument = true")
        submit(page, "c1", "lighthouse")
        page.until_equal("#score", "120")
    page.until(lambda: page.q("#conn-status").get_attribute("data-state") == "closed", "the page to see the drop")
    page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 to open")
    submit(page, "c3", "X7K2")
    [pending] = page.until(lambda: page.storage(storage_key(hunt_id))["pending"], "the code to wait, pending")

    with live_server(workdir, port=port) as second:
        join_and_play(second.port, hunt_id, "Finn", {"op": "answer", "clue": "c4", "answer": "bronze"})
        page.until(lambda: page.q("#conn-status").get_attribute("data-state") == "open", "the reconnection",
                   timeout_s=20)
        page.until_text("#clue-c3-result", "Correct")
        page.until_equal("#score", "150")
        page.until_text("#feed", "Finn found Ship's bell")  # news from while Eve was away
        found = second.events(hunt_id, type="clue_found", clue="c3")
        assert [(event["player"], event["cmd"]) for event in found] == [(eve, pending["id"])]
        seqs = feed_seqs(page)
        assert len(seqs) == len(set(seqs)) == 4  # the start (sent with the join), and three finds
        assert page.js("return window.sameDocument === true"), "the page reloaded"


def test_the_hunt_status_reaches_the_page_live(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id, start=False)
    join(page, hunt_id, "Gus")
    page.until_equal("#hunt-status", "pending")
    submit(page, "c1", "lighthouse")
    page.until_text("#clue-c1-result", "the hunt is pending")

    server.control(hunt_id, "start")
    page.until_equal("#hunt-status", "active")
    page.until_text("#feed", "The hunt has started")
    submit(page, "c1", "lighthouse")
    page.until_text("#clue-c1-result", "Correct")

    server.control(hunt_id, "pause")
    page.until_equal("#hunt-status", "paused")
    page.until_text("#feed", "The hunt is paused")
    page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 to open")
    submit(page, "c3", "X7K2")
    page.until_text("#clue-c3-result", "the hunt is paused")
    assert page.storage(storage_key(hunt_id))["pending"] == []  # refused: nothing left to resend

    server.control(hunt_id, "end")
    page.until_equal("#hunt-status", "ended")
    page.until_text("#feed", "The hunt has ended")


def test_check_in_and_share_location_with_the_browser_gps(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    page.driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": server.base, "permissions": ["geolocation"]})
    page.driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                                {"latitude": CRANE[0], "longitude": CRANE[1], "accuracy": 5})
    hal = join(page, hunt_id, "Hal")
    page.click("#clue-c2-submit")  # no typed position: the page asks the browser where it is
    page.until_text("#clue-c2-result", "Checked in")
    page.until_equal("#score", "50")

    page.click("#share-location")  # a ping now, then every 15 s
    page.until(lambda: server.events(hunt_id, type="pinged", player=hal), "a location ping from the page")
    [ping] = server.events(hunt_id, type="pinged", player=hal)
    assert (ping["data"]["lat"], ping["data"]["lon"]) == CRANE
    page.click("#share-location")


# Watch the page's websocket: when each command was sent, and when each reply arrived (the
# event's time: the page's own listener, which may send the next command, runs before ours).
WATCH_WINDOW = """
window.sends = [];
window.replies = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  if (!this.watched) {
    this.watched = true;
    this.addEventListener('message', (ev) => window.replies.push([JSON.parse(ev.data).id, ev.timeStamp]));
  }
  const frame = JSON.parse(data);
  window.sends.push([frame.op, frame.id, performance.now()]);
  return send.call(this, data);
};
"""


def most_unanswered(sends: list[list[Any]], replies: list[list[Any]]) -> int:
    """The most commands the page had sent and not yet seen answered, at any of its sends."""
    answered_at = {reply_id: at for reply_id, at in replies if reply_id is not None}
    most = 0
    for _op, _id, at in sends:
        most = max(most, sum(1 for _, cmd, sent in sends if sent <= at and answered_at.get(cmd, float("inf")) > at))
    return most


def test_the_page_keeps_within_the_window_the_server_grants(page: Page, chromium: Chromium, tmp_path: Path,
                                                            hunt_id: str) -> None:
    with live_server(tmp_path / "window-1", LIMITS_WINDOW="1", LIMITS_ADDRESS_WINDOW="1",
                     LIMITS_HUNT_WINDOW="1") as narrow:
        narrow.create_hunt(hunt_id)
        page = Page(chromium.driver, narrow.base)
        join(page, hunt_id, "Wendy")
        page.js(WATCH_WINDOW)
        # Three answers in one go (one task of the page: no ack can come between them).
        page.js("""const input = document.querySelector('#clue-c1-input');
                   for (const guess of ['reef', 'buoy', 'lighthouse']) {
                     input.value = guess;
                     input.form.requestSubmit();
                   }""")
        page.until_text("#clue-c1-result", "Correct")
        sends, replies = page.js("return [window.sends, window.replies]")
        assert [op for op, _, _ in sends] == ["answer"] * 3
        assert most_unanswered(sends, replies) == 1, "one at a time, as the server granted"
