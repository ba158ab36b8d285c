"""Settings every lab server starts with: all of a harness's clients come from 127.0.0.1.

The product limits what one client address may hold and send (``limits.connections_per_address``
and the rate buckets of ``[rates]``), which a load generator on one machine would meet at
once. Lab servers lift the per-address limits to the global ones, so a benchmark measures the
engine rather than the defence against a single abusive address; a harness (or a test of those
limits) passes its own values to override these.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ONE_ADDRESS", "one_address_env"]

ONE_ADDRESS: dict[str, dict[str, Any]] = {
    "limits": {"connections_per_address": 4096},
}


def one_address_env() -> dict[str, str]:
    """:data:`ONE_ADDRESS` as ``HUNT_<SECTION>_<KEY>`` environment variables (for a child server)."""
    return {f"HUNT_{section.upper()}_{key.upper()}": str(value)
            for section, values in ONE_ADDRESS.items() for key, value in values.items()}
