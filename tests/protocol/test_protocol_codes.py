"""The error codes: one enum for the websocket and HTTP, the documented table, the domain's refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actors import Overloaded
from hunt.api import wire_error
from hunt.domain import REFUSAL_CODES, Rejected
from hunt.engine import HuntNotFound
from hunt.protocol import BadRequest, ErrorCode, NotFound, TooLarge, WireError, frames

ROOT = Path(__file__).resolve().parents[2]


def documented_codes() -> dict[str, int]:
    """code -> HTTP status, from the table in docs/protocol.md (section 2)."""
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    table = protocol[protocol.index("## 2. Error codes"):protocol.index("## 3. ")]
    return {code: int(status) for code, status in re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", table, re.M)}


def test_every_code_is_documented_with_its_http_status_and_nothing_else_is() -> None:
    assert documented_codes() == {code.value: code.status for code in ErrorCode}


def test_every_refusal_of_the_rules_is_a_wire_code() -> None:
    assert REFUSAL_CODES <= {code.value for code in ErrorCode}


def test_a_refusal_code_outside_the_list_fails_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="not a refusal code"):
        Rejected("lockd", "a typo")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", sorted(REFUSAL_CODES - {"internal"}))
def test_each_refusal_keeps_its_code_on_the_wire(code: str) -> None:
    error = wire_error(Rejected(code, "why", retry_after_ms=5))  # type: ignore[arg-type]
    assert error == WireError(ErrorCode(code), "why", 5)
    assert error.status == ErrorCode(code).status


@pytest.mark.parametrize(("exception", "code"), [
    (BadRequest("x"), ErrorCode.BAD_REQUEST),
    (TooLarge("x"), ErrorCode.TOO_LARGE),
    (NotFound("x", code=ErrorCode.UNKNOWN_PLAYER), ErrorCode.UNKNOWN_PLAYER),
    (Overloaded("h", 120), ErrorCode.OVERLOADED),
    (HuntNotFound("x"), ErrorCode.UNKNOWN_HUNT),
    (Rejected("internal", "details"), ErrorCode.INTERNAL),
    (RuntimeError("secret details"), ErrorCode.INTERNAL),
])
def test_websocket_frame_and_http_body_carry_the_same_code(exception: Exception, code: ErrorCode) -> None:
    error = wire_error(exception)
    frame = frames.error(error, "a-1")
    body = error.to_dict()
    assert frame["code"] == body["error"] == code.value
    assert frame["message"] == body["message"]
    assert "secret" not in frame["message"] and "details" not in frame["message"]
    assert frames.text(frame).startswith('{"op":"error","id":"a-1","code":"' + code.value + '"')
