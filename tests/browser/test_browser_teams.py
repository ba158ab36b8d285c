"""Teams and divisions on the pages: the dashboard makes and manages teams, an invite link fills
in the player page's join form, the captain and the division's board show on the player page,
and the big screen shows one division's board."""

from __future__ import annotations

import secrets

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, storage_key, ws_session

pytestmark = pytest.mark.browser

DIVISIONS = [{"id": "families", "title": "Families"}, {"id": "schools", "title": "Schools"}]


def row_text(page: Page, side: str) -> str:
    return page.text(f'#teams-table tr[data-side="{side}"]')


def test_the_dashboard_makes_and_manages_teams(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id, mode="teams")
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#teams").is_displayed(), "the teams panel")
        page.type("#team-create-name", "Gulls")
        page.type("#team-create-passcode", "Harbor42")
        page.type("#team-create-size", "3")
        page.click("#team-create-btn")
        page.until_text("#teams-result", "Team Gulls created · passcode Harbor42")
        assert "invite=Harbor42" in page.q("#teams-result-invite").get_attribute("href")
        page.until_text("#teams-table", "set by you (not kept)")
        page.type("#team-create-name", "Owls")
        page.click("#team-create-btn")
        page.until(lambda: page.q('#teams-table tr[data-side="team:owls"] a'), "the Owls' invite link")
        ws_session(server.port, hunt_id, [
            {"op": "join", "id": secrets.token_urlsafe(16), "name": "Ann", "team": "Gulls", "team_code": "harbor42"}])
        ws_session(server.port, hunt_id, [
            {"op": "join", "id": secrets.token_urlsafe(16), "name": "Bob", "team": "Gulls", "team_code": "HARBOR42"}])
        page.until(lambda: "Bob (p2)" in row_text(page, "team:gulls"), "Bob on the Gulls' roster")
        assert "Ann" in page.text('#teams-table tr[data-side="team:gulls"] td:nth-child(2)')  # the captain
        page.click('#teams-table li[data-player="p2"] .make-captain')
        page.until_text("#teams-result", "Bob is now the captain of Gulls")
        page.js("document.querySelector('#team-manage-side').value = 'team:gulls'")
        page.type("#team-rename-name", "Sea Gulls")
        page.click("#team-rename-btn")
        page.until_text("#teams-result", "Gulls is now called Sea Gulls")
        page.click("#team-lock-btn")
        page.until(lambda: "locked" in page.text('#teams-table tr[data-side="team:gulls"] td:nth-child(5)'),
                   "the Sea Gulls' roster shown locked")
        page.click("#rosters-lock-btn")
        page.until_text("#teams-meta", "every roster is locked")
        page.js("window.confirm = () => true")
        page.click('#teams-table li[data-player="p1"] .remove-player')
        page.until_text("#teams-result", "Ann was taken off Sea Gulls")
        page.until(lambda: "Ann (p1)" not in row_text(page, "team:gulls"), "Ann off the roster")
    types = {event["type"] for event in server.events(hunt_id)}
    assert {"team_created", "captain_changed", "team_renamed", "roster_locked", "player_removed"} <= types
    owls = server.http.get(f"/admin/hunts/{hunt_id}/teams").json()["rows"][1]
    refused = ws_session(server.port, hunt_id, [
        {"op": "join", "id": secrets.token_urlsafe(16), "name": "Cy", "team": "Owls", "team_code": owls["team_code"]}])
    assert refused[0]["code"] == "roster_locked"


def test_an_invite_link_fills_in_the_join_form_and_the_captain_is_shown(page: Page, server: LiveServer,
                                                                        hunt_id: str) -> None:
    server.create_hunt(hunt_id, mode="teams")
    made = server.http.post(f"/admin/hunts/{hunt_id}/teams", json={"name": "Red Foxes"}).json()
    page.open(made["invite"])
    page.until(lambda: page.q("#join-team").is_displayed(), "the team field")
    assert page.q("#join-team").get_attribute("value") == "Red Foxes"
    assert page.q("#join-code").get_attribute("value") == made["team_code"]
    page.type("#join-name", "Ann")
    page.click("#join-btn")
    page.until(lambda: page.q("#game").is_displayed(), "the game after joining")
    page.until_text("#team-stat", "Red Foxes captain: Ann")
    assert page.text("#team-code") == made["team_code"]  # the captain hands it on
    assert f"invite={made['team_code']}" in page.q("#team-invite").get_attribute("href")
    # A new passcode reaches the captain's page without a reload.
    renewed = server.http.post(f"/admin/hunts/{hunt_id}/teams/team:red foxes/passcode").json()
    page.until_equal("#team-code", renewed["team_code"])


