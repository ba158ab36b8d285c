"""What gateways and the owner send each other over NATS, and the subjects they use.

Subjects, under ``workers.subject_prefix`` (P):

- ``P.cmd.<owner>.<hunt>``: a gateway's batch of commands for one hunt (request/reply);
  the body is ``{"c": [command, ...]}``, the reply ``{"a": [result, ...]}`` or
  ``{"e": error kind, "m": message, "r": retry_after_ms}`` when the whole batch failed;
- ``P.push.<hunt>``: the owner's committed records of one hunt, one message per commit, in
  order: ``{"r": [record, ...]}`` (each record in its public form, as in an export);
- ``P.ctl.<owner>``: a gateway's report ``{"g": name, "s": {hunt: subscribers}}`` -> the
  owner's actor statistics (the owner keeps a hunt loaded while a gateway's players follow it).

Errors cross as a closed set of kinds, and the gateway raises the same exception the
engine would have raised, so the API maps it to the same wire error in both modes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from actors import (
    ActivationFailed,
    ActorCrashed,
    ActorStatistics,
    ActorStopped,
    Overloaded,
    RequestTimeout,
    RouterStatistics,
)

from ..domain import (
    AddClue,
    AddMedia,
    AdjustScore,
    Announce,
    AnswerClue,
    BanPlayer,
    ChangeTimes,
    CheckIn,
    Command,
    CreateTeam,
    CreditClue,
    DefinitionError,
    EditClue,
    EndHunt,
    FreezeBoard,
    JoinHunt,
    JudgeEntry,
    LockRosters,
    PauseHunt,
    PingLocation,
    Recorded,
    Rejected,
    RemovePlayer,
    RenameTeam,
    ReopenHunt,
    RetireClue,
    RevealBoard,
    SetCaptain,
    SetDivision,
    SetMap,
    SetMedia,
    SetSchedule,
    SetTeamPasscode,
    SetTeamSize,
    StartHunt,
    SubmitCode,
    SubmitEntry,
    TakeHint,
    UnbanPlayer,
    UnlockClue,
)
from ..engine import (
    Ack,
    CorruptStore,
    HuntExists,
    HuntNotFound,
    InvalidHuntId,
    Result,
    StoreLocked,
    TooLarge,
    WriteFailed,
)
from ..store import dict_to_record, record_to_dict

__all__ = [
    "Subjects",
    "WireFailure",
    "decode_commands",
    "decode_failure",
    "decode_records",
    "decode_results",
    "decode_statistics",
    "decode_subscribers",
    "encode_commands",
    "encode_failure",
    "encode_records",
    "encode_results",
    "encode_statistics",
    "encode_subscribers",
]

_COMMANDS: dict[str, type] = {
    "join": JoinHunt, "answer": AnswerClue, "checkin": CheckIn, "code": SubmitCode, "hint": TakeHint,
    "ping": PingLocation, "start": StartHunt, "pause": PauseHunt, "end": EndHunt, "adjust": AdjustScore,
    "ban": BanPlayer, "announce": Announce, "entry": SubmitEntry, "judge": JudgeEntry, "freeze": FreezeBoard,
    "reveal": RevealBoard, "schedule": SetSchedule, "edit_clue": EditClue, "add_clue": AddClue,
    "retire_clue": RetireClue, "unlock_clue": UnlockClue, "times": ChangeTimes, "reopen": ReopenHunt,
    "unban": UnbanPlayer, "credit": CreditClue, "create_team": CreateTeam, "rename_team": RenameTeam,
    "team_passcode": SetTeamPasscode, "team_size": SetTeamSize, "captain": SetCaptain, "remove": RemovePlayer,
    "lock": LockRosters, "division": SetDivision, "add_media": AddMedia, "set_media": SetMedia, "set_map": SetMap,
}
_TAGS = {cls: tag for tag, cls in _COMMANDS.items()}
_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _COMMANDS.values()}


class WireFailure(Exception):
    """Raised when a message from the other side cannot be read (a bug or a stranger on the bus)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Subjects:
    prefix: str

    def commands(self, owner: str, hunt_id: str) -> str:
        return f"{self.prefix}.cmd.{owner}.{hunt_id}"

    def all_commands(self, owner: str) -> str:
        return f"{self.prefix}.cmd.{owner}.*"

    def push(self, hunt_id: str) -> str:
        return f"{self.prefix}.push.{hunt_id}"

    def control(self, owner: str) -> str:
        return f"{self.prefix}.ctl.{owner}"

    def history(self, owner: str, hunt_id: str) -> str:
        return f"{self.prefix}.hist.{owner}.{hunt_id}"

    def all_history(self, owner: str) -> str:
        return f"{self.prefix}.hist.{owner}.*"

    def node(self, owner: str) -> str:
        return f"{self.prefix}.node.{owner}"


# -- commands -------------------------------------------------------------------------------


def encode_commands(commands: Sequence[Command]) -> bytes:
    items = []
    for command in commands:
        cls = type(command)
        item = {name: getattr(command, name) for name in _FIELDS[cls]}
        item["t"] = _TAGS[cls]
        items.append(item)
    return orjson.dumps({"c": items})


