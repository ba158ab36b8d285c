"""``hunt bench failover``: cluster mode's figures, on loopback, in one run.

1. **Ack latency, cluster against one node, at the same load.** One ``hunt serve`` process
   takes the standard workload (``hunt simulate``'s open-loop players) on three hunts at rising
   rates; its capacity is the highest rate answered in full (at least 95% of the offered rate,
   acks and the game's refusals, no error, nothing unanswered) with p99 under ``slo_ms``. Then
   half of that capacity is offered to the single node again
   and to a cluster of three nodes (three ``hunt serve --cluster`` processes over a 3-server
   NATS cluster with JetStream, the log replicated three times), one hunt on each node, the
   players of each hunt connected to the *next* node: every command is forwarded to its
   owner (the worst case; a client on the owner's node skips that hop). Reported: acked/s,
   p50/p99 (from when each command was due), the ratio of the p99s, and events/s per node;
   then the cluster takes the same rising rates, for its own capacity and the events/s per
   node there.
2. **Failover time.** On the same cluster, players keep sending to every hunt (each resends
   an unanswered command with the same id through another node) while a hunt's owner is
   SIGKILLed ``kills`` times (the killed node is started again before the next kill).
   Failover time: from the kill to the first ack of that hunt's players later than 50 ms after
   the kill (nothing the dead process sent can arrive later than that on loopback).
   Afterwards every hunt's final log is audited: acked commands lost, applied twice, gaps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from ..clients.failover import FailoverPlayer
from ..faults.cluster import ClusterLab, ping_at
from ..measure import percentile
from ..servers.nats import find_nats_server
from ..servers.nats_cluster import LocalNatsCluster
from ..servers.nodes import ADMIN_TOKEN
from ..servers.process import ServerProcess
from ..sim import SimConfig, simulate

__all__ = ["bench_failover"]

HUNTS = ("bench-h1", "bench-h2", "bench-h3")
FIRST_ACK_AFTER_S = 0.05


async def _load(urls: list[str], hunts: tuple[str, ...], rate: float, players: int, seconds: float,
                ) -> dict[str, Any]:
    """``rate`` commands/s spread over the hunts, hunt i's players on ``urls[i]``; merged summary."""
    results: list[dict[str, Any]] = []

    async def one(url: str, hunt: str) -> None:
        config = SimConfig(url=url, admin_token=ADMIN_TOKEN, hunt=hunt, players=max(players // len(hunts), 1),
                           rate=rate / len(hunts), duration=seconds, verify=True)
        results.append(await simulate(config, lambda _line: None))

    async with trio.open_nursery() as nursery:
        for url, hunt in zip(urls, hunts, strict=True):
            nursery.start_soon(one, url, hunt)
    by_hunt = {r["hunt"]: r for r in results}
    return {"offered_per_s": rate, "acked_per_s": round(sum(r["events_per_s"] for r in results), 1),
            "answered_per_s": round(sum(r["replies_per_s"] for r in results), 1),
            "p50_ms": max(r["p50_ms"] for r in results), "p99_ms": max(r["p99_ms"] for r in results),
            "lost": sum(r["lost"] for r in results), "errors": sum(r["errors"] for r in results),
            "unanswered": sum(r["unanswered"] for r in results),
            "events_per_s_by_hunt": {hunt: by_hunt[hunt]["events_per_s"] for hunt in hunts}}


async def _create(base_url: str, hunts: tuple[str, ...], pause_s: float = 0.0) -> None:
    import httpx

    from ..faults.cluster import HUNT

    async with httpx.AsyncClient(base_url=base_url, timeout=30,
                                 headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
        for hunt in hunts:
            assert (await http.post("/admin/hunts", json={**HUNT, "id": hunt})).status_code == 201
            assert (await http.post(f"/admin/hunts/{hunt}/start")).status_code == 200
            await trio.sleep(pause_s)


async def _single_node(root: Path, rates: list[float], players: int, seconds: float, slo_ms: float,
                       say: Callable[[str], None]) -> tuple[float, list[dict[str, Any]]]:
    """The single node's sweep; returns (capacity, rows)."""
    server = ServerProcess(root / "single" / "data", root / "single" / "logs", admin_token=ADMIN_TOKEN,
                           env={"HUNT_STORE_SYNCHRONOUS": "NORMAL"})
    rows = []
    async with server:
        await server.start()
        await _create(server.url, HUNTS)
        for rate in rates:
            row = await _load([server.url] * len(HUNTS), HUNTS, rate, players, seconds)
            rows.append(row)
            say(f"  single node: offered {rate:,.0f}/s  acked {row['acked_per_s']:,.0f}/s  "
                f"p50 {row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms  lost {row['lost']}")
        await server.stop()
    return (_capacity(rows, slo_ms) or rates[0]), rows


def _capacity(rows: list[dict[str, Any]], slo_ms: float) -> float:
    """The highest offered rate answered in full (95%), with no error or unanswered command and
    p99 within ``slo_ms``; 0 if none."""
    full = [r for r in rows if r["answered_per_s"] >= 0.95 * r["offered_per_s"] and r["p99_ms"] <= slo_ms
            and not r["errors"] and not r["unanswered"]]
    return max((r["offered_per_s"] for r in full), default=0.0)


def _by_node(row: dict[str, Any], node_of: dict[str, str]) -> dict[str, float]:
    per_node: dict[str, float] = {}
    for hunt, events in row["events_per_s_by_hunt"].items():
        per_node[node_of[hunt]] = per_node.get(node_of[hunt], 0.0) + events
    return {node: round(events, 1) for node, events in sorted(per_node.items())}


async def _half_load_single(root: Path, rate: float, players: int, seconds: float) -> dict[str, Any]:
    server = ServerProcess(root / "single2" / "data", root / "single2" / "logs", admin_token=ADMIN_TOKEN,
                           env={"HUNT_STORE_SYNCHRONOUS": "NORMAL"})
    async with server:
        await server.start()
        await _create(server.url, HUNTS)
        row = await _load([server.url] * len(HUNTS), HUNTS, rate, players, seconds)
        await server.stop()
    return row


async def _owner(lab: ClusterLab, hunt: str, timeout: float = 10.0) -> str:
    """The node serving ``hunt`` by its own account (another node's view may lag a renewal)."""
    with trio.fail_after(timeout):
        while True:
            seen = (await lab.owners(lab.live()[0]))[hunt]
            if seen is not None and (await lab.owners(seen))[hunt] == seen:
                return seen
            await trio.sleep(0.1)


async def _failovers(lab: ClusterLab, kills: int, players_per_hunt: int,
                     say: Callable[[str], None]) -> dict[str, Any]:
    stop = trio.Event()
    players: dict[str, list[FailoverPlayer]] = {hunt: lab.players(hunt, players_per_hunt) for hunt in HUNTS}
    times: list[float] = []
    async with trio.open_nursery() as nursery:
        for group in players.values():
            for player in group:
                nursery.start_soon(lambda p=player: p.run(ping_at, 10**9, interval_s=0.05, stop=stop))
        await trio.sleep(2.0)
        for index in range(kills):
            hunt = HUNTS[index % len(HUNTS)]
            victim = await _owner(lab, hunt)
            killed_at = trio.current_time()
            lab.kill(victim)
            with trio.fail_after(lab.lease_s + 30):
                while True:
                    after = [ack.acked for p in players[hunt] for ack in p.acks
                             if ack.acked > killed_at + FIRST_ACK_AFTER_S]
                    if after:
                        break
                    await trio.sleep(0.01)
            times.append(min(after) - killed_at)
            say(f"  kill {index + 1}/{kills}: {victim} (owner of {hunt}); first ack on the new owner "
                f"after {times[-1]:.2f} s")
            await lab.nodes[victim].start()
            await lab.wait(lambda s: len(s["nodes"]) == len(lab.names) and all(h["owner"] for h in s["hunts"]),
                           timeout=lab.lease_s * 4 + 10)
            await trio.sleep(1.0)
        stop.set()
    problems = {hunt: await lab.audit(hunt) for hunt in HUNTS}
    ordered = sorted(times)
    return {"kills": kills, "failover_s": [round(t, 3) for t in times],
            "failover_p50_s": round(percentile(ordered, 50), 3), "failover_p99_s": round(percentile(ordered, 99), 3),
            "acked": sum(len(lab.ledgers[h].acks) for h in HUNTS),
            "duplicate_acks": sum(lab.ledgers[h].duplicates for h in HUNTS),
            "problems": {hunt: found for hunt, found in problems.items() if found}}


async def bench_failover(root: Path, *, kills: int, lease_s: float, rates: list[float], players: int,
                         seconds: float, slo_ms: float, failover_players: int,
                         say: Callable[[str], None]) -> dict[str, Any]:
    """Run both parts (see the module's docstring); one result dict."""
    binary = find_nats_server()
    if binary is None:
        raise RuntimeError("nats-server is not installed (apt-get install nats-server)")
    say(f"single node, {len(HUNTS)} hunts, {players} players, {seconds:g} s per rate: finding its capacity")
    capacity, sweep = await _single_node(root, rates, players, seconds, slo_ms, say)
    half = capacity / 2
    say(f"capacity {capacity:,.0f}/s (acked in full, p99 <= {slo_ms:g} ms); half of it: {half:,.0f}/s")
    single = await _half_load_single(root, half, players, seconds)
    say(f"  single node at {half:,.0f}/s: p50 {single['p50_ms']:.1f} ms  p99 {single['p99_ms']:.1f} ms")
    with LocalNatsCluster(binary, root / "nats") as nats:
        lab = ClusterLab(root / "cluster", nats.url, lease_s=lease_s)
        try:
            await lab.start()
            await _create(lab.nodes[lab.names[0]].url, HUNTS, pause_s=lease_s / 3 + 0.2)
            owners = await lab.owners(lab.names[0])
            node_of = {hunt: owner for hunt, owner in owners.items() if owner}
            urls = [lab.nodes[lab.names[(lab.names.index(node_of[h]) + 1) % len(lab.names)]].url for h in HUNTS]
            cluster = await _load(urls, HUNTS, half, players, seconds)
            cluster["events_per_s_by_node"] = _by_node(cluster, node_of)
            say(f"  cluster (3 nodes) at {half:,.0f}/s: p50 {cluster['p50_ms']:.1f} ms  p99 {cluster['p99_ms']:.1f} ms"
                f"  events/s by node {cluster['events_per_s_by_node']}")
            sweep_cluster = []
            for rate in rates:  # the cluster's own capacity: events/s per node at the highest rate it takes
                row = await _load(urls, HUNTS, rate, players, seconds)
                row["events_per_s_by_node"] = _by_node(row, node_of)
                sweep_cluster.append(row)
                say(f"  cluster: offered {rate:,.0f}/s  acked {row['acked_per_s']:,.0f}/s  p50 {row['p50_ms']:.1f} ms"
                    f"  p99 {row['p99_ms']:.1f} ms  events/s by node {row['events_per_s_by_node']}")
            cluster_capacity = _capacity(sweep_cluster, slo_ms) or rates[0]
            say(f"failover: {kills} SIGKILLs of a hunt's owner under load (lease {lease_s:g} s)")
            failover = await _failovers(lab, kills, failover_players, say)
        finally:
            lab.close()
    ratio = cluster["p99_ms"] / single["p99_ms"] if single["p99_ms"] else math.nan
    at_capacity = next(r for r in sweep_cluster if r["offered_per_s"] == cluster_capacity)
    return {"capacity_per_s": capacity, "half_load_per_s": half, "sweep": sweep, "single": single,
            "cluster": cluster, "p99_ratio": round(ratio, 2), "lease_s": lease_s,
            "cluster_sweep": sweep_cluster, "cluster_capacity_per_s": cluster_capacity,
            "events_per_s_by_node_at_capacity": at_capacity["events_per_s_by_node"], **failover}
