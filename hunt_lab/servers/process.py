"""``hunt serve`` as a child process that a harness can start, SIGKILL and restart.

The child's stdout and stderr go to files in a log directory (one pair per start), so a
harness never blocks on a pipe and a failure can show the server's log. Every method that
waits is bounded; :meth:`ServerProcess.close` (also the ``async with`` exit) ends the child
by its pid, whatever state it is in.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import psutil
import trio

from .load import one_address_env

__all__ = ["ServerFailed", "ServerProcess", "raise_fd_limit"]

LISTENING = "listening on "


class ServerFailed(Exception):
    """Raised when the server child exits or stays silent instead of listening."""


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards ``wanted`` (capped by the hard
    limit); return the new soft limit. Children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class ServerProcess:
    """A ``hunt serve`` child on loopback. Restarts reuse the first start's port.

    ``env`` is added to this process's environment (``HUNT_*`` settings, e.g.
    ``HUNT_ENGINE_MAILBOX_CAPACITY``); the child runs in ``log_dir`` so that no stray
    ``config.toml`` is picked up. ``extra_args`` are appended (e.g. ``--sample``);
    ``program`` runs another module that takes ``--port`` and prints the same
    ``listening on`` line (the benchmark's echo server), with ``data_dir`` None.
    """

    def __init__(self, data_dir: Path | None, log_dir: Path, *, env: dict[str, str] | None = None,
                 admin_token: str = "reliability-admin-token", fd_limit: int | None = None,
                 extra_args: Sequence[str] = (), program: Sequence[str] = ("hunt.cli", "serve")) -> None:
        self.data_dir = None if data_dir is None else Path(data_dir)
        self.extra_args = tuple(extra_args)
        self.program = tuple(program)
        self.log_dir = Path(log_dir)
        self.admin_token = admin_token
        self.env = {**env} if env else {}
        self.fd_limit = fd_limit
        self.port = 0
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServerFailed("the server is not running")
        return self._process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, hunt_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/hunts/{hunt_id}"

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the last start's stderr (the server's log), for failure messages."""
        path = self.log_dir / f"server-{self.starts}.err"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def rss_bytes(self) -> int:
        return psutil.Process(self.pid).memory_info().rss

    async def start(self, timeout: float = 30.0) -> str:
        """Start the child and wait until it listens; return its base URL.

        A restart binds the same port; if that port is briefly not bindable, it retries.
        Raises ServerFailed if the child exits or does not listen within ``timeout``.
        """
        if self.running():
            raise ServerFailed("the server is already running")
        with trio.fail_after(timeout):
            while True:
                try:
                    return await self._start_once()
                except ServerFailed:
                    if self.port == 0 or "cannot listen" not in self.log_tail():
                        raise
                await trio.sleep(0.2)

    async def _start_once(self) -> str:
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = self.log_dir / f"server-{self.starts}.out"
        err = self.log_dir / f"server-{self.starts}.err"
        env = {**os.environ, **one_address_env(), "HUNT_ADMIN_TOKEN": self.admin_token,
               # every client of a harness is on 127.0.0.1: lift the per-address wrong-attempt limit
               "HUNT_GAME_ADDRESS_WRONG_ATTEMPTS_MAX": "1000000", **self.env}
        args = [sys.executable, "-m", *self.program, "--port", str(self.port)]
        if self.data_dir is not None:
            args += ["--data-dir", str(self.data_dir.resolve())]
        args += self.extra_args
        if self.fd_limit is not None:
            raise_fd_limit(self.fd_limit)  # the child inherits it
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self._process = subprocess.Popen(args, stdout=stdout, stderr=stderr, env=env, cwd=self.log_dir)
        while True:
            text = out.read_text(errors="replace")
            if LISTENING in text:
                line = text[text.index(LISTENING):].split("\n", 1)[0]
                self.port = int(line.rsplit(":", 1)[1])
                return self.url
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise ServerFailed(f"the server exited with {code} before listening:\n{err.read_text()[-3000:]}")
            await trio.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the child (no shutdown of any kind) and reap it."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful: drain, snapshot), then SIGKILL after ``timeout``. Returns the exit
        code of a graceful stop, or None if it had to be killed (or was not running)."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        with trio.move_on_after(timeout):
            while process.poll() is None:
                await trio.sleep(0.02)
            self._process = None
            return process.returncode
        self.kill()
        return None

    def close(self) -> None:
        self.kill()

    async def __aenter__(self) -> ServerProcess:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.close()
