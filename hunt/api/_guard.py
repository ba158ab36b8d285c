"""Wrong-attempt limits and bans that a new name does not reset.

The rules limit wrong attempts per *player* and clue, and a ban is on a *player*; but joining
is free, so a guesser could take a fresh name after every few guesses, and a banned player
could join again at once. The :class:`Guard` adds the same limits per **connection**, per
**address** (the client's IP address) and per **device** (the ``device`` id a client may send
with ``join`` and ``hello``; the player page sends one it keeps), remembered here in memory:

- a connection may make at most the hunt's ``attempts.max`` wrong attempts per clue within
  ``attempts.window_s``, whichever players it acts as; an address at most
  ``game.address_wrong_attempts_max`` (many players can share an address: a school, a café);
  a device as much as a connection; past that, guesses get ``rate_limited`` with
  ``retry_after_ms`` before they reach the hunt;
- once a connection's player is banned, that connection cannot join again (``banned``), nor
  can any connection from a device the banned player used, nor (with ``game.ban_addresses``)
  from an address it used (both noted at each join and hello), for that hunt.

A device id is the client's word: a client that changes it is a new device. It still stops
the common case (a banned player who reloads the page, or a guesser who takes a new name).

Memory is bounded: at most ``game.guard_addresses_max`` addresses and devices (and as many
players' addresses) are remembered, least recently seen forgotten first. The state is not persisted: a
restart forgets address bans and counts (the player bans in the log stay).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config import GameConfig
from ..domain import AnswerClue, CheckIn, Command, HuntDefinition, Rejected, SubmitCode
from ..engine import Result

__all__ = ["AttemptWindow", "ConnectionGuard", "Guard", "check_commands", "note_results"]

MAX_ADDRESSES_PER_PLAYER = 8
# Devices share the addresses' memory under this prefix (no IP address starts with it).
DEVICE_PREFIX = "device:"


@dataclass(slots=True)
class AttemptWindow:
    """Times (ms) of recent wrong attempts per clue; at most ``limit`` kept per clue."""

    times: dict[str, list[int]] = field(default_factory=dict)

    def check(self, clue: str, limit: int, window_ms: int, now_ms: int, who: str) -> None:
        recent = [ts for ts in self.times.get(clue, ()) if now_ms - ts < window_ms]
        if len(recent) >= limit:
            retry = recent[0] + window_ms - now_ms
            raise Rejected("rate_limited", f"too many wrong attempts on {clue!r} from this {who}",
                           retry_after_ms=max(1, retry))

    def record(self, clue: str, limit: int, now_ms: int) -> None:
        recent = self.times.setdefault(clue, [])
        recent.append(now_ms)
        del recent[:-limit]


@dataclass(slots=True)
class _Address:
    wrong: dict[str, AttemptWindow] = field(default_factory=dict)  # hunt -> attempts
    banned: set[str] = field(default_factory=set)  # hunts


class Guard:
    """The per-address memory of one server, shared by its connections."""

    def __init__(self, game: GameConfig) -> None:
        self.game = game
        self._addresses: OrderedDict[str, _Address] = OrderedDict()
        self._player_addresses: OrderedDict[tuple[str, str], list[str]] = OrderedDict()

    def connection(self, hunt_id: str, address: str | None) -> ConnectionGuard:
        return ConnectionGuard(self, hunt_id, address)

    def address(self, address: str) -> _Address:
        record = self._addresses.get(address)
        if record is None:
            record = self._addresses[address] = _Address()
            if len(self._addresses) > self.game.guard_addresses_max:
                self._addresses.popitem(last=False)
        else:
            self._addresses.move_to_end(address)
        return record

    def note_player(self, hunt_id: str, player: str, address: str) -> None:
        """Remember that ``player`` played from ``address`` (for a later ban)."""
        key = (hunt_id, player)
        seen = self._player_addresses.pop(key, [])
        if address not in seen:
            seen = [*seen, address][-MAX_ADDRESSES_PER_PLAYER:]
        self._player_addresses[key] = seen
        if len(self._player_addresses) > self.game.guard_addresses_max:
            self._player_addresses.popitem(last=False)

    def ban_player(self, hunt_id: str, player: str) -> None:
        """A player was banned: no new player joins the hunt from its devices, nor (with
        ``ban_addresses``) from its addresses."""
        for key in self._player_addresses.get((hunt_id, player), ()):
            if key.startswith(DEVICE_PREFIX) or self.game.ban_addresses:
                self.address(key).banned.add(hunt_id)


    def unban_player(self, hunt_id: str, player: str) -> None:
        """A ban was lifted: its player's devices and addresses may bring new players again."""
        for key in self._player_addresses.get((hunt_id, player), ()):
            record = self._addresses.get(key)
            if record is not None:
                record.banned.discard(hunt_id)


