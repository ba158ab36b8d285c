"""The commands and events of team management and divisions (the organiser's side of teams).

Kept beside :mod:`._messages`, which lists them in its closed sets ``Command`` and ``Event``.
A team is named by its side id (``team:gulls``): a rename changes the name it is shown and
joined by, never its id. Passcodes never appear here in clear: an organiser's passcode comes
as its keyed hash (the API holds the key), a generated one as a generation number the API
derives the code from.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "TEAM_EVENT_CLASSES",
    "CaptainChanged",
    "CreateTeam",
    "DivisionSet",
    "LockRosters",
    "PlayerRemoved",
    "RemovePlayer",
    "RenameTeam",
    "RosterLocked",
    "SetCaptain",
    "SetDivision",
    "SetTeamPasscode",
    "SetTeamSize",
    "TeamCreated",
    "TeamEvent",
    "TeamPasscodeChanged",
    "TeamRenamed",
    "TeamSizeSet",
]

# -- commands (all the organiser's: principal "admin") ------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateTeam:
    """A team made by the organiser before anybody joins it. ``passcode``: the keyed hash of the
    passcode the organiser chose (None: a generated code)."""

    cmd: str
    name: str
    passcode: str | None = None
    size: int | None = None  # the most players it may have (None: the hunt's team_size)
    division: str | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class RenameTeam:
    cmd: str
    team: str  # side id
    name: str
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class SetTeamPasscode:
    """A new passcode: the keyed hash of the organiser's, or None for a newly generated code."""

    cmd: str
    team: str
    passcode: str | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class SetTeamSize:
    cmd: str
    team: str
    size: int | None  # None: the hunt's team_size
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class SetCaptain:
    cmd: str
    team: str
    player: str
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class RemovePlayer:
    """Take a player off their team's roster: they can no longer act (they may join again)."""

    cmd: str
    player: str
    reason: str = ""
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class LockRosters:
    """Lock every roster (``team`` None) or one team's, from ``at`` (epoch ms; None: now), or
    unlock it (``locked`` False). Joins to a locked roster are refused."""

    cmd: str
    team: str | None = None
    locked: bool = True
    at: int | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class SetDivision:
    """Put a side (a team's side id, or a solo player's id) in a division, or in none."""

    cmd: str
    side: str
    division: str | None
    principal: str = "admin"


# -- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamCreated:
    TYPE = "team_created"
    side: str
    name: str
    passcode: str | None  # the keyed hash of the organiser's passcode (None: generated)
    size: int | None
    division: str | None


@dataclass(frozen=True, slots=True)
class TeamRenamed:
    TYPE = "team_renamed"
    side: str
    name: str


@dataclass(frozen=True, slots=True)
class TeamPasscodeChanged:
    TYPE = "team_passcode_changed"
    side: str
    passcode: str | None  # the keyed hash of the organiser's passcode (None: generated)
    generation: int  # which generated code is the team's now (counts every change)


@dataclass(frozen=True, slots=True)
class TeamSizeSet:
    TYPE = "team_size_set"
    side: str
    size: int | None


@dataclass(frozen=True, slots=True)
class CaptainChanged:
    TYPE = "captain_changed"
    side: str
    player: str  # the new captain


@dataclass(frozen=True, slots=True)
class PlayerRemoved:
    TYPE = "player_removed"
    player: str
    side: str  # the team they were taken off
    reason: str


@dataclass(frozen=True, slots=True)
class RosterLocked:
    TYPE = "roster_locked"
    side: str | None  # None: every team's roster
    at: int | None  # locked from this time (epoch ms); None: unlocked


@dataclass(frozen=True, slots=True)
class DivisionSet:
    TYPE = "division_set"
    side: str
    division: str | None


TEAM_COMMAND_CLASSES: tuple[type, ...] = (CreateTeam, RenameTeam, SetTeamPasscode, SetTeamSize, SetCaptain,
                                          RemovePlayer, LockRosters, SetDivision)
TeamEvent = (TeamCreated | TeamRenamed | TeamPasscodeChanged | TeamSizeSet | CaptainChanged | PlayerRemoved
             | RosterLocked | DivisionSet)
TEAM_EVENT_CLASSES: tuple[type, ...] = (TeamCreated, TeamRenamed, TeamPasscodeChanged, TeamSizeSet, CaptainChanged,
                                        PlayerRemoved, RosterLocked, DivisionSet)
