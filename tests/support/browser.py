"""Helpers of the browser tests (and of ``scripts/screenshots.py``).

- :func:`live_server` runs the real ``hunt serve`` in a subprocess on a free port and stops it
  by its PID (SIGTERM, then SIGKILL if it does not stop in time);
- :func:`open_chromium` starts headless Chromium through the system chromedriver (Debian's
  ``chromium`` and ``chromium-driver``; nothing is downloaded);
- :func:`ws_session` plays a few commands as another player over a real websocket;
- :class:`Page` wraps the driver with waits that say what they were waiting for.

Everything here is synchronous: Selenium blocks, and the websocket player runs its own
``trio.run``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import trio
from trio_websocket import wrap_client_stream

from .hunts import sample_hunt

ADMIN_TOKEN = "browser-test-token"
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--mute-audio", "--hide-scrollbars",
)
REQUIRE_ENV = "HUNT_TEST_REQUIRE_BROWSER"
REPLY_OPS = ("ack", "error", "welcome", "batch")  # the frames that answer a request (by its id)


def chromium_paths() -> tuple[str | None, str | None]:
    """The Chromium and chromedriver binaries: the Debian paths, else whatever is on PATH."""
    found = []
    for path, name in (("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromedriver")):
        found.append(path if os.access(path, os.X_OK) else shutil.which(name))
    return found[0], found[1]


def missing_browser() -> str | None:
    """Why the browser tests cannot run on this machine, or None when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[test]')"
    chromium, driver = chromium_paths()
    if chromium is None:
        return "Chromium is not installed (apt-get install chromium)"
    if driver is None:
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


# -- the server ------------------------------------------------------------------------------