class ConnectionGuard:
    """The limits of one connection, and of its address and device, checked before a command is submitted."""

    def __init__(self, guard: Guard, hunt_id: str, address: str | None) -> None:
        self.guard = guard
        self.hunt_id = hunt_id
        self.address = address
        self.device: str | None = None  # the client's own device id (a join's or hello's "device")
        self.wrong = AttemptWindow()
        self.banned = False  # a player of this connection was banned
        self._rules: tuple[int, int] | None = None  # the hunt's (attempts.max, window ms)

    def bind(self, definition: HuntDefinition, player: str, banned: bool, device: str | None = None) -> None:
        """The connection acts as ``player`` now (after a join or hello), from ``device`` if it said."""
        self._rules = (definition.wrong_attempts_max, definition.wrong_attempts_window_ms)
        self.device = device or self.device
        self.banned = self.banned or banned
        for key, _, _, _ in self._sources():
            self.guard.note_player(self.hunt_id, player, key)
        if banned:
            self.guard.ban_player(self.hunt_id, player)

    def check_join(self, current_player_banned: bool, device: str | None = None) -> None:
        """Raise Rejected("banned") if a banned player is behind this connection, address or device."""
        self.device = device or self.device
        if current_player_banned:
            self.banned = True
        where = "connection" if self.banned else None
        for key, what, _, bannable in self._sources():
            if where is None and bannable and self.hunt_id in self.guard.address(key).banned:
                where = what
        if where is not None:
            raise Rejected("banned", f"a player of this {where} is banned from the hunt: "
                                     "no new player may join from it")

    def check(self, command: Command, now_ms: int) -> None:
        """Raise Rejected("rate_limited") if a guess would pass a limit of this connection, address or device."""
        clue = _guessed_clue(command)
        if clue is None or self._rules is None:
            return
        limit, window_ms = self._rules
        self.wrong.check(clue, limit, window_ms, now_ms, "connection")
        for key, what, source_limit, _ in self._sources():
            self._window(key).check(clue, source_limit or limit, window_ms, now_ms, what)

    def record(self, command: Command, fields: dict[str, object], now_ms: int) -> None:
        """Count the outcome of a command that was acknowledged (a wrong guess counts)."""
        clue = _guessed_clue(command)
        if clue is None or self._rules is None or fields.get("result") not in ("wrong", "too_far"):
            return
        self.wrong.record(clue, self._rules[0], now_ms)
        for key, _, source_limit, _ in self._sources():
            self._window(key).record(clue, source_limit or self._rules[0], now_ms)

    def _sources(self) -> list[tuple[str, str, int | None, bool]]:
        """(key, name, wrong-attempt limit or None for the hunt's, banned with its player) of each
        source beyond the connection: its address and its device."""
        game = self.guard.game
        sources = []
        if self.address is not None:
            sources.append((self.address, "address", game.address_wrong_attempts_max, game.ban_addresses))
        if self.device is not None:  # one device is one person: the hunt's own limit, and always banned
            sources.append((DEVICE_PREFIX + self.device, "device", None, True))
        return sources

    def _window(self, key: str) -> AttemptWindow:
        return self.guard.address(key).wrong.setdefault(self.hunt_id, AttemptWindow())


def check_commands(guard: ConnectionGuard, commands: Sequence[Command], now_ms: int,
                   ) -> tuple[list[Result | None], list[int]]:
    """Check a connection's commands: those past its limits are refused in place (their
    ``Rejected`` in the returned list); the indexes of the others, to be submitted, come second."""
    results: list[Result | None] = [None] * len(commands)
    sent: list[int] = []
    for i, command in enumerate(commands):
        try:
            guard.check(command, now_ms)
            sent.append(i)
        except Rejected as refusal:
            results[i] = refusal
    return results, sent


def note_results(guard: ConnectionGuard, commands: Sequence[Command], results: list[Result | None],
                 sent: Sequence[int], answers: Sequence[Result], now_ms: int) -> list[Result]:
    """Put the engine's ``answers`` to the ``sent`` commands in place; count the acknowledged wrong
    guesses, and mark the connection (and its address) a banned player's on a ``banned`` refusal.
    Does not block (it may run on the actor's task)."""
    for i, result in zip(sent, answers, strict=True):
        results[i] = result
        if isinstance(result, Rejected):
            if result.code == "banned":
                guard.banned = True
                guard.guard.ban_player(guard.hunt_id, commands[i].principal)
        elif not result.duplicate:
            guard.record(commands[i], result.fields, now_ms)
    return [result for result in results if result is not None]


def _guessed_clue(command: Command) -> str | None:
    match command:
        case AnswerClue(clue=clue) | CheckIn(clue=clue) | SubmitCode(clue=clue):
            return clue
    return None
