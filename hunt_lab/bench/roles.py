"""CPU by role of a running ``hunt serve``: the one process, or the owner, each gateway and nats-server.

:func:`server_roles` names the processes of a server started with ``--workers N`` (the owner is
the process itself, gateways and nats-server are its children); :class:`CpuWindow` takes the
CPU seconds (user + system) each spent between two moments; :func:`per_thousand` turns them
into CPU seconds per 1,000 acked commands. :func:`projection` extrapolates, clearly labelled.
"""

from __future__ import annotations

from typing import Any

import psutil

__all__ = ["CpuWindow", "per_thousand", "projection", "server_roles"]

GATEWAY_MODULE = "hunt.cli._workers"


def server_roles(pid: int) -> dict[str, psutil.Process]:
    """``{"server": p}`` for one process; ``{"owner", "gateway-0", ..., "nats-server"}`` with workers."""
    root = psutil.Process(pid)
    gateways, others = [], {}
    for child in root.children():
        try:
            if GATEWAY_MODULE in " ".join(child.cmdline()):
                gateways.append(child)
            elif child.name() == "nats-server":
                others["nats-server"] = child
        except psutil.NoSuchProcess:
            continue
    if not gateways:
        return {"server": root}
    roles = {"owner": root}
    for index, gateway in enumerate(sorted(gateways, key=lambda p: p.pid)):
        roles[f"gateway-{index}"] = gateway
    roles.update(others)
    return roles


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


class CpuWindow:
    """CPU seconds each role spent between :meth:`start` and :meth:`stop`."""

    def __init__(self, roles: dict[str, psutil.Process]) -> None:
        self.roles = roles
        self._start: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: _cpu(process) for name, process in self.roles.items()}

    def stop(self) -> dict[str, float]:
        self.spent = {name: round(_cpu(process) - self._start.get(name, 0.0), 3)
                      for name, process in self.roles.items()}
        return self.spent


def per_thousand(spent: dict[str, float], acked: int) -> dict[str, float]:
    """CPU seconds per 1,000 acked commands, by role, and ``total``."""
    if acked <= 0:
        return {}
    rows = {name: round(seconds * 1000 / acked, 4) for name, seconds in spent.items()}
    rows["total"] = round(sum(spent.values()) * 1000 / acked, 4)
    return rows


def projection(single: dict[str, float], workers: dict[str, float], cores: tuple[int, ...] = (4, 8, 16)
               ) -> dict[str, Any]:
    """A projection (not a measurement) from CPU seconds per 1,000 commands.

    One process: every command costs ``single["server"]`` on one core, whatever the machine.
    ``--workers``: the owner's part stays on one core (one hot hunt, or every hunt with one
    owner process as built today); gateways and nats-server spread over the other cores. Many
    hunts with one owner per core (the placement seam, not built) would use every core.
    Assumes linear scaling and no contention: an upper bound.
    """
    server = single.get("server", 0.0) / 1000
    owner = workers.get("owner", 0.0) / 1000
    edge = sum(v for k, v in workers.items() if k.startswith("gateway-") or k == "nats-server") / 1000
    rows = []
    for n in cores:
        hot = min(1 / owner if owner else float("inf"), (n - 1) / edge if edge else float("inf"))
        rows.append({"cores": n, "one_process_per_s": round(1 / server) if server else None,
                     "hot_hunt_per_s": round(hot), "one_owner_all_hunts_per_s": round(hot),
                     "owner_per_core_all_hunts_per_s": round(n / (owner + edge)) if owner + edge else None})
    return {"label": "projection from measured CPU per command; linear scaling assumed, not measured",
            "rows": rows}
