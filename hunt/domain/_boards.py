"""The leaderboards of a hunt as team management and divisions see them: the overall board and
one per division, rows with their captain and division, and teams found by their current name.

A mixin of :class:`~._state.HuntState` (kept apart to keep that module small); it only reads
and keeps the boards in step, ``apply`` decides when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

from ._names import fold_team_name

if TYPE_CHECKING:
    from ._state import Player, Side

__all__ = ["BoardsMixin"]


class BoardsMixin:
    sides: dict[str, Side]
    players: dict[str, Player]
    leaderboard: SortedList
    division_boards: dict[str, SortedList]
    frozen: dict[str, list[int]] | None
    frozen_rows: list[str]
    team_names: dict[str, str]

    def rank_of(self, side_id: str, division: str | None = None) -> int | None:
        """1-based rank of a side on the leaderboard (or on its ``division``'s), in O(log n);
        None if not ranked there."""
        side = self.sides.get(side_id)
        if side is None or not side.active or (division is not None and side.division != division):
            return None
        board = self.leaderboard if division is None else self.division_boards[division]
        return int(board.index(side.key())) + 1

    def board(self, division: str | None = None) -> SortedList:
        """The overall leaderboard, or a division's (KeyError for a division the hunt lacks)."""
        return self.leaderboard if division is None else self.division_boards[division]

    def frozen_board(self, division: str | None = None) -> list[str]:
        """The frozen standings' side ids in rank order (of a division: its sides as they are now)."""
        if division is None:
            return self.frozen_rows
        return [side_id for side_id in self.frozen_rows if self.sides[side_id].division == division]

    def _row(self, side: Side, rank: int, score: int) -> dict[str, Any]:
        row: dict[str, Any] = {"rank": rank, "player": side.id, "name": side.name, "score": score}
        if side.captain is not None:
            row["captain"] = self.players[side.captain].name
        if side.division is not None:
            row["division"] = side.division
        return row

    def team_by_name(self, name: str) -> Side | None:
        """The team that is called ``name`` now (case and spaces folded), or None."""
        side_id = self.team_names.get(fold_team_name(name))
        return None if side_id is None else self.sides[side_id]

    def board_add(self, side: Side) -> None:
        """Put a side on the overall board and its division's (where it ranks by its key)."""
        self.leaderboard.add(side.key())
        if side.division is not None:
            self.division_boards[side.division].add(side.key())

    def board_remove(self, side: Side) -> None:
        self.leaderboard.remove(side.key())
        if side.division is not None:
            self.division_boards[side.division].remove(side.key())

    def public_division_rank(self, side_id: str) -> int | None:
        """A side's rank in its division as players may see it (frozen: among the division's sides
        as of the freeze)."""
        side = self.sides[side_id]
        if side.division is None:
            return None
        if self.frozen is None:
            return self.rank_of(side_id, side.division)
        board = self.frozen_board(side.division)
        return board.index(side_id) + 1 if side_id in board else None
