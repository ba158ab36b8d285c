"""Slow and dead clients (docs/reliability.md): none grows the server or delays other players.

Misbehaving clients are raw sockets (hunt_lab.clients.raw): a reader that never reads (its
receive buffer shrunk to 4 KiB) but keeps sending, a client that vanishes with a TCP reset
(no close frame), and a half-open one that goes silent with its socket open. Meanwhile a
well-behaved player measures its ack latency, and the server's RSS, file descriptors and
connection statistics are read in process.
"""

from __future__ import annotations

import math
import secrets
from pathlib import Path

import orjson
import psutil
import trio

from hunt.domain import StartHunt
from hunt_lab.clients.player import open_websocket
from hunt_lab.clients.raw import RawSocket
from hunt_lab.measure import percentile
from hunt_lab.servers.inprocess import LocalServer, open_local_server
from hunt_lab.workload import hunt_definition

HUNT = "slow"
OUTBOX = 8
LIMITS = {"outbox_capacity": OUTBOX, "ws_idle_timeout_s": 1.0, "leaderboard_push_interval_ms": 50}


async def start_hunt(server: LocalServer) -> None:
    assert (await server.http.post("/admin/hunts", json=hunt_definition(HUNT, 3))).status_code == 201
    await server.engine.submit(HUNT, [StartHunt(cmd="start")])


async def joined_raw(server: LocalServer, name: str, *, receive_buffer: int | None = None) -> RawSocket:
    raw = await RawSocket.connect(server.port, f"/ws/hunts/{HUNT}", receive_buffer=receive_buffer)
    await raw.send_text(orjson.dumps({"op": "join", "id": secrets.token_urlsafe(16), "name": name}).decode())
    while True:
        text = await raw.receive_text()
        assert text is not None
        if orjson.loads(text).get("op") == "ack":
            return raw


async def join_into(joined: list[RawSocket], server: LocalServer, name: str) -> None:
    joined.append(await joined_raw(server, name))


async def ping_latencies(server: LocalServer, seconds: float, latencies: list[float]) -> None:
    """A well-behaved player: one ping at a time, each ack's round trip recorded."""
    async with open_websocket(server.ws_url(HUNT)) as ws:
        await ws.send_message(orjson.dumps({"op": "join", "id": secrets.token_urlsafe(16), "name": "good"}).decode())
        while orjson.loads(await ws.get_message()).get("op") != "ack":
            pass
        end = trio.current_time() + seconds
        n = 0
        while trio.current_time() < end:
            n += 1
            sent = trio.current_time()
            await ws.send_message(orjson.dumps({"op": "ping", "id": f"g{n}", "lat": 1.0, "lon": 2.0}).decode())
            with trio.fail_after(10):
                while orjson.loads(await ws.get_message()).get("id") != f"g{n}":
                    pass
            latencies.append(trio.current_time() - sent)
            await trio.sleep(0.005)


def p99_ms(values: list[float]) -> float:
    return percentile(sorted(values), 99) * 1000 if values else math.nan


async def hog(raw: RawSocket, seconds: float, sent: list[int]) -> None:
    """Send frames and never read: each (an unknown op: no commit) earns a reply that piles up unread."""
    frame = orjson.dumps({"op": "hoard", "id": "h"}).decode()
    with trio.move_on_after(seconds):
        try:
            while True:
                await raw.send_text(frame)
                sent.append(len(frame))
        except trio.BrokenResourceError:  # the server gave up on us: the point of the test
            pass


async def test_readers_that_never_read_hold_bounded_memory_delay_nobody_and_are_shed(tmp_path: Path) -> None:
    idle_s = 0.5  # the hogs are shed after this with nothing read, plus as long with nothing acked
    async with open_local_server(tmp_path / "data", limits={**LIMITS, "ws_idle_timeout_s": idle_s}) as server:
        await start_hunt(server)
        process = psutil.Process()
        baseline: list[float] = []
        await ping_latencies(server, 1.0, baseline)
        fds_before = process.num_fds()

        hogs = [await joined_raw(server, f"hog{i}", receive_buffer=4096) for i in range(20)]
        sent: list[list[int]] = [[] for _ in hogs]
        rss_before = process.memory_info().rss
        rss_peak, outbox_peak, shed_after = rss_before, 0, math.inf
        during: list[float] = []
        started = trio.current_time()

        async def scores_move() -> None:  # leaderboard pushes to every connection
            for n in range(100):
                await server.http.post(f"/admin/hunts/{HUNT}/adjust",
                                       json={"player": f"p{2 + n % 20}", "delta": 1, "id": f"adj{n}"})
                await trio.sleep(0.02)

        async with trio.open_nursery() as nursery:
            for raw, log in zip(hogs, sent, strict=True):
                nursery.start_soon(hog, raw, 10.0, log)
            nursery.start_soon(scores_move)
            nursery.start_soon(ping_latencies, server, 10.0, during)
            with trio.move_on_after(10.0):
                while True:
                    await trio.sleep(0.1)
                    stats = server.ctx.connections.statistics()
                    rss_peak = max(rss_peak, process.memory_info().rss)
                    outbox_peak = max(outbox_peak, stats.outbox_used_max)
                    if shed_after == math.inf and stats.open <= 1 and trio.current_time() - started > 2.0:
                        shed_after = trio.current_time() - started  # only the good player left
                    if shed_after < math.inf and len(during) >= 50:  # (their sockets are still open)
                        break
            nursery.cancel_scope.cancel()

        figures = (f"good player p99 {p99_ms(baseline):.1f} ms alone, {p99_ms(during):.1f} ms beside 20 hogs; "
                   f"RSS +{(rss_peak - rss_before) / 2**20:.1f} MB; outbox peak {outbox_peak}; hogs got "
                   f"{sum(map(sum, sent)) / 1024:.0f} KiB in; shed after {shed_after:.1f} s")
        assert outbox_peak == OUTBOX, figures  # the hogs' outboxes filled up, and no further
        assert rss_peak - rss_before < 40 * 2**20, figures
        assert max(map(sum, sent)) < 4 * 2**20, figures  # the server stopped reading them (backpressure)
        assert len(during) >= 50 and p99_ms(during) <= max(3 * p99_ms(baseline), p99_ms(baseline) + 150), figures
        # Shed after the idle timeout with nothing read (not served, counted or pushed to from
        # then on); a write blocked in hypercorn holds only its socket until they go (below).
        assert shed_after < 10.0, figures
        for raw in hogs:
            raw.close()
        with trio.fail_after(5):  # and every socket of theirs is closed once they are gone
            while process.num_fds() > fds_before + 2:  # (+ the admin client's pooled connection)
                await trio.sleep(0.05)


