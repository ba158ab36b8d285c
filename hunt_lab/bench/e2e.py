"""``hunt bench e2e``: the hunt server against a bare echo server on the same stack.

Both run as subprocesses on loopback and are driven by the same in-process client
(``hunt simulate``'s players) at the same rising rates, in the same run. The report gives
the hunt server's best sustained ack rate as a fraction of the echo ceiling, latency at each
rate, a markdown table and a PNG plot of latency against throughput.
"""

from __future__ import annotations

import math
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from ..servers.process import ServerProcess
from ..sim import SimConfig, simulate

__all__ = ["run_e2e"]


async def _sweep(url: str, token: str, rates: list[float], players: int, seconds: float, batch: int,
                 verify: bool, label: str, report: Callable[[str], None]) -> list[dict[str, Any]]:
    results = []
    for rate in rates:
        config = SimConfig(url=url, admin_token=token, players=players, rate=rate, duration=seconds, batch=batch,
                           verify=verify)
        try:
            result = await simulate(config, lambda _line: None)
        except Exception as err:  # a rate the server (or the client) cannot take: say so, go on
            report(f"  {label:<5} offered {rate:>9,.0f}/s  failed: {type(err).__name__}: {err}")
            results.append({"offered_per_s": rate, "events_per_s": 0.0, "p50_ms": math.nan, "p99_ms": math.nan,
                            "p999_ms": math.nan, "errors": 0, "unanswered": 0, "lost": 0, "failed": repr(err)})
            continue
        results.append(result)
        report(f"  {label:<5} offered {rate:>9,.0f}/s  acked {result['events_per_s']:>9,.0f}/s  "
               f"p50 {result['p50_ms']:>8.1f} ms  p99 {result['p99_ms']:>8.1f} ms  errors {result['errors']}  "
               f"lost {result['lost']}")
    return results


def _best(results: list[dict[str, Any]], slo_ms: float = math.inf) -> float:
    """The best acked rate among the rates served with p99 within ``slo_ms`` (sustained, not a drain)."""
    return max((r["events_per_s"] for r in results if r["p99_ms"] <= slo_ms), default=0.0)


def _at_rate(results: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    return min(results, key=lambda r: abs(r["offered_per_s"] - rate))


def run_e2e(*, rates: list[float], players: int, seconds: float, batch: int, latency_rate: float, out_dir: Path,
            report: Callable[[str], None], slo_ms: float = 1000.0) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)

    async def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with tempfile.TemporaryDirectory(prefix="hunt-e2e-") as temp:
            root = Path(temp)
            report("hunt server:")
            async with ServerProcess(root / "data", root / "hunt-logs", admin_token=token) as server:
                hunt = await _sweep(await server.start(), token, rates, players, seconds, batch, True, "hunt", report)
                await server.stop()
            report("echo server (same stack, no engine):")
            async with ServerProcess(None, root / "echo-logs", program=("hunt_lab.bench.echo",)) as server:
                echo = await _sweep(await server.start(), token, rates, players, seconds, batch, False, "echo", report)
                await server.stop()
        return hunt, echo

    hunt, echo = trio.run(both)
    at = _at_rate(hunt, latency_rate)
    result = {
        "machine": {"cpus": os.cpu_count()}, "players": players, "seconds_per_rate": seconds, "batch": batch,
        "rates": rates,
        "slo_p99_ms": slo_ms,
        "events_per_s": _best(hunt, slo_ms), "echo_events_per_s": _best(echo, slo_ms),
        "ratio_to_echo": round(_best(hunt, slo_ms) / _best(echo, slo_ms), 3) if _best(echo, slo_ms) else math.nan,
        "best_acked_per_s": _best(hunt), "echo_best_acked_per_s": _best(echo),
        "latency_rate": at["offered_per_s"], "p50_ms": at["p50_ms"], "p99_ms": at["p99_ms"],
        "p999_ms": at["p999_ms"], "lost": sum(r["lost"] for r in hunt),
        "errors": sum(r["errors"] for r in hunt), "unanswered": sum(r["unanswered"] for r in hunt),
        "hunt": [_row(r) for r in hunt], "echo": [_row(r) for r in echo],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    table = out_dir / f"e2e-{stamp}.md"
    table.write_text(markdown(result))
    result["table"] = str(table)
    result["plot"] = _plot(result, out_dir / f"e2e-{stamp}.png")
    return result


def _row(r: dict[str, Any]) -> dict[str, Any]:
    keys = ("offered_per_s", "events_per_s", "p50_ms", "p99_ms", "p999_ms", "errors", "unanswered", "lost")
    return {k: r.get(k) for k in keys}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"hunt bench e2e — {result['players']} players, {result['seconds_per_rate']} s per rate, "
        f"batch {result['batch']}, {result['machine']['cpus']} CPUs",
        "",
        "| offered/s | hunt acks/s | hunt p50 ms | hunt p99 ms | echo acks/s | echo p50 ms | echo p99 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for h, e in zip(result["hunt"], result["echo"], strict=True):
        lines.append(f"| {h['offered_per_s']:,.0f} | {h['events_per_s']:,.0f} | {h['p50_ms']:.1f} | {h['p99_ms']:.1f} "
                     f"| {e['events_per_s']:,.0f} | {e['p50_ms']:.1f} | {e['p99_ms']:.1f} |")
    lines += ["", f"sustained (p99 <= {result['slo_p99_ms']:,.0f} ms): hunt {result['events_per_s']:,.0f}/s vs echo "
                  f"{result['echo_events_per_s']:,.0f}/s, ratio {result['ratio_to_echo']:.2f}; "
                  f"lost events {result['lost']}", ""]
    return "\n".join(lines)


def _plot(result: dict[str, Any], path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, style in (("hunt", "o-"), ("echo", "s--")):
        rows = result[name]
        ax.plot([r["events_per_s"] for r in rows], [r["p99_ms"] for r in rows], style, label=f"{name} p99")
        ax.plot([r["events_per_s"] for r in rows], [r["p50_ms"] for r in rows], style, alpha=0.5,
                label=f"{name} p50")
    ax.set_xlabel("acked events per second")
    ax.set_ylabel("ack latency (ms, log)")
    ax.set_yscale("log")
    ax.set_title(f"hunt vs echo, {result['players']} players, batch {result['batch']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
