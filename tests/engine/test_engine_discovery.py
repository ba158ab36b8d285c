"""Hunts that another process creates while the engine runs (``hunt import``, ``hunt run``)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from hunt.config import Config
from hunt.domain import JoinHunt, StartHunt
from hunt.engine import open_engine
from hunt.store import HuntNotFound
from tests.support.engine import OpenHunt
from tests.support.hunts import HARBOR as HUNT


async def test_a_hunt_created_by_another_engine_becomes_visible(open_hunt: OpenHunt,
                                                                make_config: Callable[..., Config]) -> None:
    other = copy.deepcopy(HUNT)
    other["id"] = "made-elsewhere"
    async with open_hunt(players=0) as engine:
        assert "made-elsewhere" not in engine.hunt_ids()
        with pytest.raises(HuntNotFound):
            engine.require("made-elsewhere")
        async with open_engine(make_config()) as elsewhere:  # as `hunt run` or `hunt import` would
            await elsewhere.create_hunt(other)
            await elsewhere.submit("made-elsewhere", [StartHunt("start")])
        assert engine.exists("made-elsewhere")
        assert "made-elsewhere" in engine.hunt_ids()
        [ack] = await engine.submit("made-elsewhere", [JoinHunt("j" * 32, "Ann")])
        assert ack.fields["player"] == "p1"
        assert [row.id for row in await engine.summaries()].count("made-elsewhere") == 1


async def test_an_unknown_hunt_stays_unknown(open_hunt: OpenHunt) -> None:
    async with open_hunt(players=0) as engine:
        for hunt_id in ("nothing-here", "../etc"):
            assert not engine.exists(hunt_id)