def decode_commands(data: bytes) -> list[Command]:
    try:
        items = orjson.loads(data)["c"]
        commands = []
        for item in items:
            cls = _COMMANDS[item.pop("t")]
            commands.append(cls(**item))
        return commands
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise WireFailure(f"malformed command batch: {err!r}") from err


# -- results --------------------------------------------------------------------------------


def encode_results(results: Sequence[Result]) -> bytes:
    items: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result, Rejected):
            items.append({"k": "r", "c": result.code, "m": result.message, "r": result.retry_after_ms})
        else:
            items.append({"k": "a", "s": result.seq, "f": result.fields, "e": record_to_dict(result.record),
                          "d": result.duplicate})
    return orjson.dumps({"a": items})


def decode_results(data: bytes) -> list[Result]:
    """The results of a batch; raises the batch's error when the whole batch failed."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise WireFailure(f"malformed reply: {err!r}") from err
    if "e" in body:
        raise _failure(body)
    try:
        results: list[Result] = []
        for item in body["a"]:
            if item["k"] == "r":
                results.append(Rejected(item["c"], item["m"], retry_after_ms=item["r"]))
            else:
                results.append(Ack(item["s"], item["f"], dict_to_record(item["e"]), duplicate=item["d"]))
        return results
    except (KeyError, TypeError, ValueError) as err:
        raise WireFailure(f"malformed reply: {err!r}") from err


# -- errors ---------------------------------------------------------------------------------

_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (Overloaded, "overloaded"), (ActorStopped, "stopped"), (ActorCrashed, "crashed"),
    (RequestTimeout, "timeout"), (CorruptStore, "corrupt"), (HuntNotFound, "unknown_hunt"),
    (InvalidHuntId, "invalid_hunt"), (StoreLocked, "locked"), (WriteFailed, "write_failed"),
    (HuntExists, "exists"), (DefinitionError, "definition"), (TooLarge, "too_large"),
)
_CLASS_OF: dict[str, Callable[[str], BaseException]] = {kind: cls for cls, kind in _KINDS if cls is not Overloaded}


def encode_failure(error: BaseException) -> bytes:
    """A whole batch's failure; an error outside the closed set is ``internal`` (never its text)."""
    if isinstance(error, ActivationFailed):
        kind = "corrupt" if isinstance(error.__cause__, CorruptStore) else "crashed"
        return orjson.dumps({"e": kind, "m": "the hunt could not be loaded", "r": None})
    for cls, kind in _KINDS:
        if isinstance(error, cls):
            retry = error.retry_after_ms if isinstance(error, Overloaded) else None
            return orjson.dumps({"e": kind, "m": str(error), "r": retry})
    return orjson.dumps({"e": "internal", "m": "internal error", "r": None})


def decode_failure(data: bytes) -> BaseException:
    """The exception an ``encode_failure`` body stands for."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        return WireFailure(f"malformed failure: {err!r}")
    return _failure(body) if isinstance(body, dict) else WireFailure("malformed failure")


def _failure(body: dict[str, Any]) -> BaseException:
    kind, message, retry = body.get("e"), str(body.get("m", "")), body.get("r")
    if kind == "overloaded":
        return Overloaded("owner", retry if isinstance(retry, int) else 50)
    cls = _CLASS_OF.get(kind) if isinstance(kind, str) else None
    return cls(message) if cls is not None else WireFailure(f"the owner failed: {message}")


# -- pushes ---------------------------------------------------------------------------------


def encode_records(records: Sequence[Recorded]) -> bytes:
    return orjson.dumps({"r": [record_to_dict(record) for record in records]})


def decode_records(data: bytes) -> list[Recorded]:
    try:
        return [dict_to_record(item) for item in orjson.loads(data)["r"]]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise WireFailure(f"malformed push: {err!r}") from err


# -- control --------------------------------------------------------------------------------


def encode_subscribers(gateway: str, counts: dict[str, int]) -> bytes:
    return orjson.dumps({"g": gateway, "s": counts})


def decode_subscribers(data: bytes) -> tuple[str, dict[str, int]]:
    try:
        body = orjson.loads(data)
        gateway, counts = body["g"], body["s"]
        if not isinstance(gateway, str) or not isinstance(counts, dict) or not all(
                isinstance(k, str) and isinstance(v, int) for k, v in counts.items()):
            raise TypeError("g must be a string and s an object of counts")
        return gateway, counts
    except (orjson.JSONDecodeError, KeyError, TypeError) as err:
        raise WireFailure(f"malformed report: {err!r}") from err


# -- statistics -----------------------------------------------------------------------------


def encode_statistics(statistics: RouterStatistics) -> bytes:
    return orjson.dumps(dataclasses.asdict(statistics))


def decode_statistics(data: bytes) -> RouterStatistics:
    try:
        body = orjson.loads(data)
        actors = tuple(ActorStatistics(**actor) for actor in body.pop("actors"))
        return RouterStatistics(**body, actors=actors)
    except (orjson.JSONDecodeError, KeyError, TypeError) as err:
        raise WireFailure(f"malformed statistics: {err!r}") from err
