"""Editing a running hunt on the pages: the dashboard's Edit panel previews an edit (who would be
credited, what corrections) before Apply, and the player page takes the new prompt, points,
unlocked, withdrawn and added clues and the new end time live, without a reload."""

from __future__ import annotations

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, join

pytestmark = pytest.mark.browser


def choose(page: Page, css: str, value: str) -> None:
    page.js(f"const s = document.querySelector('{css}'); s.value = arguments[0];"
            "s.dispatchEvent(new Event('change'))", value)


def open_edit_panel(page: Page, clue: str) -> None:
    page.until(lambda: page.q("#edit-panel").is_displayed(), "the edit panel")
    page.until(lambda: page.all(f"#edit-clue option[value='{clue}']"), "the clue list")
    choose(page, "#edit-clue", clue)


def test_an_answer_fix_is_previewed_then_applied_and_the_player_page_updates_live(
        page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    player = join(page, hunt_id, "Ann")
    page.type("#clue-c1 .clue-input", "beacon")
    page.click("#clue-c1-submit")
    page.until_text("#clue-c1-result", "Not quite")
    with dashboard_tab(page, hunt_id):
        open_edit_panel(page, "c1")
        page.until(lambda: page.q("#edit-answers").get_attribute("value") == "lighthouse", "the clue's answers")
        page.type("#edit-prompt", "What blinks at the pier at night?")
        page.type("#edit-points", "150")
        page.q("#edit-answers").send_keys("\nbeacon")
        assert not page.q("#edit-apply-btn").is_enabled()  # Apply waits for a preview
        page.click("#edit-preview-btn")
        page.until_text("#edit-preview", f"Ann ({player}) sent “beacon”: +170")
        page.click(f".credit-choice[data-player='{player}']")
        page.click("#edit-apply-btn")
        page.until_text("#edit-result", "1 credit(s)")
    page.until_text("#clue-c1", "What blinks at the pier at night?")
    page.until_text("#clue-c1", "found ✓")
    page.until_text("#feed", "Erratum: Old light was updated")
    page.until_text("#feed", "Ann was credited with Old light (+170)")
    assert [e["type"] for e in server.events(hunt_id, type="clue_edited")] == ["clue_edited"]


def test_unlock_withdraw_and_a_later_end_reach_the_player_page(page: Page, server: LiveServer,
                                                               hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    player = join(page, hunt_id, "Bob")
    assert not page.q("#clue-c3").is_displayed()  # opens after c1
    with dashboard_tab(page, hunt_id):
        open_edit_panel(page, "c3")
        page.type("#unlock-target", player)
        page.click("#unlock-btn")
        page.until_text("#edit-result", f"Unlocked c3 for {player}")
        choose(page, "#edit-clue", "c4")
        page.click("#retire-preview-btn")
        page.until_text("#edit-preview", "No score changes")
        page.click("#retire-apply-btn")
        page.until_text("#edit-result", "Applied")
        page.until(lambda: "withdrawn" in page.q("#edit-clue option[value='c4']").text, "c4 marked withdrawn")
        page.click("#extend-btn")
        page.until_text("#edit-result", "The hunt now ends")
    page.until(lambda: page.q("#clue-c3").is_displayed(), "c3 open to Bob")
    page.until_text("#clue-c3", "A code is painted")
    page.until(lambda: not page.all("#clue-c4"), "c4 gone from the page")
    page.until_text("#hunt-countdown", "Ends in")
    page.until_text("#feed", "Ship's bell was withdrawn")


def test_a_clue_added_a_ban_lifted_and_an_ended_hunt_reopened_from_the_dashboard(
        page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    player = join(page, hunt_id, "Cat")
    assert server.http.post(f"/admin/hunts/{hunt_id}/players/{player}/ban", json={}).status_code == 200
    server.control(hunt_id, "end")
    page.until_text("#hunt-status", "ended")
    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#edit-panel").is_displayed(), "the edit panel")
        page.click("#reopen-btn")
        page.until_text("#edit-result", "The hunt is open again")
        page.type("#unban-player", player)
        page.click("#unban-btn")
        page.until_text("#edit-result", f"{player} may play again")
        page.type("#add-clue-json", '{"id": "c9", "title": "Anchor", "prompt": "What holds a ship?", '
                                    '"kind": "answer", "answers": ["anchor"], "points": 40}')
        page.click("#add-clue-btn")
        page.until_text("#edit-result", "Added c9")
    page.until_text("#hunt-status", "active")
    page.until_text("#feed", "You may play again")
    page.until_text("#clue-c9", "What holds a ship?")
    page.type("#clue-c9 .clue-input", "Anchor")
    page.click("#clue-c9-submit")
    page.until_text("#clue-c9", "found ✓")
