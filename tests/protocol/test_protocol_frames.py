"""Requests in and frames out, without a server: parse() and hunt.protocol.frames."""

from __future__ import annotations

import orjson
import pytest

from hunt.domain import AnswerClue, CheckIn, JoinHunt, PingLocation, SubmitCode, TakeHint
from hunt.protocol import (
    AnswerOp,
    BadRequest,
    BatchOp,
    CheckinOp,
    CodeOp,
    FrameLimits,
    HelloOp,
    HintOp,
    JoinOp,
    NotJoined,
    PingOp,
    RequestError,
    TooLarge,
    UnknownOp,
    frames,
    join_command,
    parse,
    to_command,
)

LIMITS = FrameLimits(max_frame_bytes=3000, max_batch_items=4)


def frame(**fields: object) -> str:
    return orjson.dumps(fields).decode()


@pytest.mark.parametrize(("text", "parsed", "command"), [
    (frame(op="answer", id="a", clue="c1", answer="x"), AnswerOp("a", "c1", "x"), AnswerClue("p1", "a", "c1", "x")),
    (frame(op="checkin", id="k", clue="c2", lat=1, lon=2.5), CheckinOp("k", "c2", 1.0, 2.5),
     CheckIn("p1", "k", "c2", 1.0, 2.5)),
    (frame(op="code", id="s", clue="c3", code="X"), CodeOp("s", "c3", "X"), SubmitCode("p1", "s", "c3", "X")),
    (frame(op="hint", id="t", clue="c1"), HintOp("t", "c1"), TakeHint("p1", "t", "c1")),
    (frame(op="ping", id="g", lat=0, lon=0, extra="ignored"), PingOp("g", 0.0, 0.0), PingLocation("p1", "g", 0, 0)),
])
def test_a_player_command_parses_to_its_request_and_acts_as_the_bound_player(text, parsed, command) -> None:
    assert parse(text, LIMITS) == parsed
    assert to_command(parsed, "p1") == command
    with pytest.raises(NotJoined) as caught:
        to_command(parsed, None)
    assert caught.value.request_id == parsed.id


JOIN_ID = "mN3xQ0v8Zr5kLb2WcT7yHa"


def test_join_and_hello() -> None:
    join = parse(frame(op="join", id=JOIN_ID, name="Ann", team="Gulls"), LIMITS)
    assert join == JoinOp(JOIN_ID, "Ann", "Gulls") and join_command(join) == JoinHunt(JOIN_ID, "Ann", "Gulls")
    coded = parse(frame(op="join", id=JOIN_ID, name="Bob", team="Gulls", team_code="K7QM-3XWA"), LIMITS)
    assert coded == JoinOp(JOIN_ID, "Bob", "Gulls", "K7QM-3XWA")
    assert parse(frame(op="join", id=JOIN_ID, name="Cy", device="d-1"), LIMITS).device == "d-1"
    assert parse(frame(op="hello", id="h", token="t", device="d-1"), LIMITS) == HelloOp("h", "t", None, "d-1")
    for bad in ("", 7, "d" * 129):
        with pytest.raises(BadRequest, match="device"):
            parse(frame(op="hello", id="h", token="t", device=bad), LIMITS)
    assert parse(frame(op="hello", id="h", token="t", since=4), LIMITS) == HelloOp("h", "t", 4)
    assert parse(b'{"op":"hello","id":"h","token":"t"}', LIMITS) == HelloOp("h", "t", None)


@pytest.mark.parametrize(("text", "error", "rid"), [
    ("{not json", BadRequest, None),
    ("[1, 2]", BadRequest, None),
    (frame(id="x"), BadRequest, "x"),
    (frame(op="teleport", id="x"), UnknownOp, "x"),
    (frame(op="ping", id="g", lat="north", lon=0), BadRequest, "g"),
    (frame(op="ping", id="", lat=0, lon=0), BadRequest, ""),  # echoed as it came
    (frame(op="hello", id="h", token="t", since=-1), BadRequest, "h"),
    (frame(op="hello", id="h", token="t", since=True), BadRequest, "h"),
    (frame(op="answer", id="a", clue="c1", answer="x" * 2001), BadRequest, "a"),
    (frame(op="ping", id="big", lat=0, lon=0, pad="x" * 3000), TooLarge, "big"),
    ("x" * 3001, TooLarge, None),
    (frame(op="batch", id="b", items=[{}] * 5), TooLarge, "b"),
    (frame(op="batch", id="b", items="no"), BadRequest, "b"),
])
def test_a_malformed_frame_is_refused_naming_its_id(text: str, error: type[RequestError], rid: str | None) -> None:
    with pytest.raises(error) as caught:
        parse(text, LIMITS)
    assert caught.value.request_id == rid


def test_a_batch_keeps_each_bad_item_in_place_as_its_error() -> None:
    batch = parse(frame(op="batch", id="b", items=[
        {"op": "ping", "id": "g", "lat": 1, "lon": 2}, 7, {"op": "join", "id": "j", "name": "n"},
        {"op": "hint", "id": "t"}]), LIMITS)
    assert isinstance(batch, BatchOp) and batch.id == "b"
    ping, not_object, join, hint = batch.items
    assert ping == PingOp("g", 1.0, 2.0)
    assert isinstance(not_object, BadRequest) and not_object.request_id is None
    assert isinstance(join, BadRequest) and join.request_id == "j" and "cannot be used here" in join.message
    assert isinstance(hint, BadRequest) and hint.request_id == "t"


def test_frames_have_the_documented_forms() -> None:
    assert frames.text(frames.ack("a-1", 5, {"result": "correct", "points": 120}, duplicate=True)) == (
        '{"op":"ack","id":"a-1","seq":5,"result":"correct","points":120,"duplicate":true}')
    assert frames.text(frames.ack("j-1", 3, {"result": "joined", "player": "p1"}, token="p1.x")) == (
        '{"op":"ack","id":"j-1","seq":3,"result":"joined","player":"p1","token":"p1.x"}')
    assert frames.text(frames.batch(None, [frames.ack("g", 1, {"result": "ok"})])) == (
        '{"op":"batch","items":[{"op":"ack","id":"g","seq":1,"result":"ok"}]}')
    assert frames.text(frames.hunt_status("active", 57)) == '{"op":"hunt","status":"active","seq":57}'
    assert frames.text(frames.feed({"seq": 5, "ts": 1, "kind": "hunt_paused"})) == (
        '{"op":"feed","seq":5,"ts":1,"kind":"hunt_paused"}')
    assert frames.text(frames.welcome("h-7", {"player": "p1", "seq": 57}, window=16)) == (
        '{"op":"welcome","id":"h-7","player":"p1","seq":57,"window":16}')


def test_the_leaderboard_embeds_the_shared_encoded_top_as_json() -> None:
    top = orjson.dumps([{"rank": 1, "player": "p2", "name": "Bob", "score": 180}])
    text = frames.text(frames.leaderboard(57, top, {"player": "p1", "score": 0, "rank": None}))
    assert orjson.loads(text) == {"op": "leaderboard", "seq": 57, "top": orjson.loads(top),
                                  "you": {"player": "p1", "score": 0, "rank": None}}
    assert text.startswith('{"op":"leaderboard","seq":57,"top":[{"rank":1')
