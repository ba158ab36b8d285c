"""docs/deploy/nginx-hunt.conf, run by Debian's nginx in front of `hunt serve`: players over wss://.

The test starts nginx as a child (its own prefix and config in a temp dir, loopback ports, a
self-signed certificate made with openssl), with the site file from docs/ changed only in its
ports and certificate paths, and plays through it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio
from trio_websocket import ConnectionRejected, WebSocketConnection, wrap_client_stream

from hunt_lab.faults import ServerProcess

SITE = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "nginx-hunt.conf"
HUNT = "harbor-2026"

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's package puts it in sbin
# CI (.ci/run) installs both and sets HUNT_TEST_REQUIRE_NGINX, so there a missing one fails.
pytestmark = pytest.mark.skipif(
    not os.environ.get("HUNT_TEST_REQUIRE_NGINX") and (not Path(NGINX).exists() or shutil.which("openssl") is None),
    reason="nginx or openssl is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def site(hunt_port: int, tls_port: int, http_port: int, cert: Path, key: Path) -> str:
    text = SITE.read_text()
    for old, new in (
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{hunt_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("/etc/letsencrypt/live/hunt.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/hunt.example.org/privkey.pem", str(key)),
    ):
        assert text.count(old) == 1, old  # the documented file still has the line the docs talk about
        text = text.replace(old, new)
    return text


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def nginx(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[Any]:
    """A function ``start(hunt_port) -> tls_port`` that runs nginx until the test ends."""
    prefix = tmp_path / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    children: list[subprocess.Popen[bytes]] = []

    def start(hunt_port: int) -> int:
        tls_port, http_port = free_port(), free_port()
        (prefix / "site.conf").write_text(site(hunt_port, tls_port, http_port, *certificate))
        temp = " ".join(f"{kind}_temp_path {prefix / 'tmp' / kind};" for kind in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (prefix / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\ndaemon off;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
            f"events {{ worker_connections 512; }}\n"
            f"http {{ access_log {prefix / 'access.log'}; {temp} include {prefix / 'site.conf'}; }}\n")
        with open(prefix / "stderr", "wb") as stderr:
            child = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=stderr)
        children.append(child)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
                return tls_port
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"nginx did not start: {(prefix / 'stderr').read_text()[-2000:]}") from None
                time.sleep(0.05)

    yield start
    for child in children:
        if child.poll() is None:
            child.terminate()  # nginx: fast shutdown
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)


@asynccontextmanager
async def wss(port: int, cert: Path, source: str, headers: list[tuple[str, str]] | None = None) -> Any:
    """A websocket over TLS to nginx from the loopback address ``source`` (its own client address)."""
    context = ssl.create_default_context(cafile=str(cert))
    stream = await trio.open_tcp_stream("127.0.0.1", port, local_address=source)
    tls = trio.SSLStream(stream, context, server_hostname="localhost")
    try:
        async with trio.open_nursery() as nursery:
            ws = await wrap_client_stream(nursery, tls, "localhost", f"/ws/hunts/{HUNT}", extra_headers=headers)
            try:
                yield ws
            finally:
                await ws.aclose()
    finally:
        await trio.aclose_forcefully(tls)  # a refused handshake leaves the socket to us


async def request(ws: WebSocketConnection, frame: dict[str, Any]) -> dict[str, Any]:
    await ws.send_message(orjson.dumps(frame).decode())
    with trio.fail_after(10):
        while (reply := orjson.loads(await ws.get_message())).get("id") != frame["id"]:
            pass  # a push
    return reply


async def test_players_play_over_wss_through_nginx(tmp_path: Path, nginx: Any,
                                                    certificate: tuple[Path, Path]) -> None:
    async with ServerProcess(tmp_path / "data", tmp_path / "logs", extra_args=["--sample"]) as server:
        await server.start()
        port = nginx(server.port)
        async with wss(port, certificate[0], "127.0.0.2") as ws:
            joined = await request(ws, {"op": "join", "id": secrets.token_urlsafe(24), "name": "Ann"})
            answered = await request(ws, {"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert joined["op"] == "ack" and answered["result"] == "correct", (joined, answered)
        assert await server.stop() == 0


async def refused(port: int, cert: Path, source: str, headers: list[tuple[str, str]] | None = None) -> bool:
    """True if nginx passed on the server's refusal of a websocket from ``source`` (503)."""
    try:
        async with wss(port, cert, source, headers) as ws:
            await request(ws, {"op": "join", "id": secrets.token_urlsafe(24), "name": "Extra"})
    except BaseExceptionGroup as group:  # trio's nurseries wrap what the handshake raised
        rejections = [error for error in leaves(group) if isinstance(error, ConnectionRejected)]
        if not rejections:
            raise
        assert rejections[0].status_code == 503
        return True
    return False


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


@pytest.mark.parametrize("trusted", [True, False], ids=["nginx trusted", "nginx not trusted"])
async def test_per_address_limits_see_the_real_client_behind_nginx(tmp_path: Path, nginx: Any,
                                                                    certificate: tuple[Path, Path],
                                                                    trusted: bool) -> None:
    """nginx connects from 127.0.0.1 for everyone. With server.trusted_proxies naming it, the
    server counts each client by its own address (127.0.0.2, 127.0.0.3); without, all players
    are nginx's one address and the second client is refused too (the control)."""
    cert = certificate[0]
    env = {"HUNT_LIMITS_CONNECTIONS_PER_ADDRESS": "2"}
    if trusted:
        env["HUNT_SERVER_TRUSTED_PROXIES"] = "127.0.0.1"
    async with ServerProcess(tmp_path / "data", tmp_path / "logs", env=env, extra_args=["--sample"]) as server:
        await server.start()
        port = nginx(server.port)
        async with wss(port, cert, "127.0.0.2") as first, wss(port, cert, "127.0.0.2") as second:
            for ws in (first, second):
                assert (await request(ws, {"op": "join", "id": secrets.token_urlsafe(24), "name": "A"}))["op"] == "ack"
            assert await refused(port, cert, "127.0.0.2")  # a third from the same client
            # A client that forges the header is still itself: nginx replaces X-Forwarded-For.
            assert await refused(port, cert, "127.0.0.2", [("X-Forwarded-For", "198.51.100.9")])
            assert await refused(port, cert, "127.0.0.3") is not trusted  # another client is not held back
        assert await server.stop() == 0
