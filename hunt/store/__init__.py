"""Storage: one SQLite event log per hunt (and an in-memory twin), behind the HuntStore protocol."""

from ._backup import BACKUP_PREFIX, MANIFEST, backup, prune_backups, read_manifest, restore
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
    BackupFailed,
    CorruptStore,
    HuntExists,
    HuntNotFound,
    InvalidHuntId,
    InvalidImport,
    StoreError,
    StoreLocked,
    WriteFailed,
)
from ._files import copy_private, create_private, file_sha256, insecure_paths, make_private_dir
from ._memory import MemoryHuntStore
from ._protocol import HuntStore, HuntStores, MemoryHuntStores, SqliteHuntStores
from ._sqlite import DRAFT_SUFFIX, RELAY_CURSOR, SqliteHuntStore, draft_path, hunt_ids, hunt_path, remove_drafts

__all__ = [
    "BACKUP_PREFIX",
    "DRAFT_SUFFIX",
    "MANIFEST",
    "RELAY_CURSOR",
    "BackupFailed",
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
    "backup",
    "copy_private",
    "create_private",
    "decode_snapshot",
    "dict_to_record",
    "draft_path",
    "encode_snapshot",
    "encode_snapshot_document",
    "file_sha256",
    "hunt_ids",
    "hunt_path",
    "insecure_paths",
    "make_private_dir",
    "prune_backups",
    "read_manifest",
    "record_to_dict",
    "record_to_row",
    "remove_drafts",
    "restore",
    "row_to_record",
]
