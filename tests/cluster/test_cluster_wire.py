"""What gateways and the owner send each other: every command, result and failure survives
the trip, and the gateway raises what the engine would have raised."""

from __future__ import annotations

import pytest

from actors import ActorCrashed, Overloaded, RequestTimeout
from hunt.cluster._wire import (
    WireFailure,
    decode_commands,
    decode_records,
    decode_results,
    decode_subscribers,
    encode_commands,
    encode_failure,
    encode_records,
    encode_results,
    encode_subscribers,
)
from hunt.domain import (
    AdjustScore,
    AnswerClue,
    BanPlayer,
    CheckIn,
    ClueFound,
    EndHunt,
    FreezeBoard,
    JoinHunt,
    PauseHunt,
    PingLocation,
    Recorded,
    Rejected,
    SetSchedule,
    StartHunt,
    SubmitCode,
    TakeHint,
)
from hunt.engine import Ack, HuntNotFound


def test_every_command_kind_crosses_unchanged() -> None:
    commands = [
        JoinHunt("j1", "Ann", "red"), AnswerClue("p1", "a1", "c1", "lighthouse"), CheckIn("p1", "k1", "c2", 53.5, 9.9),
        SubmitCode("p1", "s1", "c3", "X7K2"), TakeHint("p1", "h1", "c1"), PingLocation("p1", "g1", 1.5, -2.25),
        StartHunt("go"), PauseHunt("wait"), EndHunt("stop"), AdjustScore("adj", "p1", -5, "late"),
        BanPlayer("ban", "p2", "cheating"), FreezeBoard("fz", at=1_780_000_000_000),
        SetSchedule("sch", team="Gulls", starts_at=1_780_000_000_000, window_s=5400),
    ]
    assert decode_commands(encode_commands(commands)) == commands


def test_acks_and_rejections_cross_in_order() -> None:
    record = Recorded(7, 1000, ClueFound("p1", "c1", "answer", 120, 20, 120), "a1", "p1")
    results = [Ack(7, {"result": "correct", "points": 120}, record), Rejected("rate_limited", "slow down",
                                                                               retry_after_ms=900),
               Ack(7, {"result": "correct"}, record, duplicate=True)]
    back = decode_results(encode_results(results))
    assert back[0] == results[0] and back[2] == results[2]
    assert isinstance(back[1], Rejected)
    assert (back[1].code, back[1].message, back[1].retry_after_ms) == ("rate_limited", "slow down", 900)


@pytest.mark.parametrize("error", [Overloaded("h", 75), ActorCrashed("boom"), RequestTimeout("late"),
                                   HuntNotFound("no hunt 'x'")])
def test_a_batch_failure_is_raised_as_the_same_exception(error: Exception) -> None:
    with pytest.raises(type(error)) as raised:
        decode_results(encode_failure(error))
    if isinstance(error, Overloaded):
        assert raised.value.retry_after_ms == 75


def test_an_unexpected_failure_crosses_as_internal_without_its_text() -> None:
    data = encode_failure(RuntimeError("secret detail"))
    assert b"secret detail" not in data
    with pytest.raises(WireFailure):
        decode_results(data)


def test_records_cross_in_their_public_form() -> None:
    records = [Recorded(3, 5, ClueFound("p1", "c1", "answer", 100, 0, 100), "a1", "p1")]
    assert decode_records(encode_records(records)) == records


@pytest.mark.parametrize("data", [b"", b"[]", b'{"c": [{"t": "nope"}]}', b'{"c": [{"t": "ping"}]}'])
def test_garbage_on_the_bus_is_a_wire_failure(data: bytes) -> None:
    with pytest.raises(WireFailure):
        decode_commands(data)


def test_subscriber_reports_are_checked() -> None:
    assert decode_subscribers(encode_subscribers("g0", {"h": 2})) == ("g0", {"h": 2})
    with pytest.raises(WireFailure):
        decode_subscribers(b'{"g": "g0", "s": {"h": "two"}}')
