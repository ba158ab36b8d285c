"""``/metrics``: Prometheus text, read from the engine at scrape time.

A per-app registry holds one custom collector; it keeps no counters of its own but reads the
engine's statistics (router, subscribers, loaded states) when scraped, so nothing on the hot path
pays for metrics.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from quart import Response, request

from actors import ActorStatistics

from ..engine import ACK_BUCKETS_S, EngineStatistics
from ..protocol import ErrorCode, RequestError, Unauthorized
from ._address import is_loopback
from ._context import ApiContext
from ._gate import client_of

__all__ = ["EngineCollector", "check_metrics_access", "metrics_registry", "metrics_response"]


class EngineCollector:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        engine = self.ctx.engine
        statistics = engine.statistics()
        router = statistics.router
        for name, value, text in (
            ("activations", router.activations, "hunt actors activated"),
            ("passivations", router.passivations, "idle hunt actors unloaded"),
            ("restarts", router.restarts, "hunt actors restarted after a crash"),
            ("gave_up", router.gave_up, "hunt actors that crashed too often and stopped"),
            ("overloaded", router.overloaded, "commands refused because a mailbox stayed full"),
        ):
            yield CounterMetricFamily(f"hunt_router_{name}", text, value=value)
        yield from self._actors(router.actors)
        yield from self._hunts(statistics)
        connections = self.ctx.connections.statistics()
        yield CounterMetricFamily("hunt_ws_connections_accepted", "websocket connections accepted",
                                  value=connections.accepted)
        open_ = GaugeMetricFamily("hunt_ws_connections", "open websocket connections", labels=["hunt"])
        for hunt_id, count in sorted(connections.by_hunt.items()):
            open_.add_metric([hunt_id], count)
        yield open_
        yield GaugeMetricFamily("hunt_ws_outbox_used_max", "frames in the fullest connection outbox",
                                value=connections.outbox_used_max)
        load = self.ctx.load
        yield GaugeMetricFamily("hunt_event_loop_lag_seconds", "smallest event loop lag of the last 100 ms window",
                                value=load.lag_s)
        yield GaugeMetricFamily("hunt_event_loop_lag_max_seconds", "largest event loop lag sampled since start",
                                value=load.max_lag_s)
        yield from self._commands()
        yield CounterMetricFamily("hunt_ws_overload_closes", "websockets closed (1013) for sending while told to wait",
                                  value=self.ctx.connections.overload_closes)
        yield from self._edge()

    def _edge(self) -> Iterator[Metric]:
        gate = self.ctx.gate
        yield GaugeMetricFamily("hunt_http_in_progress", "HTTP requests in progress and open websockets",
                                value=gate.total)
        yield CounterMetricFamily("hunt_connections_refused", "requests and websockets refused by limits.connections*",
                                  value=gate.refused)
        limited = CounterMetricFamily("hunt_ws_rate_limited", "websocket commands refused as rate_limited, by the "
                                      "scope of the empty bucket", labels=["scope"])
        for scope in ("connection", "player", "address"):
            limited.add_metric([scope], self.ctx.rates.refused[scope])
        yield limited

    def _commands(self) -> Iterator[Metric]:
        commands = self.ctx.engine.commands.statistics()
        cumulative, buckets = 0, []
        for bound, count in zip((*ACK_BUCKETS_S, float("inf")), commands.buckets, strict=True):
            cumulative += count
            buckets.append((floatToGoString(bound), cumulative))
        yield HistogramMetricFamily("hunt_command_ack_seconds", "from submit to durable answer, per command",
                                    buckets=buckets, sum_value=commands.latency_sum_s)
        refusals = CounterMetricFamily("hunt_command_refusals", "commands refused, by error code", labels=["code"])
        for code, count in sorted(commands.refusals.items()):
            refusals.add_metric([code], count)
        yield refusals

    def _actors(self, actors: tuple[ActorStatistics, ...]) -> Iterator[Metric]:
        gauges = {
            "mailbox_depth": GaugeMetricFamily("hunt_mailbox_depth", "commands waiting in the mailbox",
                                               labels=["hunt"]),
            "mailbox_capacity": GaugeMetricFamily("hunt_mailbox_capacity", "mailbox capacity", labels=["hunt"]),
            "largest_batch": GaugeMetricFamily("hunt_actor_largest_batch", "largest batch so far",
                                               labels=["hunt"]),
        }
        counters = {
            "messages": CounterMetricFamily("hunt_actor_messages", "messages handled", labels=["hunt"]),
            "batches": CounterMetricFamily("hunt_actor_batches", "batches (group commits) handled",
                                           labels=["hunt"]),
            "queue_wait_s": CounterMetricFamily("hunt_actor_queue_wait_seconds",
                                                "time messages waited in the mailbox, summed", labels=["hunt"]),
            "handler_s": CounterMetricFamily("hunt_actor_handler_seconds", "time spent handling batches",
                                             labels=["hunt"]),
            "restarts": CounterMetricFamily("hunt_actor_restarts", "restarts of this actor", labels=["hunt"]),
            "overloaded": CounterMetricFamily("hunt_actor_overloaded", "commands refused as overloaded",
                                              labels=["hunt"]),
        }
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {**gauges, **counters}
        for actor in actors:
            for field, family in families.items():
                family.add_metric([actor.key], getattr(actor, field))
        yield from gauges.values()
        yield from counters.values()

    def _hunts(self, statistics: EngineStatistics) -> Iterator[Metric]:
        engine = self.ctx.engine
        known = engine.hunt_ids()
        yield GaugeMetricFamily("hunt_hunts", "hunts in the data directory", value=len(known))
        events = CounterMetricFamily("hunt_events", "events recorded, by type (loaded hunts)",
                                     labels=["hunt", "type"])
        seq = GaugeMetricFamily("hunt_seq", "last committed sequence number (loaded hunts)", labels=["hunt"])
        players = GaugeMetricFamily("hunt_players", "players joined (loaded hunts)", labels=["hunt"])
        subscribers = GaugeMetricFamily("hunt_subscribers", "greeted connections", labels=["hunt"])
        touched = {hunt.id: hunt for hunt in statistics.hunts}
        for hunt_id in known:
            hunt = touched.get(hunt_id)
            subscribers.add_metric([hunt_id], hunt.subscribers if hunt else 0)
            if hunt is None or hunt.seq is None or hunt.players is None:
                continue
            seq.add_metric([hunt_id], hunt.seq)
            players.add_metric([hunt_id], hunt.players)
            for type_, count in sorted(hunt.counts.items()):
                events.add_metric([hunt_id, type_], count)
        yield from (events, seq, players, subscribers)


def metrics_registry(ctx: ApiContext) -> CollectorRegistry:
    """A registry of its own for one app (never the process-wide default registry)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector(ctx))  # type: ignore[arg-type]
    for collector in ctx.collectors:
        registry.register(collector)
    return registry


def metrics_response(registry: CollectorRegistry) -> Response:
    return Response(generate_latest(registry), 200, content_type=CONTENT_TYPE_LATEST)


def check_metrics_access(ctx: ApiContext) -> None:
    """Let the request read /metrics or raise (``server.metrics_access``).

    ``loopback``: clients on this machine (the resolved client address, so a proxy on
    loopback does not open it to the world), or anyone with the token; ``token``: only with
    the token; ``open``: anyone. The token is ``server.metrics_token``, else the admin token.
    Metrics name every hunt and its load, so they are not for everyone by default.
    """
    server = ctx.config.server
    if server.metrics_access == "open":
        return
    if server.metrics_access == "loopback" and is_loopback(client_of(request.scope)):
        return
    expected = (server.metrics_token or ctx.admin_token).encode()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected):
        return
    if server.metrics_access == "loopback":
        raise RequestError("/metrics is served to this machine only, or with the metrics token",
                           code=ErrorCode.FORBIDDEN)
    raise Unauthorized("/metrics needs the metrics token (Authorization: Bearer ...)")
