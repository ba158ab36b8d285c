"""The exceptions of the storage layer.

    StoreError
    ├── HuntNotFound     Raised when no hunt file exists for an id.
    ├── HuntExists       Raised when creating or importing a hunt whose file already exists.
    ├── InvalidHuntId    Raised when a hunt id is malformed (it could escape the data directory).
    ├── StoreLocked      Raised when another writer (process or store) holds the hunt file.
    ├── CorruptStore     Raised when a hunt file cannot be read as a hunt log.
    ├── InvalidImport    Raised when an imported event stream is malformed.
    ├── WriteFailed      Raised when a batch could not be committed (nothing of it is durable).
    └── BackupFailed     Raised when a backup cannot be taken or restored.
"""

from __future__ import annotations

__all__ = [
    "BackupFailed",
    "CorruptStore",
    "HuntExists",
    "HuntNotFound",
    "InvalidHuntId",
    "InvalidImport",
    "StoreError",
    "StoreLocked",
    "WriteFailed",
]


class StoreError(Exception):
    """Raised when the event store cannot do what was asked."""


class HuntNotFound(StoreError):
    """Raised when no hunt file exists for an id."""


class HuntExists(StoreError):
    """Raised when creating or importing a hunt whose file already exists."""


class InvalidHuntId(StoreError):
    """Raised when a hunt id is malformed (it could escape the data directory)."""


class StoreLocked(StoreError):
    """Raised when another writer (process or store) holds the hunt file."""


class CorruptStore(StoreError):
    """Raised when a hunt file cannot be read as a hunt log."""


class InvalidImport(StoreError):
    """Raised when an imported event stream is malformed (the message says where)."""


class WriteFailed(StoreError):
    """Raised when a batch could not be committed; none of it is durable."""


class BackupFailed(StoreError):
    """Raised when a backup cannot be taken or restored (the message says which file and why)."""
