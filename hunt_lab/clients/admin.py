"""The admin HTTP calls the lab makes against a running server."""

from __future__ import annotations

import httpx

from ..workload import hunt_definition

__all__ = ["create_hunt"]


async def create_hunt(http: httpx.AsyncClient, hunt_id: str, clues: int = 5) -> None:
    """Create and start a hunt of ``clues`` answer clues (``answer-<i>`` is right)."""
    response = await http.post("/admin/hunts", json=hunt_definition(hunt_id, clues))
    if response.status_code != 201:
        raise RuntimeError(f"cannot create hunt {hunt_id}: {response.status_code} {response.text}")
    response = await http.post(f"/admin/hunts/{hunt_id}/start", json={"id": f"start-{hunt_id}"})
    if response.status_code != 200:
        raise RuntimeError(f"cannot start hunt {hunt_id}: {response.status_code} {response.text}")
