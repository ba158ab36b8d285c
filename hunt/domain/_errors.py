"""The exceptions of the game rules.

    DomainError
    ├── DefinitionError   Raised when a hunt definition is invalid (the message names the field).
    └── Rejected          Raised when a command is refused; carries a wire error code.
"""

from __future__ import annotations

__all__ = ["DefinitionError", "DomainError", "Rejected"]


class DomainError(Exception):
    """Raised when the game rules refuse something."""


class DefinitionError(DomainError):
    """Raised when a hunt definition is invalid (the message names the field)."""


class Rejected(DomainError):
    """Raised when a command is refused; nothing is recorded and nothing changes."""

    def __init__(self, code: str, message: str, *, retry_after_ms: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms
