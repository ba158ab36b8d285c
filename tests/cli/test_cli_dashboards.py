"""The Grafana dashboard and the alert rules in docs/ ask only for metrics /metrics exposes."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families
from trio_websocket import open_websocket_url

from hunt_lab.faults import ServerProcess

DOCS = Path(__file__).resolve().parents[2] / "docs"
METRIC = re.compile(r"\bhunt_[a-z_]+\b")


def dashboard_names() -> set[str]:
    dashboard = orjson.loads((DOCS / "grafana-dashboard.json").read_bytes())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 10
    return {name for expr in exprs for name in METRIC.findall(expr)}


def alert_names() -> set[str]:
    exprs = [line.split("expr:", 1)[1] for line in (DOCS / "prometheus-alerts.yml").read_text().splitlines()
             if line.strip().startswith("expr:")]
    assert len(exprs) >= 5
    return {name for expr in exprs for name in METRIC.findall(expr)}


def exposed(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names.update(f"{family.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
    return names


async def test_dashboard_and_alerts_use_only_exposed_metrics(tmp_path: Path) -> None:
    async with ServerProcess(tmp_path / "data", tmp_path / "logs", extra_args=["--sample"]) as server:
        await server.start()
        async with open_websocket_url(server.ws_url("harbor-2026")) as ws:  # a command: the histograms fill
            await ws.send_message(orjson.dumps({"op": "join", "id": secrets.token_urlsafe(24), "name": "A"}).decode())
            await ws.get_message()
            async with httpx.AsyncClient(base_url=server.url) as http:
                response = await http.get("/metrics", headers=server.admin_headers)
        assert response.status_code == 200
    metrics = exposed(response.text)
    wanted = dashboard_names()
    assert wanted - metrics == set()
    assert alert_names() - metrics == set()
    # What an operator must see: mailbox depth, batch sizes, commit and ack latency, loop lag,
    # connections, relay lag, refusals by code.
    assert {"hunt_mailbox_depth", "hunt_actor_batches_total", "hunt_actor_messages_total",
            "hunt_actor_handler_seconds_total", "hunt_command_ack_seconds_bucket", "hunt_event_loop_lag_seconds",
            "hunt_ws_connections", "hunt_relay_lag_seconds", "hunt_command_refusals_total"} <= wanted
    assert {"hunt_event_loop_lag_seconds", "hunt_mailbox_depth", "hunt_relay_lag_seconds"} <= alert_names()
