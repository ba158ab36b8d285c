"""The big screen (/screen/{hunt}) and the scoreboard freeze, in Chromium."""

from __future__ import annotations

import time

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, join, join_and_play

pytestmark = pytest.mark.browser


def board(page: Page, css: str = "#screen-board") -> list[tuple[str, str]]:
    return [(tr.find_elements("css selector", "td")[1].text, tr.find_elements("css selector", "td")[2].text)
            for tr in page.all(f"{css} tr")]


def test_the_big_screen_shows_standings_feed_and_countdown_and_keeps_a_freeze(page: Page, server: LiveServer,
                                                                             hunt_id: str) -> None:
    server.create_hunt(hunt_id, ends_at=int(time.time() * 1000) + 3600 * 1000)
    join_and_play(server.port, hunt_id, "Ann", {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    server.http.post(f"/admin/hunts/{hunt_id}/announce", json={"text": "Cake at the finish"})
    page.open(f"/screen/{hunt_id}")
    page.until(lambda: board(page) == [("Ann", "120")], "Ann on the big screen")
    page.until_text("#screen-feed", "Ann found Old light")
    page.until_text("#screen-feed", "From the organisers: Cake at the finish")
    page.until_text("#screen-countdown", "Ends in 0:59:")
    assert page.text("#screen-title") == "Harbor Hunt"

    assert server.control(hunt_id, "freeze")["frozen"] is True
    join_and_play(server.port, hunt_id, "Bob", {"op": "answer", "clue": "c4", "answer": "bronze"},
                  {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    page.until(lambda: page.q("#screen-frozen").is_displayed(), "the frozen notice")
    page.until_text("#screen-feed", "The scoreboard is frozen")
    time.sleep(2.5)  # a poll or two after Bob scored 150: the screen still shows the freeze
    assert board(page) == [("Ann", "120")]  # Bob joined after the freeze: on the board at the reveal
    assert server.leaderboard(hunt_id)["rows"][0]["name"] == "Bob"  # organisers see it live

    server.control(hunt_id, "reveal")
    page.until(lambda: board(page) == [("Bob", "150"), ("Ann", "120")], "the revealed standings")
    assert not page.q("#screen-frozen").is_displayed()


def test_freeze_and_reveal_from_the_dashboard_reach_the_player_page(page: Page, server: LiveServer,
                                                                    hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join(page, hunt_id, "Ann")
    with dashboard_tab(page, hunt_id):
        assert page.q("#screen-link").get_attribute("href").endswith(f"/screen/{hunt_id}")
        page.click("#freeze-btn")
        page.until_text("#control-result", "Done")
    page.until(lambda: page.q("#leaderboard-frozen").is_displayed(), "the frozen notice on the player page")
    page.until_text("#feed", "The scoreboard is frozen")
