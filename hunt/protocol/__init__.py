"""The player protocol at the wire, in one place: requests in, frames out, every error code.

``parse(data, limits)`` turns a client frame into a :class:`Request` (one frozen value per op;
``to_command`` makes a player's domain command of it); :mod:`hunt.protocol.frames` builds
every frame the server sends; :class:`ErrorCode` is the one list of error codes, shared by
the websocket and HTTP. Pure: depends on the domain (and orjson at the edge), never on the
engine, the API or I/O. The exact forms are in docs/protocol.md.
"""

from . import frames
from ._errors import (
    BadRequest,
    BodyTimeout,
    ErrorCode,
    NotFound,
    NotJoined,
    RequestError,
    TooLarge,
    Unauthorized,
    UnknownOp,
    WireError,
)
from ._requests import (
    MAX_ID_CHARS,
    OPS,
    AnswerOp,
    BatchOp,
    CheckinOp,
    CodeOp,
    FrameLimits,
    HelloOp,
    HintOp,
    JoinOp,
    PingOp,
    PlayerOp,
    Request,
    join_command,
    loads_object,
    parse,
    request_id,
    to_command,
)

__all__ = [
    "MAX_ID_CHARS",
    "OPS",
    "AnswerOp",
    "BadRequest",
    "BatchOp",
    "BodyTimeout",
    "CheckinOp",
    "CodeOp",
    "ErrorCode",
    "FrameLimits",
    "HelloOp",
    "HintOp",
    "JoinOp",
    "NotFound",
    "NotJoined",
    "PingOp",
    "PlayerOp",
    "Request",
    "RequestError",
    "TooLarge",
    "Unauthorized",
    "UnknownOp",
    "WireError",
    "frames",
    "join_command",
    "loads_object",
    "parse",
    "request_id",
    "to_command",
]
