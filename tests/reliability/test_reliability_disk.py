"""Disk faults (docs/reliability.md; an ack only after the commit): a full disk, a read-only one,
a corrupted hunt file. Real ones, no mocks: a small tmpfs filled to the last byte, a tmpfs
remounted read-only (root is not stopped by chmod), bytes overwritten in a hunt file.

Each fault must give clients `unavailable` with `retry_after_ms` and admins a 503 with
`Retry-After` and a clear message; no acked event may be lost and no failed write acked;
the other hunts carry on; and once the fault is cleared the same server recovers, and the
commands refused meanwhile, resent with the same ids, are applied exactly once.

The mounts need root (this sandbox and CI run as root); without it those tests skip.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio

from hunt.domain import StartHunt
from hunt.engine import verify_hunt
from hunt_lab.clients.player import open_websocket
from hunt_lab.faults import RETRYABLE, Ledger, audit_log, read_log
from hunt_lab.servers.inprocess import LocalServer, open_local_server
from hunt_lab.workload import hunt_definition

RECOVERY = {"restart_backoff_min_s": 0.01, "restart_backoff_max_s": 0.05, "max_restarts": 1000}


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted at ``path``, unmounted (lazily if still busy) at the end."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def remount(path: Path, mode: str) -> None:
    result = subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"remount,{mode} failed: {result.stderr.strip()}"


class Player:
    """A websocket player that sends one command at a time and keeps a ledger of the answers."""

    def __init__(self, ws: Any, ledger: Ledger) -> None:
        self.ws = ws
        self.ledger = ledger
        self.id = ""
        self.token = ""

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        await self.ws.send_message(orjson.dumps(frame).decode())
        with trio.fail_after(15):
            while True:
                reply: dict[str, Any] = orjson.loads(await self.ws.get_message())
                if reply.get("op") in ("ack", "error", "welcome") and reply.get("id") == frame["id"]:
                    break
        if frame["op"] not in ("join", "hello"):
            self.ledger.answer((self.id, frame["id"]), reply)
        return reply

    async def ping(self, cmd: str) -> dict[str, Any]:
        self.ledger.send((self.id, cmd))
        return await self.request({"op": "ping", "id": cmd, "lat": 53.5, "lon": 9.9})

    async def resend_until_acked(self, cmds: list[str], seconds: float = 10.0) -> None:
        with trio.fail_after(seconds):
            for cmd in cmds:
                while (reply := await self.ping(cmd))["op"] != "ack":
                    assert reply["code"] in RETRYABLE, reply
                    await trio.sleep(reply["retry_after_ms"] / 1000)


@asynccontextmanager
async def player(server: LocalServer, hunt: str, ledger: Ledger, name: str = "ann",
                 token: str | None = None) -> AsyncIterator[Player]:
    async with open_websocket(server.ws_url(hunt)) as ws:
        you = Player(ws, ledger)
        if token is None:
            ack = await you.request({"op": "join", "id": secrets.token_urlsafe(16), "name": name})
            assert ack["op"] == "ack", ack
            you.id, you.token = ack["player"], ack["token"]
        else:
            you.token = token
        yield you


async def new_hunt(server: LocalServer, hunt: str) -> None:
    assert (await server.http.post("/admin/hunts", json=hunt_definition(hunt, 3))).status_code == 201
    await server.engine.submit(hunt, [StartHunt(cmd="start")])


def fill(path: Path) -> None:
    """Take every last byte of the file system ``path`` is on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def assert_unavailable(response: Any) -> None:
    """An admin's view of a fault: 503, Retry-After, and a message that says what is wrong."""
    body = response.json()
    assert response.status_code == 503, (response.status_code, body)
    assert body["error"] == "unavailable" and body["retry_after_ms"] > 0, body
    assert int(response.headers["Retry-After"]) >= 1
    assert body["message"], body


def assert_log_keeps_every_promise(data_dir: Path, hunt: str, ledger: Ledger) -> None:
    assert audit_log(read_log(data_dir, hunt), ledger) == []
    report = verify_hunt(data_dir, hunt)
    assert report["ok"], report["problems"]


async def test_a_full_disk_refuses_writes_loses_nothing_and_recovers(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "2m") as disk:
        data = disk / "data"
        async with open_local_server(data, engine=RECOVERY, store={"synchronous": "FULL"}) as server:
            await new_hunt(server, "full")
            ledger = Ledger()
            async with player(server, "full", ledger) as ann:
                for n in range(30):
                    assert (await ann.ping(f"before-{n}"))["op"] == "ack"

                filler = disk / "filler"
                fill(filler)
                refused = []
                for n in range(40):
                    reply = await ann.ping(f"full-{n}")
                    if reply["op"] == "error":
                        assert reply["code"] == "unavailable" and reply["retry_after_ms"] > 0, reply
                        refused.append(f"full-{n}")
                assert refused, "the disk was full but every write succeeded"
                assert_unavailable(await server.http.post("/admin/hunts/full/pause", json={"id": "pause-full"}))
                assert (await server.http.get("/health")).status_code == 200

                filler.unlink()  # the fault is cleared: the same server recovers
                await ann.resend_until_acked(refused)
                assert (await ann.ping("after"))["op"] == "ack"
        assert_log_keeps_every_promise(data, "full", ledger)


