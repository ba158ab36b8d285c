"""The player page after a live hunt's feedback: a team's progress on joining, the recent feed
for a newcomer, a teammate's hint, clue values now, the hunt's description and countdown, fresh
GPS fixes for check-ins, and the typed position only where the hunt allows it."""

from __future__ import annotations

import secrets
import time

import pytest

from tests.support.browser import LiveServer, Page, join, join_and_play, storage_key, ws_session
from tests.support.hunts import CRANE

pytestmark = pytest.mark.browser

# Record the options of every geolocation request, and answer at the crane.
SPY_GEOLOCATION = """
window.geoOptions = [];
navigator.geolocation.getCurrentPosition = function (ok, fail, options) {
  window.geoOptions.push(options);
  ok({coords: {latitude: LAT, longitude: LON}});
};
""".replace("LAT", str(CRANE[0])).replace("LON", str(CRANE[1]))


def join_team(page: Page, hunt_id: str, name: str, team: str, code: str = "") -> str:
    page.open(f"/play/{hunt_id}")
    page.until(lambda: page.q("#join-team").is_displayed(), "the team field")
    page.type("#join-name", name)
    page.type("#join-team", team)
    if code:
        page.type("#join-code", code)
    page.click("#join-btn")
    page.until(lambda: page.q("#game").is_displayed(), "the game after joining")
    player: str = page.until(lambda: page.storage(storage_key(hunt_id))["player"], "a player id")
    return player


def test_joining_a_team_shows_what_it_found_and_its_hints_at_once(page: Page, server: LiveServer,
                                                                   hunt_id: str) -> None:
    server.create_hunt(hunt_id, mode="teams")
    [captain, *_] = ws_session(server.port, hunt_id, [
        {"op": "join", "id": secrets.token_urlsafe(16), "name": "Ann", "team": "Gulls"},
        {"op": "hint", "id": "ann-h", "clue": "c4"},
        {"op": "answer", "id": "ann-a", "clue": "c1", "answer": "Light-house."},
    ])
    join_team(page, hunt_id, "Bob", "gulls", captain["team_code"])
    page.until(lambda: "found" in page.q("#clue-c1").get_attribute("class"), "c1 shown as found")
    page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 open (it follows c1)")
    page.until_text("#clue-c4-hints", "An alloy of copper and tin.")
    page.until_equal("#score", "105")  # 120 for c1, less 15 for the hint


def test_a_teammates_hint_appears_live(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id, mode="teams")
    join_team(page, hunt_id, "Bob", "Gulls")
    code = page.until(lambda: page.text("#team-code"), "the captain's team code")
    ws_session(server.port, hunt_id, [
        {"op": "join", "id": secrets.token_urlsafe(16), "name": "Ann", "team": "Gulls", "team_code": code},
        {"op": "hint", "id": "ann-h", "clue": "c4"},
    ])
    page.until_text("#clue-c4-hints", "An alloy of copper and tin.")
    page.until_text("#feed", "Ann took a hint on Ship's bell")
    assert "Take hint" not in page.text("#clue-c4")  # c4 has one hint: the team took it


def test_a_newcomer_sees_the_recent_feed(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join_and_play(server.port, hunt_id, "Ann", {"op": "answer", "clue": "c4", "answer": "Bronze!"})
    join(page, hunt_id, "Cat")
    page.until_text("#feed", "Ann found Ship's bell")
    page.until_text("#feed", "The hunt has started")


def test_clues_show_what_they_would_score_now(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join(page, hunt_id, "Dan")
    page.until_text("#clue-c1 .meta", "120 points now")  # 100 and a first-finder bonus of 20
    join_and_play(server.port, hunt_id, "Ann", {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    page.until_text("#clue-c1 .meta", "90 points now", "the value after one finder (decay 10)")


def test_the_description_schedule_and_countdown_are_shown(page: Page, server: LiveServer, hunt_id: str) -> None:
    ends = int(time.time() * 1000) + 2 * 3600 * 1000 + 5 * 60 * 1000
    server.create_hunt(hunt_id, ends_at=ends)
    join(page, hunt_id, "Eve")
    assert "A walk along the harbor" in page.text("#hunt-description")
    assert page.text("#hunt-schedule").startswith("ends ")
    page.until_text("#hunt-countdown", "Ends in 2:0")
    first = page.text("#hunt-countdown")
    page.until(lambda: page.text("#hunt-countdown") != first, "the countdown to tick")


def test_a_scheduled_start_counts_down(page: Page, server: LiveServer, hunt_id: str) -> None:
    starts = int(time.time() * 1000) + 3600 * 1000
    server.create_hunt(hunt_id, start=False, starts_at=starts)
    join(page, hunt_id, "Fay")
    page.until_text("#hunt-countdown", "Starts in 0:59:")
    assert page.text("#hunt-schedule").startswith("Starts ")


def test_a_resume_is_announced_as_a_resume(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join(page, hunt_id, "Gil")
    server.control(hunt_id, "pause")
    page.until_text("#feed", "The hunt is paused")
    server.control(hunt_id, "start")
    page.until_text("#feed", "The hunt has resumed")
    page.until_equal("#hunt-status", "active")


def test_check_ins_take_a_fresh_fix_and_no_typed_position_unless_allowed(page: Page, server: LiveServer,
                                                                         hunt_id: str) -> None:
    server.create_hunt(hunt_id, allow_typed_position=False)  # the sample hunt allows it (a demo)
    join(page, hunt_id, "Hal")
    assert not page.q("#manual-position").is_displayed()
    page.js(SPY_GEOLOCATION)
    page.click("#clue-c2-submit")
    page.until_text("#clue-c2-result", "Checked in")
    assert page.js("return window.geoOptions[0].maximumAge") == 0


def test_the_typed_position_is_offered_when_the_hunt_allows_it(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)  # the sample hunt allows it: people try it away from the harbor
    join(page, hunt_id, "Ida")
    page.until(lambda: page.q("#manual-position").is_displayed(), "the typed-position box")


def test_a_partial_answer_says_keep_going_and_a_pattern_accepts_a_variant(page: Page, server: LiveServer,
                                                                          hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join(page, hunt_id, "Jo")
    page.type("#clue-c1-input", "Lantern?")
    page.click("#clue-c1-submit")
    page.until_text("#clue-c1-result", "Keep going: a light, but which building holds it?")
    page.type("#clue-c1-input", "The Light House")
    page.click("#clue-c1-submit")
    page.until_text("#clue-c1-result", "Correct")
