"""Fixtures of the browser tests: one real ``hunt serve`` and one headless Chromium per session.

Each test gets a clean origin (local and session storage cleared, no device emulation) and a
hunt of its own (``hunt_id``), so the tests do not depend on each other's order.

Where Chromium, chromedriver or selenium are missing these tests skip, saying what to install;
with ``HUNT_TEST_REQUIRE_BROWSER=1`` (CI sets it) they fail instead, so CI cannot go green by
skipping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.browser import (
    REQUIRE_ENV,
    Chromium,
    LiveServer,
    Page,
    browser_required,
    live_server,
    missing_browser,
    open_chromium,
)


@pytest.fixture(scope="session")
def browser_ready() -> None:
    reason = missing_browser()
    if reason is not None:
        if browser_required():
            pytest.fail(f"{reason}, and {REQUIRE_ENV} is set")
        pytest.skip(f"{reason}: the browser tests need headless Chromium (set {REQUIRE_ENV}=1 to fail instead)")


@pytest.fixture(scope="session")
def server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Faster leaderboard pushes than the default 250 ms: the tests wait for them.
    with live_server(tmp_path_factory.mktemp("server"), LIMITS_LEADERBOARD_PUSH_INTERVAL_MS="100") as running:
        yield running


@pytest.fixture(scope="session")
def chromium(server: LiveServer) -> Iterator[Chromium]:
    # After the server (so it quits first: the server then has no keep-alive connections to wait for).
    with open_chromium() as browser:
        yield browser


@pytest.fixture
def page(chromium: Chromium, server: LiveServer) -> Iterator[Page]:
    """The browser on a clean origin (no storage, device or position emulation, permissions);
    after the test, no uncaught JavaScript error may have happened."""
    page = Page(chromium.driver, server.base)
    page.reset_viewport()
    chromium.driver.execute_cdp_cmd("Emulation.clearGeolocationOverride", {})
    chromium.driver.execute_cdp_cmd("Browser.resetPermissions", {})
    page.open("/health")
    page.js("localStorage.clear(); sessionStorage.clear();")
    chromium.driver.get_log("browser")  # drop what earlier tests left
    yield page
    uncaught = [message for message in page.console_errors() if "Uncaught" in message]
    chromium.driver.get("about:blank")  # leave the page: its websocket closes
    assert not uncaught, uncaught


@pytest.fixture
def hunt_id(request: pytest.FixtureRequest) -> str:
    """A hunt id of this test's own (derived from its name)."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    return name.removeprefix("test-")[:60]
