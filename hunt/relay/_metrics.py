"""The relay's figures for ``/metrics``: a prometheus-client collector over ``statistics()``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ._stats import RelayStatistics

__all__ = ["RelayCollector"]

STATES = ("starting", "connected", "backoff", "stopped", "disabled")


class RelayCollector(Collector):
    """``registry.register(RelayCollector(relay.statistics))``: lag per hunt, counters, state.

    Reads one snapshot per scrape; never blocks.
    """

    def __init__(self, statistics: Callable[[], RelayStatistics]) -> None:
        self._statistics = statistics

    def collect(self) -> Iterator[Metric]:
        stats = self._statistics()
        events = GaugeMetricFamily("hunt_relay_lag_events", "Committed events not yet acknowledged by the broker",
                                   labels=["hunt"])
        seconds = GaugeMetricFamily("hunt_relay_lag_seconds", "Age of the oldest event not yet published",
                                    labels=["hunt"])
        published = GaugeMetricFamily("hunt_relay_published_seq", "Last seq the broker holds for the hunt",
                                      labels=["hunt"])
        for lag in stats.hunts:
            events.add_metric([lag.hunt], lag.lag_events)
            seconds.add_metric([lag.hunt], lag.lag_s)
            published.add_metric([lag.hunt], lag.published)
        yield from (events, seconds, published)
        state = GaugeMetricFamily("hunt_relay_state", "1 for the relay's current state", labels=["state"])
        for name in STATES:
            state.add_metric([name], 1.0 if stats.state == name else 0.0)
        yield state
        for name, value, text in (
                ("published", stats.published, "Events published (new to the stream)"),
                ("duplicates", stats.duplicates, "Publishes the stream already held (acknowledged as duplicates)"),
                ("sessions", stats.sessions, "Broker sessions (connections) started"),
                ("errors", stats.errors, "Broker sessions ended by an error")):
            counter = CounterMetricFamily(f"hunt_relay_{name}", text)
            counter.add_metric([], value)
            yield counter
