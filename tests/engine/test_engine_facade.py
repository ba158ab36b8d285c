"""The engine's doors: subscribers pin a hunt, statistics tell what is loaded, nothing else is public."""

from __future__ import annotations

import pytest
import trio

import hunt.engine
from hunt.domain import PingLocation
from tests.support.engine import OpenHunt, wait_until
from tests.support.hunts import HUNT_ID


async def test_a_subscribed_hunt_stays_loaded_and_unloads_once_nobody_watches(open_hunt: OpenHunt) -> None:
    async with open_hunt(engine={"idle_passivate_s": 0.05}) as engine:
        engine.subscribe(HUNT_ID)
        engine.subscribe(HUNT_ID)
        await trio.sleep(0.3)  # several idle periods
        assert engine.is_active(HUNT_ID)
        engine.unsubscribe(HUNT_ID)
        await trio.sleep(0.3)
        assert engine.is_active(HUNT_ID), "one subscriber is left"
        engine.unsubscribe(HUNT_ID)
        await wait_until(lambda: not engine.is_active(HUNT_ID))
        with pytest.raises(ValueError):
            engine.unsubscribe(HUNT_ID)
        assert engine.statistics().hunt(HUNT_ID).subscribers == 0  # type: ignore[union-attr]


async def test_statistics_describe_loaded_and_unloaded_hunts(open_hunt: OpenHunt) -> None:
    async with open_hunt(players=3) as engine:
        [ack] = await engine.submit(HUNT_ID, [PingLocation("p1", "g1", 1.0, 2.0)])
        engine.subscribe(HUNT_ID)
        stats = engine.statistics()
        hunt = stats.hunt(HUNT_ID)
        assert hunt is not None and hunt.actor is not None
        assert (hunt.active, hunt.subscribers, hunt.seq, hunt.players) == (True, 1, ack.seq, 3)
        assert hunt.counts["pinged"] == 1 and hunt.actor.key == HUNT_ID
        assert stats.router.activations == 1 and stats.hunt("elsewhere") is None
        engine.unsubscribe(HUNT_ID)
        await engine.unload(HUNT_ID)
        hunt = engine.statistics().hunt(HUNT_ID)
        assert hunt is not None and (hunt.active, hunt.seq, hunt.players, hunt.actor) == (False, None, None, None)


def test_the_router_and_the_hubs_are_not_public() -> None:
    engine_type = hunt.engine.Engine
    assert not hasattr(engine_type, "router") and not hasattr(engine_type, "hub")
    assert "HuntHub" not in hunt.engine.__all__ and "SetMeta" not in hunt.engine.__all__
