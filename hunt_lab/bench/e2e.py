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
from .roles import CpuWindow, per_thousand, projection, server_roles

__all__ = ["run_e2e"]


async def _sweep(url: str, token: str, rates: list[float], players: int, seconds: float, batch: int,
                 verify: bool, label: str, report: Callable[[str], None],
                 roles: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    results = []
    for rate in rates:
        config = SimConfig(url=url, admin_token=token, players=players, rate=rate, duration=seconds, batch=batch,
                           verify=verify)
        window = CpuWindow(roles or {})

        def mark(line: str, window: CpuWindow = window) -> None:  # from the first command to the drain's end
            if "players connected" in line:
                window.start()
            elif line.startswith("verifying"):
                window.stop()

        try:
            result = await simulate(config, mark)
            if roles:
                spent = window.spent or window.stop()
                result["cpu_s"] = spent
                result["cpu_s_per_1000"] = per_thousand(spent, result["acked"])
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
            report: Callable[[str], None], slo_ms: float = 1000.0, workers: tuple[int, ...] = (1,)) -> dict[str, Any]:
    """The sweep against ``hunt serve --workers W`` for each W (in this order), then the echo
    server. The top-level figures are the first mode's; ``modes`` has every mode's rows and its
    servers' CPU by role per rate."""
    token = secrets.token_urlsafe(24)

    async def all_modes() -> tuple[dict[int, list[dict[str, Any]]], list[dict[str, Any]]]:
        modes: dict[int, list[dict[str, Any]]] = {}
        with tempfile.TemporaryDirectory(prefix="hunt-e2e-") as temp:
            root = Path(temp)
            for count in workers:
                report(f"hunt server, --workers {count}:")
                async with ServerProcess(root / f"data-{count}", root / f"hunt-logs-{count}", admin_token=token,
                                         extra_args=("--workers", str(count))) as server:
                    url = await server.start(timeout=60)
                    modes[count] = await _sweep(url, token, rates, players, seconds, batch, True,
                                                f"w{count}", report, server_roles(server.pid))
                    await server.stop()
            report("echo server (same stack, no engine):")
            async with ServerProcess(None, root / "echo-logs", program=("hunt_lab.bench.echo",)) as server:
                echo = await _sweep(await server.start(), token, rates, players, seconds, batch, False, "echo", report)
                await server.stop()
        return modes, echo

    modes, echo = trio.run(all_modes)
    hunt = modes[workers[0]]
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
        "modes": [_mode(count, rows, echo, slo_ms, latency_rate) for count, rows in modes.items()],
    }
    if 1 in modes and len(modes) > 1:
        result["projection"] = _projection(modes, latency_rate)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    table = out_dir / f"e2e-{stamp}.md"
    table.write_text(markdown(result))
    result["table"] = str(table)
    result["plot"] = _plot(result, out_dir / f"e2e-{stamp}.png")
    return result


def _row(r: dict[str, Any]) -> dict[str, Any]:
    keys = ("offered_per_s", "events_per_s", "p50_ms", "p99_ms", "p999_ms", "errors", "unanswered", "lost",
            "cpu_s_per_1000")
    return {k: r.get(k) for k in keys if k in r}


def _mode(count: int, rows: list[dict[str, Any]], echo: list[dict[str, Any]], slo_ms: float,
          latency_rate: float) -> dict[str, Any]:
    best, echo_best = _best(rows, slo_ms), _best(echo, slo_ms)
    at = _at_rate(rows, latency_rate)
    return {"workers": count, "events_per_s": best, "ratio_to_echo": round(best / echo_best, 3) if echo_best else None,
            "p50_ms": at["p50_ms"], "p99_ms": at["p99_ms"], "cpu_s_per_1000": at.get("cpu_s_per_1000", {}),
            "lost": sum(r["lost"] for r in rows), "rows": [_row(r) for r in rows]}


def _projection(modes: dict[int, list[dict[str, Any]]], latency_rate: float) -> dict[str, Any]:
    """From the CPU per command at the rate nearest ``latency_rate`` (the same offered load in both modes)."""
    single = _at_rate(modes[1], latency_rate).get("cpu_s_per_1000", {})
    several = max(count for count in modes if count > 1)
    split = _at_rate(modes[several], latency_rate).get("cpu_s_per_1000", {})
    return {"workers": several, **projection(single, split)}


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
    lines += _modes_markdown(result)
    lines += ["", f"sustained (p99 <= {result['slo_p99_ms']:,.0f} ms): hunt {result['events_per_s']:,.0f}/s vs echo "
                  f"{result['echo_events_per_s']:,.0f}/s, ratio {result['ratio_to_echo']:.2f}; "
                  f"lost events {result['lost']}", ""]
    return "\n".join(lines)


def _modes_markdown(result: dict[str, Any]) -> list[str]:
    modes = result.get("modes", [])
    if len(modes) < 2:
        return []
    heads = [f"w{m['workers']} acks/s | w{m['workers']} p50 ms | w{m['workers']} p99 ms" for m in modes]
    lines = ["", "| offered/s | " + " | ".join(heads) + " |",
             "| ---: |" + " ---: | ---: | ---: |" * len(modes)]
    for i, rate in enumerate(result["rates"]):
        cells = [f"{m['rows'][i]['events_per_s']:,.0f} | {m['rows'][i]['p50_ms']:.1f} | {m['rows'][i]['p99_ms']:.1f}"
                 for m in modes]
        lines.append(f"| {rate:,.0f} | " + " | ".join(cells) + " |")
    lines += ["", f"CPU seconds per 1,000 acked commands at {result['latency_rate']:,.0f}/s offered:", "",
              "| mode | role | CPU s / 1,000 acks |", "| --- | --- | ---: |"]
    for m in modes:
        for role, value in m["cpu_s_per_1000"].items():
            lines.append(f"| --workers {m['workers']} | {role} | {value:.3f} |")
    projected = result.get("projection")
    if projected:
        lines += ["", f"PROJECTION ({projected['label']}), commands/s:", "",
                  "| cores | one process | one hot hunt, --workers | all hunts, one owner per core (not built) |",
                  "| ---: | ---: | ---: | ---: |"]
        for row in projected["rows"]:
            lines.append(f"| {row['cores']} | {row['one_process_per_s']:,} | {row['hot_hunt_per_s']:,} | "
                         f"{row['owner_per_core_all_hunts_per_s']:,} |")
    return lines


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
