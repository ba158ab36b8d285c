"""Settings every lab server starts with: all of a harness's clients come from 127.0.0.1.

The product limits what one client address may hold and send (``limits.connections_per_address``)
and what a connection, a player and an address may send (the buckets of ``[rates]``), which a
load generator on one machine meets at once. Lab servers lift those limits, so a benchmark
measures the engine rather than the defence against one abusive client; a harness (or a test
of those limits) passes its own values to override these.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ONE_ADDRESS", "one_address_env"]

LIFTED_RATE = 1_000_000  # per second, and as a burst: far beyond what one machine can send

ONE_ADDRESS: dict[str, dict[str, Any]] = {
    "limits": {"connections_per_address": 4096},
    "rates": {f"{scope}_{what}_{unit}": LIFTED_RATE
              for scope, what in (("connection", "commands"), ("player", "commands"), ("address", "commands"),
                                  ("player", "pings"), ("address", "pings"), ("connection", "joins"),
                                  ("address", "joins"))
              for unit in ("per_s", "burst")},
}


def one_address_env() -> dict[str, str]:
    """:data:`ONE_ADDRESS` as ``HUNT_<SECTION>_<KEY>`` environment variables (for a child server)."""
    return {f"HUNT_{section.upper()}_{key.upper()}": str(value)
            for section, values in ONE_ADDRESS.items() for key, value in values.items()}
