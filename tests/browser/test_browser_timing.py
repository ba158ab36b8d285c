"""Timed play on the pages: the organiser sets a player's own start and window and schedules the
freeze from the dashboard; the player page and the big screen count down to them."""

from __future__ import annotations

import time

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, join

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
        page.until_text("#schedule-who-label", "Player id")
        page.type("#schedule-who", player)
        page.type("#schedule-offset", "60")
        page.click("#schedule-btn")
        page.until_text("#schedule-result", "starts 60 min after the hunt")
        page.until(lambda: page.q(f'#schedule-table tr[data-side="{player}"]') is not None, "the side's row")
    page.until_text("#side-clock", "Your start in 0:5")  # pushed: the page fetched its new window
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#timed").is_displayed(), "the timed play panel")
        page.type("#schedule-who", player)
        page.type("#schedule-offset", "0")
        page.type("#schedule-window", "30")
        page.click("#schedule-btn")
        page.until_text("#schedule-result", "30 min window")
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
        page.until_text("#freeze-result", "players see the live standings")
        page.until_text("#timed-clock", "no freeze scheduled")
    assert [e["type"] for e in server.events(hunt_id, type="board_frozen")] == ["board_frozen"]
