"""A photo mission end to end in Chromium: the player sends a photo from the phone page, a judge
approves it on the dashboard with the keyboard, the player sees the verdict and the points."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import LiveServer, Page, dashboard_tab, join

pytestmark = pytest.mark.browser

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def test_a_photo_is_sent_judged_with_the_keyboard_and_the_verdict_comes_back(
        page: Page, server: LiveServer, hunt_id: str, tmp_path: Path) -> None:
    server.create_hunt(hunt_id)
    photo = tmp_path / "crew.png"
    photo.write_bytes(PNG)
    join(page, hunt_id, "Ann")
    file_input = page.q("#clue-c7-file")
    assert file_input.get_attribute("capture") == "environment"
    assert file_input.get_attribute("accept") == "image/*,video/*"
    file_input.send_keys(str(photo))
    page.click("#clue-c7-submit")
    page.until_text("#clue-c7-result", "waiting for a judge")
    page.until(lambda: "pending" in page.q("#clue-c7").get_attribute("class"), "the mission marked pending")
    assert not page.q("#clue-c7-submit").is_enabled()

    with dashboard_tab(page, hunt_id):
        page.until(lambda: page.q("#judging-list li"), "an entry in the judging queue")
        page.until_text("#judging-meta", "Ann for “Crew photo”")
        page.until(lambda: page.js("const i = document.querySelector('#judging-media img');"
                                   "return i && i.complete && i.naturalWidth === 1"), "the photo shown to the judge")
        page.type("#judging-message", "Nice ship!")
        page.q("#judging-message").send_keys("\ue00c")  # Escape: leave the field, then keys judge
        page.q("body").send_keys("a")
        page.until_text("#judging-result", "approved (+50)")

    page.until_text("#clue-c7-result", "Approved! +50 points. “Nice ship!”")
    page.until(lambda: "found" in page.q("#clue-c7").get_attribute("class"), "the mission found")
    page.until_equal("#score", "50")


def test_a_rejected_photo_can_be_sent_again(page: Page, server: LiveServer, hunt_id: str, tmp_path: Path) -> None:
    server.create_hunt(hunt_id)
    photo = tmp_path / "crew.png"
    photo.write_bytes(PNG)
    join(page, hunt_id, "Bob")
    page.q("#clue-c7-file").send_keys(str(photo))
    page.click("#clue-c7-submit")
    page.until_text("#clue-c7-result", "waiting for a judge")
    [entry] = server.http.get(f"/admin/hunts/{hunt_id}/entries").json()["entries"]
    response = server.http.post(f"/admin/hunts/{hunt_id}/entries/{entry['entry']}/judge",
                                json={"verdict": "reject", "message": "No ship in sight"})
    assert response.status_code == 200, response.text
    page.until_text("#clue-c7-result", "Not accepted. “No ship in sight” You can send another.")
    page.until(lambda: page.q("#clue-c7-submit").is_enabled(), "the mission open again")


def test_sending_nothing_says_what_to_do(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join(page, hunt_id, "Cat")
    page.click("#clue-c7-submit")
    page.until_text("#clue-c7-result", "Take a photo (or choose one) first.")
