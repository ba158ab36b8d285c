"""A ``nats-server`` child on loopback for ``--workers N`` when no NATS URL is configured.

Core NATS only (no JetStream: nothing is stored), a port the kernel picks (``-p -1``, read back
from the server's log), stopped with the block. Gateways and the owner of one server talk
through it; nothing else needs to know it exists.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import trio

__all__ = ["find_nats_server", "open_local_nats"]

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
_LISTENING = re.compile(rb"Listening for client connections on [^\s]*:(\d+)")


def find_nats_server() -> str | None:
    """The nats-server binary (PATH, or Debian's /usr/sbin which a user's PATH may lack)."""
    found = shutil.which("nats-server")
    if found is None and os.access("/usr/sbin/nats-server", os.X_OK):
        found = "/usr/sbin/nats-server"
    return found


@asynccontextmanager
async def open_local_nats(scratch: Path) -> AsyncIterator[str]:
    """Start nats-server on 127.0.0.1 (its log in ``scratch``); yield its URL; stop it after.

    Raises RuntimeError when the binary is missing or the server is not ready within 10 s.
    """
    binary = find_nats_server()
    if binary is None:
        raise RuntimeError("--workers N > 1 needs NATS: install nats-server, or set workers.nats_url")
    log_path = scratch / "nats-server.log"
    with open(log_path, "wb") as log_file:
        process = await trio.lowlevel.open_process([binary, "-a", "127.0.0.1", "-p", "-1"],
                                                   stdout=log_file, stderr=subprocess.STDOUT)
    try:
        port = None
        with trio.move_on_after(START_TIMEOUT_S):
            while port is None:
                if process.returncode is not None or process.poll() is not None:
                    raise RuntimeError(f"nats-server exited with {process.returncode}; see {log_path}")
                text = log_path.read_bytes()
                found = _LISTENING.search(text)
                if found and b"Server is ready" in text:
                    port = int(found.group(1))
                else:
                    await trio.sleep(0.02)
        if port is None:
            raise RuntimeError(f"nats-server not ready within {START_TIMEOUT_S} s; see {log_path}")
        yield f"nats://127.0.0.1:{port}"
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                with trio.move_on_after(STOP_TIMEOUT_S):
                    await process.wait()
                if process.returncode is None:
                    process.kill()
                    await process.wait()

