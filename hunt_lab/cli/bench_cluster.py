"""``hunt bench failover``: cluster mode's figures (ack latency against one node at the same
load, events/s per node, failover time over repeated SIGKILLs); see hunt_lab/bench/failover.py
and docs/cluster.md."""

from __future__ import annotations

import argparse

from hunt.cli._common import err_console

from .bench_reliability import _common

__all__ = ["register_cluster"]


def register_cluster(kinds: argparse._SubParsersAction) -> None:
    failover = kinds.add_parser(
        "failover", help="cluster mode: failover time over repeated SIGKILLs, ack p99 against one node",
        description="Starts one `hunt serve` and finds its capacity on 3 hunts (open loop, rising --rates), "
                    "then offers half of it to that node and to 3 `hunt serve --cluster` nodes over a 3-server "
                    "NATS cluster (every command forwarded to its hunt's owner), then SIGKILLs a hunt's owner "
                    "--kills times under load (restarting it between kills) and measures the time from each kill "
                    "to the first ack on the new owner. Audits every hunt's final log. Exit 1 if an acked "
                    "command was lost or applied twice.")
    failover.add_argument("--kills", type=int, default=10, help="SIGKILLs (default %(default)s)")
    failover.add_argument("--lease", type=float, default=5.0, help="cluster.lease_s (default %(default)s)")
    failover.add_argument("--rates", default="150,300,600,1200",
                          help="offered commands/s for the single node's capacity (default %(default)s)")
    failover.add_argument("--players", type=int, default=60, help="open-loop players (default %(default)s)")
    failover.add_argument("--seconds", type=float, default=5.0, help="seconds per rate (default %(default)s)")
    failover.add_argument("--slo-ms", type=float, default=1000.0,
                          help="capacity: the highest rate acked in full with p99 under this (default %(default)s)")
    failover.add_argument("--failover-players", type=int, default=4,
                          help="players per hunt during the kills, 20 commands/s each (default %(default)s)")
    _common(failover, _failover)


def _failover(args: argparse.Namespace) -> int:
    from ..bench.failover import bench_failover
    from .bench_reliability import _print, _run

    try:
        rates = [float(part) for part in args.rates.split(",")]
    except ValueError:
        err_console.print(f"hunt bench failover: --rates must be numbers separated by commas, got {args.rates!r}")
        return 2
    if args.kills < 1 or args.lease <= 0 or min(rates) <= 0 or args.players < 3 or args.seconds <= 0:
        err_console.print("hunt bench failover: --kills, --lease, --rates and --seconds must be positive, "
                          "--players at least 3")
        return 2
    result = _run(args, lambda data, _logs, say: bench_failover(
        data, kills=args.kills, lease_s=args.lease, rates=rates, players=args.players, seconds=args.seconds,
        slo_ms=args.slo_ms, failover_players=args.failover_players, say=say))
    single, cluster = result["single"], result["cluster"]
    problems = result["problems"]
    _print(args, result, [
        f"hunt bench failover: single-node capacity {result['capacity_per_s']:,.0f}/s; at half of it "
        f"({result['half_load_per_s']:,.0f}/s):",
        f"  one node:        p50 {single['p50_ms']:.1f} ms  p99 {single['p99_ms']:.1f} ms  "
        f"acked {single['acked_per_s']:,.0f}/s",
        f"  cluster, 3 nodes: p50 {cluster['p50_ms']:.1f} ms  p99 {cluster['p99_ms']:.1f} ms  "
        f"acked {cluster['acked_per_s']:,.0f}/s  (p99 ratio {result['p99_ratio']}x; events/s by node "
        f"{cluster['events_per_s_by_node']})",
        f"  cluster capacity {result['cluster_capacity_per_s']:,.0f}/s (same criterion): events/s by node "
        f"{result['events_per_s_by_node_at_capacity']}",
        f"  failover over {result['kills']} SIGKILLs (lease {result['lease_s']:g} s): p50 "
        f"{result['failover_p50_s']:.2f} s  p99 {result['failover_p99_s']:.2f} s  (each: {result['failover_s']})",
        f"  {result['acked']:,} commands acked ({result['duplicate_acks']} as duplicates of a resend); "
        + ("0 lost, 0 applied twice, no gap" if not problems else f"BROKEN: {problems}"),
    ])
    return 1 if problems else 0