@dataclass
class LiveServer:
    base: str
    port: int
    pid: int
    log_path: Path
    http: httpx.Client  # carries the admin token

    def create_hunt(self, hunt_id: str, *, start: bool = True, **changes: Any) -> str:
        response = self.http.post("/admin/hunts", json=sample_hunt(hunt_id, **changes))
        assert response.status_code == 201, response.text
        if start:
            self.control(hunt_id, "start")
        return hunt_id

    def control(self, hunt_id: str, action: str) -> dict[str, Any]:
        response = self.http.post(f"/admin/hunts/{hunt_id}/{action}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def events(self, hunt_id: str, **query: Any) -> list[dict[str, Any]]:
        response = self.http.get(f"/admin/hunts/{hunt_id}/events", params={"limit": 1000, **query})
        assert response.status_code == 200, response.text
        return list(response.json()["events"])

    def leaderboard(self, hunt_id: str, **query: Any) -> dict[str, Any]:
        response = self.http.get(f"/admin/hunts/{hunt_id}/leaderboard", params=query)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


@contextmanager
def live_server(workdir: Path, *, port: int = 0, sample: bool = False, **settings: str) -> Iterator[LiveServer]:
    """Run ``hunt serve`` in a subprocess on ``port`` (0: a free one) with its data in ``workdir``
    (run it again on the same ``workdir`` and port to restart the server).

    ``settings`` are ``HUNT_<SECTION>_<KEY>`` variables without the prefix, e.g.
    ``LIMITS_LEADERBOARD_PUSH_INTERVAL_MS="100"``. Other ``HUNT_*`` variables of this process
    are not passed on, so the server's configuration does not depend on who runs the tests.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUNT_")}
    env.update({"HUNT_ADMIN_TOKEN": ADMIN_TOKEN, "HUNT_SERVER_SHUTDOWN_TIMEOUT_S": "1",
                "HUNT_STORE_SYNCHRONOUS": "OFF", "PYTHONUNBUFFERED": "1"})
    env.update({f"HUNT_{key.upper()}": value for key, value in settings.items()})
    command = [sys.executable, "-m", "hunt", "serve", "--port", str(port), "--data-dir", str(workdir / "data")]
    if sample:
        command.append("--sample")
    log_path = workdir / "server.log"
    start = log_path.stat().st_size if log_path.exists() else 0
    with open(log_path, "ab") as log:
        # cwd=workdir: no ./config.toml is picked up from wherever the tests were started.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    try:
        base = _wait_listening(process, log_path, start, timeout_s=30)
        bound = int(base.rsplit(":", 1)[1])
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10) as http:
            yield LiveServer(base, bound, process.pid, log_path, http)
    finally:
        stop_process(process)


def _wait_listening(process: subprocess.Popen[bytes], log_path: Path, start: int, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        match = re.search(r"listening on (http://[\d.]+:\d+)", log_path.read_bytes()[start:].decode(errors="replace"))
        if match:
            return match.group(1)
        if process.poll() is not None:
            raise RuntimeError(f"hunt serve exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"hunt serve did not start in {timeout_s} s:\n{log_path.read_text()[-4000:]}")


def stop_process(process: subprocess.Popen[Any], timeout_s: float = 5) -> None:
    """Stop one process we started, by its PID: SIGTERM, then SIGKILL after ``timeout_s``."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout_s)


# -- another player over a real websocket ------------------------------------------------------


def ws_session(port: int, hunt_id: str, frames: list[dict[str, Any]], timeout_s: float = 10) -> list[dict[str, Any]]:
    """Open a websocket to the hunt, send each frame and wait for its reply (the ack, error,
    welcome or batch with the frame's id); return the replies in order, then close."""
    return trio.run(_ws_session, port, hunt_id, frames, timeout_s)


async def _ws_session(port: int, hunt_id: str, frames: list[dict[str, Any]], timeout_s: float) -> list[dict[str, Any]]:
    replies = []
    # The test owns the TCP stream and always closes it (as tests/api/api_helpers.py does).
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    try:
        async with trio.open_nursery() as nursery:
            ws = await wrap_client_stream(nursery, stream, "127.0.0.1", f"/ws/hunts/{hunt_id}")
            try:
                with trio.fail_after(timeout_s):
                    for frame in frames:
                        await ws.send_message(orjson.dumps(frame).decode())
                        while True:
                            reply = orjson.loads(await ws.get_message())
                            if reply.get("op") in REPLY_OPS and reply.get("id") == frame.get("id"):
                                replies.append(reply)
                                break
            finally:
                await ws.aclose()
    finally:
        await stream.aclose()
    return replies


def join_and_play(port: int, hunt_id: str, name: str, *commands: dict[str, Any]) -> list[dict[str, Any]]:
    """Join as ``name``, then send ``commands`` (ids are made up from the name); every reply must be an ack."""
    frames = [{"op": "join", "id": secrets.token_urlsafe(16), "name": name}]
    frames += [{"id": f"{name}-{i}", **command} for i, command in enumerate(commands)]
    replies = ws_session(port, hunt_id, frames)
    for frame, reply in zip(frames, replies, strict=True):
        assert reply["op"] == "ack", (frame, reply)
    return replies


# -- the browser -----------------------------------------------------------------------------


@dataclass
class Chromium:
    driver: Any  # selenium.webdriver.Chrome
    service: Any  # its chromedriver process
    profile: str

    def quit(self) -> None:
        try:
            self.driver.quit()  # closes Chromium, then stops chromedriver
        finally:
            self.service.stop()  # in case quit failed half-way (stopping twice is harmless)
            shutil.rmtree(self.profile, ignore_errors=True)


@contextmanager
def open_chromium(width: int = 1280, height: int = 900) -> Iterator[Chromium]:
    """Headless Chromium driven by the system chromedriver; quit (and its profile removed) on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = chromium_paths()
    assert chromium and chromedriver, missing_browser()
    profile = tempfile.mkdtemp(prefix="hunt-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(chromedriver)
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except BaseException:
        service.stop()
        shutil.rmtree(profile, ignore_errors=True)
        raise
    browser = Chromium(driver, service, profile)
    try:
        yield browser
    finally:
        browser.quit()


def storage_key(hunt_id: str) -> str:
    """Where the player page keeps its player, token, pending commands and feed (localStorage)."""
    return f"hunt:v1:{hunt_id}"


def join(page: Page, hunt_id: str, name: str) -> str:
    """Open the player page, join as ``name``; return the player id the page keeps."""
    page.open(f"/play/{hunt_id}")
    page.until(lambda: page.q("#join-section").is_displayed(), "the join form")
    page.type("#join-name", name)
    page.click("#join-btn")
    page.until(lambda: page.q("#game").is_displayed(), "the game after joining")
    page.until(lambda: page.q("#conn-status").get_attribute("data-state") == "open", "a connected websocket")
    player: str = page.storage(storage_key(hunt_id))["player"]
    return player


def sign_in(page: Page, path: str = "/admin") -> None:
    """Open the dashboard at ``path`` and sign in with the admin token."""
    page.open(path)
    page.until(lambda: page.q("#login-section").is_displayed(), "the sign-in form")
    page.type("#token", ADMIN_TOKEN)
    page.click("#token-btn")
    page.until(lambda: page.q("#dashboard").is_displayed(), "the dashboard after signing in")


@contextmanager
def dashboard_tab(page: Page, hunt_id: str) -> Iterator[None]:
    """The dashboard on ``hunt_id`` in a new tab, signed in; back in the first tab afterwards."""
    first = page.driver.current_window_handle
    page.driver.switch_to.new_window("tab")
    try:
        sign_in(page, f"/admin#hunt={hunt_id}")
        page.until(lambda: page.q("#hunt-detail").is_displayed(), "the hunt's detail")
        yield
    finally:
        page.driver.close()
        page.driver.switch_to.window(first)


class WaitFailed(AssertionError):
    pass


class Page:
    """The driver, with CSS-selector shortcuts and waits that report what the page showed."""

    def __init__(self, driver: Any, base: str, timeout_s: float = 8) -> None:
        self.driver = driver
        self.base = base
        self.timeout_s = timeout_s
        self._last_text = ""

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def q(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def text(self, css: str) -> str:
        return str(self.q(css).text)

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def type(self, css: str, value: str) -> None:
        element = self.q(css)
        element.clear()
        element.send_keys(value)

    def click(self, css: str) -> None:
        self.q(css).click()

    def until(self, check: Callable[[], Any], what: str, timeout_s: float | None = None) -> Any:
        """Wait until ``check()`` is truthy (exceptions count as not yet); fail naming ``what``."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        last: Any = None
        while True:
            try:
                value = check()
                if value:
                    return value
                last = value
            except Exception as err:  # the element is not there yet, or was replaced
                last = err
            if time.monotonic() > deadline:
                raise WaitFailed(f"timed out waiting for {what} (last: {last!r})\n{self.diagnostics()}")
            time.sleep(0.05)

    def until_text(self, css: str, expected: str, what: str | None = None) -> None:
        """Wait until the element's text contains ``expected``."""
        self.until(lambda: expected in self.text(css) or self._seen(css), what or f"{css} to contain {expected!r}")

    def until_equal(self, css: str, expected: str) -> None:
        self.until(lambda: self.text(css) == expected or self._seen(css), f"{css} to read {expected!r}")

    def _seen(self, css: str) -> bool:
        """Remember what the element said (for the failure message); always False."""
        self._last_text = f"{css}: {self.text(css)!r}"
        return False

    def diagnostics(self) -> str:
        lines = [self._last_text] if self._last_text else []
        self._last_text = ""
        with suppress(Exception):
            lines.append(f"url: {self.driver.current_url}")
        with suppress(Exception):
            for entry in self.driver.get_log("browser"):
                lines.append(f"console: {entry.get('level')} {entry.get('message')}")
        with suppress(Exception):
            lines.append("errors: " + self.text("#errors"))
        return "\n".join(lines)

    def console_errors(self) -> list[str]:
        """Severe console messages (uncaught exceptions, failed loads) since the last call."""
        return [str(e.get("message")) for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def storage(self, key: str) -> Any:
        raw = self.js("return localStorage.getItem(arguments[0])", key)
        return None if raw is None else json.loads(raw)

    def set_storage(self, key: str, value: Any) -> None:
        self.js("localStorage.setItem(arguments[0], arguments[1])", key, json.dumps(value))

    def viewport(self, width: int, height: int, *, mobile: bool = False, scale: float = 1) -> None:
        """Emulate a screen of exactly this many CSS pixels (a phone with ``mobile=True``)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})

    def reset_viewport(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def screenshot(self, path: Path, *, full_page: bool = True) -> None:
        """A PNG of the page: the whole document when ``full_page``, else the viewport."""
        import base64

        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.js("return [document.documentElement.scrollWidth,"
                                    " document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