def test_a_removed_player_is_asked_to_join_again(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id, mode="teams")
    page.open(f"/play/{hunt_id}")
    page.until(lambda: page.q("#join-team").is_displayed(), "the team field")
    page.type("#join-name", "Ann")
    page.type("#join-team", "Gulls")
    page.click("#join-btn")
    page.until(lambda: page.q("#game").is_displayed(), "the game after joining")
    player = page.until(lambda: page.storage(storage_key(hunt_id))["player"], "a player id")
    response = server.http.post(f"/admin/hunts/{hunt_id}/players/{player}/remove", json={"reason": "wrong team"})
    assert response.status_code == 200, response.text
    page.until_text("#feed", "The organiser took Ann off the team: wrong team")
    page.driver.refresh()
    page.until(lambda: page.q("#join-section").is_displayed(), "the join form again")
    page.until_text("#errors", "join again")


def test_a_division_is_chosen_at_join_and_its_board_shows(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id, divisions=DIVISIONS)
    ws_session(server.port, hunt_id, [
        {"op": "join", "id": secrets.token_urlsafe(16), "name": "Eve", "division": "schools"},
        {"op": "answer", "id": "e1", "clue": "c1", "answer": "lighthouse"}])
    page.open(f"/play/{hunt_id}")
    page.until(lambda: page.q("#join-division").is_displayed(), "the division choice")
    page.type("#join-name", "Ann")
    page.js("document.querySelector('#join-division').value = 'families'")
    page.click("#join-btn")
    page.until(lambda: page.q("#division-board").is_displayed(), "the division's board")
    page.until_text("#division-stat", "Families #1")
    page.until_text("#division-board-title", "Families division")
    assert [tr.get_attribute("data-player") for tr in page.all("#division-leaderboard tr")] == ["p2"]
    page.until(lambda: len(page.all("#leaderboard tr")) == 2, "both players on the overall board")
    # The organiser moves Eve into the families: the board follows.
    assert server.http.post(f"/admin/hunts/{hunt_id}/division",
                            json={"side": "p1", "division": "families"}).status_code == 200
    page.until(lambda: len(page.all("#division-leaderboard tr")) == 2, "Eve on the families' board")
    page.until_text("#division-stat", "Families #2")
    page.open(f"/screen/{hunt_id}?division=schools")
    page.until_text("#screen-board-heading", "Leaderboard: Schools")
    page.until(lambda: page.all("#screen-board tr") == [], "an empty schools board")
    page.open(f"/screen/{hunt_id}?division=families")
    page.until(lambda: len(page.all("#screen-board tr")) == 2, "the families' board on the big screen")


def test_the_dashboard_sets_divisions_and_shows_a_divisions_board(page: Page, server: LiveServer,
                                                                  hunt_id: str) -> None:
    server.create_hunt(hunt_id, divisions=DIVISIONS)
    ws_session(server.port, hunt_id, [{"op": "join", "id": secrets.token_urlsafe(16), "name": "Ann"}])
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#divisions").is_displayed(), "the divisions panel")
        assert not page.q("#teams").is_displayed()  # a solo hunt has no teams to manage
        page.type("#division-side", "p1")
        page.js("document.querySelector('#division-value').value = 'schools'")
        page.click("#division-set-btn")
        page.until_text("#division-result", "p1 now plays in Schools")
        page.js("const s = document.querySelector('#division-board-select'); s.value = 'schools';"
                "s.dispatchEvent(new Event('change'))")
        page.until(lambda: [tr.get_attribute("data-player") for tr in page.all("#division-board tr")] == ["p1"],
                   "Ann on the schools' board")
        page.type("#division-side", "p9")
        page.click("#division-set-btn")
        page.until_text("#division-result", "no team or solo player")