async def test_a_read_only_data_dir_is_unavailable_and_recovers_once_writable(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "16m") as disk:
        data = disk / "data"
        settings: dict[str, Any] = {**RECOVERY, "idle_passivate_s": 0.2}
        async with open_local_server(data, engine=settings, store={"synchronous": "FULL"}) as server:
            await new_hunt(server, "ro")
            ledger = Ledger()
            async with player(server, "ro", ledger) as ann:
                for n in range(20):
                    assert (await ann.ping(f"before-{n}"))["op"] == "ack"
                you, token = ann.id, ann.token
            with trio.fail_after(10):  # no subscriber left: the hunt is unloaded, its file closed
                while server.engine.is_active("ro"):
                    await trio.sleep(0.05)
            image = (data / "hunts" / "ro.sqlite3").read_bytes()

            remount(disk, "ro")
            try:
                async with player(server, "ro", ledger, token=token) as ann:
                    ann.id = you
                    reply = await ann.request({"op": "hello", "id": "hello-ro", "token": token})
                    assert reply["op"] == "error" and reply["code"] == "unavailable", reply
                    assert reply["retry_after_ms"] > 0
                assert_unavailable(await server.http.get("/admin/hunts/ro"))
                assert_unavailable(await server.http.post("/admin/hunts/ro/pause", json={"id": "pause-ro"}))
                assert (data / "hunts" / "ro.sqlite3").read_bytes() == image
            finally:
                remount(disk, "rw")

            async with player(server, "ro", ledger, token=token) as ann:
                ann.id = you
                assert (await ann.request({"op": "hello", "id": "hello-rw", "token": token}))["op"] == "welcome"
                assert (await ann.ping("after"))["op"] == "ack"
        assert_log_keeps_every_promise(data, "ro", ledger)


async def test_a_corrupt_hunt_file_is_unavailable_others_carry_on_and_a_restore_recovers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ledgers = {"bad": Ledger(), "good": Ledger()}
    tokens = {}
    async with open_local_server(data) as server:
        for hunt in ledgers:
            await new_hunt(server, hunt)
            async with player(server, hunt, ledgers[hunt]) as ann:
                for n in range(200):
                    assert (await ann.ping(f"before-{n}"))["op"] == "ack"
                tokens[hunt] = (ann.id, ann.token)
    path = data / "hunts" / "bad.sqlite3"
    # Everything into the main file first: pages still in the WAL would hide the garbage below.
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = tmp_path / "bad.backup"
    shutil.copyfile(path, backup)
    with path.open("r+b") as file:  # garbage over the middle of the event pages
        file.seek(path.stat().st_size // 2)
        file.write(os.urandom(8192))

    async with open_local_server(data) as server:
        async with player(server, "bad", ledgers["bad"], token=tokens["bad"][1]) as bad:
            reply = await bad.request({"op": "hello", "id": "hello-bad", "token": tokens["bad"][1]})
            assert reply["op"] == "error" and reply["code"] == "unavailable" and reply["retry_after_ms"] > 0
        for path_ in ("/admin/hunts/bad", "/admin/hunts/bad/events", "/hunts/bad/leaderboard"):
            assert_unavailable(await server.http.get(path_))
        listing = await server.http.get("/admin/hunts")
        assert listing.status_code == 200, listing.text  # one bad file does not hide the others
        assert {row["id"] for row in listing.json()["hunts"]} >= {"good"}

        # The other hunt carries on, undisturbed by the bad one failing beside it.
        async with player(server, "good", ledgers["good"], token=tokens["good"][1]) as good:
            good.id = tokens["good"][0]
            assert (await good.request({"op": "hello", "id": "hello-good", "token": tokens["good"][1]}))["op"] \
                == "welcome"
            for n in range(50):
                assert (await good.ping(f"beside-{n}"))["op"] == "ack"
                assert (await server.http.get("/admin/hunts/bad")).status_code == 503

        shutil.copyfile(backup, data / "hunts" / "bad.sqlite3")  # an operator restores the file
        async with player(server, "bad", ledgers["bad"], token=tokens["bad"][1]) as bad:
            bad.id = tokens["bad"][0]
            assert (await bad.request({"op": "hello", "id": "hello-again", "token": tokens["bad"][1]}))["op"] \
                == "welcome"
            assert (await bad.ping("after"))["op"] == "ack"
    for hunt, ledger in ledgers.items():
        assert_log_keeps_every_promise(data, hunt, ledger)
