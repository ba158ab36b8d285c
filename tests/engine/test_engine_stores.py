"""The engine takes its stores through the seam: the same engine runs on the in-memory stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hunt.config import Config
from hunt.domain import JoinHunt, StartHunt
from hunt.engine import Ack, open_engine
from hunt.store import MemoryHuntStores
from tests.support.hunts import HUNT_ID


async def test_an_engine_on_memory_stores_keeps_hunts_across_restarts(
        make_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    stores = MemoryHuntStores()
    config = make_config(engine={"idle_passivate_s": 0.05})
    async with open_engine(config, stores=stores) as engine:
        await engine.create_hunt(hunt_document)
        acks = await engine.submit(HUNT_ID, [JoinHunt("j1", "Ann"), StartHunt("start")])
        assert all(isinstance(ack, Ack) for ack in acks)
        assert [r.seq for r in await engine.read_events(HUNT_ID)] == [1, 2, 3]
    assert not list(config.data_path.rglob("*.sqlite3"))  # no hunt file went to the data dir
    async with open_engine(config, stores=stores) as engine:  # a restarted engine, same stores
        assert engine.hunt_ids() == [HUNT_ID]
        state = await engine.state(HUNT_ID)
        assert state.seq == 3 and [p.name for p in state.players.values()] == ["Ann"]
        [again] = await engine.submit(HUNT_ID, [JoinHunt("j1", "Ann")])
        assert isinstance(again, Ack) and again.duplicate and again.seq == 2
