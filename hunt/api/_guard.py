"""Wrong-attempt limits and bans that a new name does not reset.

The rules limit wrong attempts per *player* and clue, and a ban is on a *player*; but joining
is free, so a guesser could take a fresh name after every few guesses, and a banned player
could join again at once. The :class:`Guard` adds the same limits per **connection** and per
**address** (the client's IP address), remembered here in memory:

- a connection may make at most the hunt's ``attempts.max`` wrong attempts per clue within
  ``attempts.window_s``, whichever players it acts as; an address at most
  ``game.address_wrong_attempts_max`` (many players can share an address: a school, a café);
  past that, guesses get ``rate_limited`` with ``retry_after_ms`` before they reach the hunt;
- once a connection's player is banned, that connection cannot join again (``banned``); and
  with ``game.ban_addresses`` on, neither can any connection from an address the banned
  player used (noted at each join and hello) for that hunt.

Memory is bounded: at most ``game.guard_addresses_max`` addresses (and as many players'
addresses) are remembered, least recently seen forgotten first. The state is not persisted: a
restart forgets address bans and counts (the player bans in the log stay).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config import GameConfig
from ..domain import AnswerClue, CheckIn, Command, HuntDefinition, Rejected, SubmitCode
from ..engine import Engine, Result

__all__ = ["AttemptWindow", "ConnectionGuard", "Guard", "submit_guarded"]

MAX_ADDRESSES_PER_PLAYER = 8


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
        """A player was banned: with ``ban_addresses``, no new player joins the hunt from its addresses."""
        if self.game.ban_addresses:
            for address in self._player_addresses.get((hunt_id, player), ()):
                self.address(address).banned.add(hunt_id)


class ConnectionGuard:
    """The limits of one connection (and of its address), checked before a command is submitted."""

    def __init__(self, guard: Guard, hunt_id: str, address: str | None) -> None:
        self.guard = guard
        self.hunt_id = hunt_id
        self.address = address
        self.wrong = AttemptWindow()
        self.banned = False  # a player of this connection was banned
        self._rules: tuple[int, int] | None = None  # the hunt's (attempts.max, window ms)

    def bind(self, definition: HuntDefinition, player: str, banned: bool) -> None:
        """The connection acts as ``player`` now (after a join or hello)."""
        self._rules = (definition.wrong_attempts_max, definition.wrong_attempts_window_ms)
        self.banned = self.banned or banned
        if self.address is not None:
            self.guard.note_player(self.hunt_id, player, self.address)
            if banned:
                self.guard.ban_player(self.hunt_id, player)

    def check_join(self, current_player_banned: bool) -> None:
        """Raise Rejected("banned") if a banned player is behind this connection or address."""
        if current_player_banned:
            self.banned = True
        address_banned = (self.address is not None and self.guard.game.ban_addresses
                          and self.hunt_id in self.guard.address(self.address).banned)
        if self.banned or address_banned:
            where = "connection" if self.banned else "address"
            raise Rejected("banned", f"a player of this {where} is banned from the hunt: "
                                     "no new player may join from it")

    def check(self, command: Command, now_ms: int) -> None:
        """Raise Rejected("rate_limited") if a guess would pass this connection's or address's limit."""
        clue = _guessed_clue(command)
        if clue is None or self._rules is None:
            return
        limit, window_ms = self._rules
        self.wrong.check(clue, limit, window_ms, now_ms, "connection")
        if self.address is not None:
            self._address_window().check(clue, self.guard.game.address_wrong_attempts_max, window_ms, now_ms,
                                         "address")

    def record(self, command: Command, fields: dict[str, object], now_ms: int) -> None:
        """Count the outcome of a command that was acknowledged (a wrong guess counts)."""
        clue = _guessed_clue(command)
        if clue is None or self._rules is None or fields.get("result") not in ("wrong", "too_far"):
            return
        self.wrong.record(clue, self._rules[0], now_ms)
        if self.address is not None:
            self._address_window().record(clue, self.guard.game.address_wrong_attempts_max, now_ms)

    def _address_window(self) -> AttemptWindow:
        assert self.address is not None
        return self.guard.address(self.address).wrong.setdefault(self.hunt_id, AttemptWindow())


async def submit_guarded(engine: Engine, guard: ConnectionGuard, commands: Sequence[Command],
                         now_ms: int) -> list[Result]:
    """Submit a connection's commands; those past its limits are refused in place, unsent.

    Raises what ``Engine.submit`` raises. Wrong guesses that were acknowledged are counted,
    and a ``banned`` refusal marks the connection (and its address) as a banned player's.
    """
    results: list[Result | None] = [None] * len(commands)
    sent: list[int] = []
    for i, command in enumerate(commands):
        try:
            guard.check(command, now_ms)
            sent.append(i)
        except Rejected as refusal:
            results[i] = refusal
    if sent:
        for i, result in zip(sent, await engine.submit(guard.hunt_id, [commands[i] for i in sent]), strict=True):
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