async def test_a_reader_that_never_reads_but_keeps_trickling_is_shed_too(tmp_path: Path) -> None:
    # Its frames keep coming (one every 2 ms, while its sends go through), and each arrival
    # postpones the kernel's zero-window probe, so the kernel does not fail the server's blocked
    # write to it (TCP_USER_TIMEOUT is checked when a probe goes out), and hypercorn does not let
    # that write be cancelled. The server must shed it anyway, after the idle timeout with
    # nothing read. (Without shedding at once it stayed open for the whole 8 s.)
    idle_s = 0.5
    async with open_local_server(tmp_path / "data", limits={**LIMITS, "ws_idle_timeout_s": idle_s}) as server:
        await start_hunt(server)
        raw = await joined_raw(server, "trickler", receive_buffer=4096)
        frame = orjson.dumps({"op": "hoard", "id": "h"}).decode()
        started = trio.current_time()
        with trio.move_on_after(8.0):
            while server.ctx.connections.statistics().open:
                try:
                    with trio.move_on_after(0.5):  # its kernel's buffers are full: try again later
                        await raw.send_text(frame)
                except trio.BrokenResourceError:  # reset by the server's kernel
                    break
                await trio.sleep(0.002)
        with trio.move_on_after(1.0):
            while server.ctx.connections.statistics().open:
                await trio.sleep(0.01)
        shed_after = trio.current_time() - started if not server.ctx.connections.statistics().open else math.inf
        raw.reset()
        assert shed_after < 6.0, f"shed after {shed_after:.1f} s"
        assert server.engine.live(HUNT).subscribers == 0


async def test_clients_that_vanish_without_a_close_are_forgotten_at_once(tmp_path: Path) -> None:
    # Server pings on (every 20 s, as `hunt serve`): hypercorn's pinger must not keep a dead
    # connection's socket open until its next ping (hunt.api._pings).
    async with open_local_server(tmp_path / "data", ws_ping_interval_s=20.0, limits=LIMITS) as server:
        await start_hunt(server)
        # One join first: it opens what a hunt keeps open once, whoever joins (its read-only
        # store for idempotency lookups on disk); what follows must give back every descriptor.
        (await joined_raw(server, "warm-up")).reset()
        with trio.fail_after(3):
            while server.ctx.connections.statistics().open:
                await trio.sleep(0.02)
        process = psutil.Process()
        fds_before, rss_before = process.num_fds(), process.memory_info().rss
        for round_ in range(5):
            ghosts: list[RawSocket] = []  # joined at once: one after another, the first would idle out
            async with trio.open_nursery() as nursery:
                for i in range(40):
                    nursery.start_soon(join_into, ghosts, server, f"ghost{round_}-{i}")
            assert server.ctx.connections.statistics().open == 40
            for raw in ghosts:
                raw.reset()
            with trio.fail_after(3):
                while server.ctx.connections.statistics().open or process.num_fds() > fds_before:
                    await trio.sleep(0.02)
        assert server.engine.live(HUNT).subscribers == 0
        assert server.ctx.connections.statistics().accepted == 201
        assert process.memory_info().rss - rss_before < 30 * 2**20

        # Vanishing after filling every buffer (frames the server has not read yet) is no different.
        hogs = [await joined_raw(server, f"hog{i}", receive_buffer=4096) for i in range(10)]
        async with trio.open_nursery() as nursery:
            for raw in hogs:
                nursery.start_soon(hog, raw, 0.5, [])
        for raw in hogs:
            raw.reset()
        with trio.fail_after(3):
            while server.ctx.connections.statistics().open or process.num_fds() > fds_before:
                await trio.sleep(0.02)


async def test_a_half_open_client_is_closed_by_the_idle_timeout_and_releases_its_socket(tmp_path: Path) -> None:
    async with open_local_server(tmp_path / "data", limits=LIMITS) as server:
        await start_hunt(server)
        process = psutil.Process()
        fds_before = process.num_fds()
        silent = [await joined_raw(server, f"silent{i}", receive_buffer=4096) for i in range(20)]
        latencies: list[float] = []
        started = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ping_latencies, server, 2.0, latencies)
            with trio.fail_after(5):
                while server.ctx.connections.statistics().open > 1:  # the good player stays
                    await trio.sleep(0.05)
            closed_after = trio.current_time() - started
        # The server closed its side: only the clients' own 20 sockets remain open here.
        assert process.num_fds() <= fds_before + len(silent) + 1
        assert closed_after < 3.0, closed_after
        assert latencies and p99_ms(latencies) < 500
        for raw in silent:
            raw.close()
