"""A throwaway local ``nats-server -js`` for the benchmark and the tests (blocking calls).

On loopback, a free port, a store dir of the caller's; :meth:`LocalNatsServer.kill` (SIGKILL,
by pid) and :meth:`LocalNatsServer.start` again keep both, which is how the tests take the
broker away and bring it back with its data.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["LocalNatsServer", "find_nats_server", "free_port"]

READY_LINE = b"Server is ready"
START_TIMEOUT_S = 10.0


def find_nats_server() -> str | None:
    """The nats-server binary (PATH, or Debian's /usr/sbin which a user's PATH may lack)."""
    found = shutil.which("nats-server")
    if found is None and os.access("/usr/sbin/nats-server", os.X_OK):
        found = "/usr/sbin/nats-server"
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalNatsServer:
    """One nats-server process with JetStream; ``kill()`` then ``start()`` keeps port and store.

    ``extra_args`` go to the command line after the usual ones (a cluster's routes, a name).
    """

    def __init__(self, binary: str, store_dir: Path, log_path: Path, *, extra_args: Sequence[str] = ()) -> None:
        self.binary = binary
        self.extra_args = tuple(extra_args)
        self.store_dir = store_dir
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> None:
        """Start it and wait (at most 10 s) until it says it is ready, JetStream included."""
        assert self.process is None, "already running"
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-js", "-sd", str(self.store_dir), "-a", "127.0.0.1", "-p", str(self.port),
                 *self.extra_args],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                code, self.process = self.process.returncode, None
                raise RuntimeError(f"nats-server exited with {code}; see {self.log_path}")
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                if READY_LINE in log.read():
                    return
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"nats-server not ready within {START_TIMEOUT_S} s; see {self.log_path}")
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL by pid, and wait for it (no-op when not running)."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
