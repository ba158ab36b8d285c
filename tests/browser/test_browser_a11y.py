"""Cheap checks of both pages on a phone-sized screen (375 CSS pixels wide), with content in them:
no horizontal scrolling of the page, every form control labelled, every button named, and the
document basics (language, one h1, a main landmark).
"""

from __future__ import annotations

import pytest

from tests.support.browser import LiveServer, Page, join, join_and_play, sign_in
from tests.support.hunts import CRANE

pytestmark = pytest.mark.browser

PHONE = (375, 740)

PROBLEMS = """
const shown = (e) => e.getClientRects().length > 0;
const named = (e) => (e.getAttribute('aria-label') || '').trim() || (e.getAttribute('aria-labelledby') || '').trim();
const problems = [];
for (const e of document.querySelectorAll('input, select, textarea')) {
  if (e.type === 'hidden' || e.hidden) continue;
  const labelled = [...(e.labels || [])].some((l) => l.textContent.trim());
  if (!labelled && !named(e)) problems.push(`no label: ${e.outerHTML}`);
}
for (const b of document.querySelectorAll('button')) {
  if (shown(b) && !b.textContent.trim() && !named(b)) problems.push(`no name: ${b.outerHTML}`);
}
if (!document.documentElement.lang) problems.push('no lang on <html>');
if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
if (!document.querySelector('main')) problems.push('no <main>');
// The layout viewport: on a phone, innerWidth grows with content that is too wide (the page zooms out).
const width = document.documentElement.clientWidth;
for (const root of [document.documentElement, document.body]) {
  if (root.scrollWidth > width) problems.push(`${root.tagName} is ${root.scrollWidth} px wide on a ${width} px screen`);
}
if (problems.some((p) => p.includes(' px wide'))) {
  // Name the widest culprits: elements that stick out to the right and are not inside a scroller.
  const scrolls = (e) => e.closest('.table-wrap, .heatmap-wrap, pre');
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.right > width + 1 && !scrolls(e)) {
      problems.push(`sticks out to ${Math.round(r.right)} px: ${e.tagName} #${e.id} .${e.className}`);
    }
  }
}
return problems.slice(0, 20);
"""


def problems(page: Page) -> list[str]:
    return list(page.js(PROBLEMS))


def test_player_page_on_a_phone(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join_and_play(server.port, hunt_id, "Maximiliane Rosenkranz-Oberhausen",
                  {"op": "answer", "clue": "c1", "answer": "lighthouse"})
    page.viewport(*PHONE, mobile=True)
    page.open(f"/play/{hunt_id}")
    page.until(lambda: page.q("#join-section").is_displayed(), "the join form")
    assert problems(page) == []

    join(page, hunt_id, "Ann")
    page.click("#clue-c1-hint")
    page.until_text("#clue-c1-hints", "It blinks.")
    page.js("document.querySelector('#manual-position').open = true")
    page.type("#manual-lat", str(CRANE[0]))
    page.type("#manual-lon", str(CRANE[1]))
    page.click("#clue-c2-submit")
    page.until_text("#clue-c2-result", "Checked in")
    page.until(lambda: len(page.all("#leaderboard tr")) == 2, "two players on the leaderboard")
    assert page.js("return document.documentElement.clientWidth") == PHONE[0]
    assert problems(page) == []


def test_dashboard_on_a_phone(page: Page, server: LiveServer, hunt_id: str) -> None:
    server.create_hunt(hunt_id)
    join_and_play(server.port, hunt_id, "Maximiliane Rosenkranz-Oberhausen",
                  {"op": "answer", "clue": "c1", "answer": "lighthouse"},
                  {"op": "ping", "lat": CRANE[0], "lon": CRANE[1]})
    page.viewport(*PHONE, mobile=True)
    page.open("/admin")
    page.until(lambda: page.q("#login-section").is_displayed(), "the sign-in form")
    assert problems(page) == []

    sign_in(page, f"/admin#hunt={hunt_id}")
    page.until(lambda: len(page.all("#leaderboard tr")) == 1, "the live leaderboard")
    page.until(lambda: len(page.all("#events-table tr")) == 5, "the event log")
    page.until_text("#heatmap-legend", "1 pings")
    page.click("#events-table button.audit-link")
    page.until_text("#audit-check", "equals the score")
    assert page.js("return document.documentElement.clientWidth") == PHONE[0]
    assert problems(page) == []
