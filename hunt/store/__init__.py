"""Storage: one SQLite event log per hunt (and an in-memory twin), behind the HuntStore protocol."""

from ._codec import (
    decode_snapshot,
    dict_to_record,
    encode_snapshot,
    encode_snapshot_document,
    record_to_dict,
    record_to_row,
    row_to_record,
)
from ._errors import (
    CorruptStore,
    HuntExists,
    HuntNotFound,
    InvalidHuntId,
    InvalidImport,
    StoreError,
    StoreLocked,
    WriteFailed,
)
from ._memory import MemoryHuntStore
from ._protocol import HuntStore, HuntStores, MemoryHuntStores, SqliteHuntStores
from ._sqlite import SqliteHuntStore, hunt_ids, hunt_path

__all__ = [
    "CorruptStore",
    "HuntExists",
    "HuntNotFound",
    "HuntStore",
    "HuntStores",
    "InvalidHuntId",
    "InvalidImport",
    "MemoryHuntStore",
    "MemoryHuntStores",
    "SqliteHuntStore",
    "SqliteHuntStores",
    "StoreError",
    "StoreLocked",
    "WriteFailed",
    "decode_snapshot",
    "dict_to_record",
    "encode_snapshot",
    "encode_snapshot_document",
    "hunt_ids",
    "hunt_path",
    "record_to_dict",
    "record_to_row",
    "row_to_record",
]
