"""Announcements on the pages: sent from the dashboard, shown prominently on the player page
at once, kept in the feed, and shown to a player who joins later."""

from __future__ import annotations

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, join, sign_in

pytestmark = pytest.mark.browser


def test_an_announcement_from_the_dashboard_reaches_the_player_page(page: Page, server: LiveServer,
                                                                    hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join(page, hunt_id, "Ann")
    with dashboard_tab(page, hunt_id):
        page.type("#announce-text", "Erratum: the crane is the blue one")
        page.click("#announce-btn")
        page.until_text("#announce-result", "Sent to everybody")
    page.until(lambda: page.q("#announcement").is_displayed(), "the announcement banner")
    assert page.text("#announcement-text") == "Erratum: the crane is the blue one"
    page.until_text("#feed", "From the organisers: Erratum: the crane is the blue one")
    page.click("#announcement-close")
    assert not page.q("#announcement").is_displayed()
    page.driver.refresh()  # dismissed stays dismissed; the feed keeps it
    page.until_text("#feed", "From the organisers: Erratum")
    assert not page.q("#announcement").is_displayed()


def test_a_latecomer_sees_the_last_announcement(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    response = server.http.post(f"/admin/hunts/{hunt_id}/announce", json={"text": "Lunch at noon by the bell"})
    assert response.status_code == 200, response.text
    join(page, hunt_id, "Bob")
    page.until(lambda: page.q("#announcement").is_displayed(), "the announcement banner")
    assert page.text("#announcement-text") == "Lunch at noon by the bell"


def test_the_dashboard_says_why_an_announcement_was_refused(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    sign_in(page, f"/admin#hunt={hunt_id}")
    page.until(lambda: page.q("#hunt-detail").is_displayed(), "the hunt's detail")
    page.type("#announce-text", "Only for you")
    page.js("document.querySelector('#announce-to').value = 'player';"
            "document.querySelector('#announce-to').dispatchEvent(new Event('change'))")
    page.until(lambda: page.q("#announce-target").is_displayed(), "the target field")
    page.type("#announce-target", "p99")
    page.click("#announce-btn")
    page.until_text("#announce-result", "Not sent: no player 'p99' in this hunt")
