"""The exceptions of the game rules.

    DomainError
    ├── DefinitionError   Raised when a hunt definition is invalid (the message names the field).
    └── Rejected          Raised when a command is refused; carries one of ``REFUSAL_CODES``.

The refusal codes are the domain's part of the wire's error codes (``hunt.protocol.ErrorCode``
holds them all, with their HTTP statuses); a test checks the one is inside the other.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["REFUSAL_CODES", "DefinitionError", "DomainError", "RefusalCode", "Rejected"]

RefusalCode = Literal[
    "already_found", "bad_request", "banned", "hunt_not_active", "internal", "invalid_state", "locked",
    "no_more_hints", "not_joined", "rate_limited", "team_full", "unauthorized", "unknown_clue", "unknown_op",
    "unknown_player", "unknown_team", "wrong_kind", "entry_pending", "unknown_entry",
    "roster_locked", "unknown_division", "removed",
    "outside_window",
]
REFUSAL_CODES: frozenset[str] = frozenset(get_args(RefusalCode))


class DomainError(Exception):
    """Raised when the game rules refuse something."""


class DefinitionError(DomainError):
    """Raised when a hunt definition is invalid (the message names the field)."""


class Rejected(DomainError):
    """Raised when a command is refused; nothing is recorded and nothing changes.

    Raises ValueError for a code outside ``REFUSAL_CODES``: a typo fails where it is made.
    """

    def __init__(self, code: RefusalCode, message: str, *, retry_after_ms: int | None = None) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"{code!r} is not a refusal code")
        super().__init__(message)
        self.code: RefusalCode = code
        self.message = message
        self.retry_after_ms = retry_after_ms
