"""Replay and snapshots: the same events give the same state, live, replayed or restored."""

from __future__ import annotations

import orjson
import pytest

from hunt.domain import (
    SNAPSHOT_VERSION,
    AddMedia,
    FreezeBoard,
    HuntState,
    SetMap,
    SetMedia,
    SetSchedule,
    event_to_fields,
    replay,
)
from tests.support.domain import CRANE, Game, adjust, answer, ban, checkin, code, example, hint, north_of, ping, stored


def played() -> Game:
    """A game that has been through one of nearly everything."""
    game = Game(example() | {"mode": "teams", "attempts": {"max": 2, "window_s": 30}})
    ann, bob, cat = game.join("Ann", "Gulls"), game.join("Bob", "gulls"), game.join("Cat", "Owls")
    game.send(hint(ann, "c1"))
    game.send(answer(cat, "c1", "candle"))
    game.send(answer(bob, "c1", "Lighthouse"))
    game.send(answer(ann, "c1", "lighthouse"))
    game.send(checkin(cat, "c2", *north_of(CRANE, 80)))
    game.send(ping(cat, *CRANE))
    game.send(code(ann, "c3", "x7k2"))
    game.send(adjust(cat, 15, "found a lost phone"))
    game.send(SetSchedule("sched-1", team="Owls", offset_s=0, window_s=7200))
    game.send(FreezeBoard("freeze-1", at=game.now + 3000))  # scheduled; comes due at the ban
    game.send(ban(bob, "shared answers"))
    game.send(AddMedia("up-1", "ab" * 32, 1234, "image/png"))  # clue media and the map
    game.send(SetMedia("attach-1", "hint", [{"hash": "ab" * 32, "alt": "A lamp"}], "c1", 0))
    game.send(SetMap("map-1", True))
    return game


def json_round_trip(snapshot: dict) -> dict:
    return orjson.loads(orjson.dumps(snapshot))


def test_a_log_replays_to_the_live_state() -> None:
    game = played()
    live = game.state.to_dict()
    assert replay(game.log).to_dict() == live
    assert replay([stored(r) for r in game.log]).to_dict() == live


def test_a_snapshot_restores_through_json_and_carries_on_with_the_tail() -> None:
    game = played()
    for cut in range(1, len(game.log) + 1):
        snapshot = json_round_trip(replay(game.log[:cut]).to_dict())
        assert snapshot["version"] == SNAPSHOT_VERSION and snapshot["seq"] == cut
        restored = replay(game.log[cut:], HuntState.from_dict(snapshot))
        assert restored.to_dict() == game.state.to_dict()
        assert restored.top(10) == game.state.top(10)
        assert restored.rank_of("team:owls") == game.state.rank_of("team:owls")


def test_a_snapshot_is_a_value_that_later_events_do_not_change() -> None:
    game = Game(example() | {"mode": "teams"})
    ann = game.join("Ann", "Gulls")
    game.send(answer(ann, "c1", "candle"))
    game.send(hint(ann, "c1"))
    snapshot = game.state.to_dict()
    frozen = orjson.dumps(snapshot)
    game.join("Bob", "Gulls")
    game.send(answer(ann, "c1", "candle"))
    game.send(answer(ann, "c1", "lighthouse"))
    assert orjson.dumps(snapshot) == frozen


def test_a_restored_state_does_not_write_into_its_snapshot() -> None:
    game = Game(example() | {"mode": "teams"})
    ann = game.join("Ann", "Gulls")
    game.send(answer(ann, "c1", "candle"))
    snapshot = game.state.to_dict()
    frozen = orjson.dumps(snapshot)
    restored = HuntState.from_dict(snapshot)  # straight from memory, as time travel might
    done = len(game.log)
    game.join("Bob", "Gulls")
    game.send(answer(ann, "c1", "candle"))
    game.send(hint(ann, "c1"))
    game.send(answer(ann, "c1", "lighthouse"))
    replay(game.log[done:], restored)
    assert restored.to_dict() == game.state.to_dict()
    assert orjson.dumps(snapshot) == frozen


def test_an_unknown_snapshot_version_is_refused() -> None:
    snapshot = played().state.to_dict() | {"version": SNAPSHOT_VERSION + 1}
    with pytest.raises(ValueError, match="version"):
        HuntState.from_dict(snapshot)


def test_a_log_begins_with_hunt_created_and_events_come_in_sequence() -> None:
    log = played().log
    with pytest.raises(ValueError, match="hunt_created"):
        replay(log[1:])
    with pytest.raises(ValueError, match="does not follow"):
        replay([log[0], log[2]])
    state = replay(log)
    with pytest.raises(ValueError, match="does not follow"):
        state.apply(log[-1])


def test_every_event_survives_its_stored_fields() -> None:
    for recorded in played().log:
        kind, player, clue, data = event_to_fields(recorded.event)
        assert kind == recorded.event.TYPE and "player" not in data and "clue" not in data
        assert (player, clue) == (getattr(recorded.event, "player", None), getattr(recorded.event, "clue", None))
        assert stored(recorded) == recorded
