"""Timed play on the pages: the organiser sets a player's own start and window and schedules the
freeze from the dashboard; the player page and the big screen count down to them."""

from __future__ import annotations

import time

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, join
from tests.support.hunts import sample_hunt

pytestmark = pytest.mark.browser


def set_local_time(page: Page, css: str, ms: int) -> None:
    """Fill a datetime-local input with the browser's local time ``ms`` (epoch milliseconds)."""
    page.js("const d = new Date(arguments[1]); const p = (n) => String(n).padStart(2, '0');"
            "document.querySelector(arguments[0]).value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-"
            "${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;", css, ms)


def test_the_dashboard_sets_a_players_window_and_the_player_page_counts_down(page: Page, server: LiveServer,
                                                                             hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    player = join(page, hunt_id, "Ann")
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#timed").is_displayed(), "the timed play panel")
        page.until_text("#timed-who-label", "Player id")
        page.type("#timed-who", player)
        page.type("#timed-offset", "60")
        page.click("#timed-btn")
        page.until_text("#timed-result", "starts 60 min after the hunt")
        page.until(lambda: page.q(f'#timed-table tr[data-side="{player}"]') is not None, "the side's row")
        # Each panel of the dashboard is its own module: none may take another's element ids.
        assert page.js("const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);"
                       "return ids.filter((id, i) => ids.indexOf(id) !== i);") == []
    page.until_text("#side-clock", "Your start in 0:5")  # pushed: the page fetched its new window
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#timed").is_displayed(), "the timed play panel")
        page.type("#timed-who", player)
        page.type("#timed-offset", "0")
        page.type("#timed-window", "30")
        page.click("#timed-btn")
        page.until_text("#timed-result", "30 min window")
    page.until_text("#side-clock", "Your time left: 0:2")


def test_the_freeze_time_picker_schedules_the_freeze_and_both_pages_count_down(page: Page, server: LiveServer,
                                                                              hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join(page, hunt_id, "Bob")
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#timed").is_displayed(), "the timed play panel")
        set_local_time(page, "#freeze-at", int(time.time() * 1000) + 2 * 3_600_000)
        page.click("#freeze-at-btn")
        page.until_text("#freeze-result", "The scoreboard freezes at")
        page.until_text("#timed-clock", "freezes at")
    page.until_text("#side-clock", "Scoreboard freezes in 1:5")
    page.open(f"/screen/{hunt_id}")
    page.until_text("#screen-clock", "Scoreboard freezes in 1:5")
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#timed").is_displayed(), "the timed play panel")
        page.click("#freeze-cancel")
        page.until(lambda: page.q("#confirm-dialog").is_displayed(), "the confirmation")  # as Reveal asks
        page.click("#confirm-yes")
        page.until_text("#freeze-result", "players see the live standings")
        page.until_text("#timed-clock", "no freeze scheduled")
    assert [e["type"] for e in server.events(hunt_id, type="board_frozen")] == ["board_frozen"]


def test_a_clue_released_on_the_clock_appears_with_its_prompt_when_it_opens(page: Page, server: LiveServer,
                                                                          hunt_id: str) -> None:
    clues = sample_hunt(hunt_id)["clues"]
    bell = next(c for c in clues if c["id"] == "c4")
    bell["opens_at"] = int(time.time() * 1000) + 4000
    server.create_hunt(hunt_id, clues=clues)
    join(page, hunt_id, "Cy")
    page.until_text("#clues-locked", "1 more clue opens on the clock")
    page.until_text("#side-clock", "Next clue opens in 0:00:0")
    assert not page.q("#clue-c4").is_displayed()
    page.until(lambda: page.q("#clue-c4").is_displayed(), "the clue once it opens", timeout_s=15)
    assert page.text("#clue-c4 .prompt") == bell["prompt"]
    page.type("#clue-c4-input", "bronze")
    page.click("#clue-c4-submit")
    page.until_text("#clue-c4-result", "Correct")
