"""Listing hunts answers from memory for active hunts and from disk for idle ones, waking none."""

from __future__ import annotations

from tests.support.engine import OpenHunt
from tests.support.hunts import HUNT_ID


async def test_listing_hunts_does_not_wake_an_idle_hunt(open_hunt: OpenHunt) -> None:
    async with open_hunt(players=3) as engine:
        [live] = await engine.summaries()
        assert (live.id, live.players, live.active) == (HUNT_ID, 3, True)

        await engine.unload(HUNT_ID)
        [idle] = await engine.summaries()
        assert (idle.id, idle.title, idle.players, idle.events) == (live.id, live.title, 3, live.events)
        assert idle.active is False
        assert not engine.is_active(HUNT_ID)  # still asleep after being listed
