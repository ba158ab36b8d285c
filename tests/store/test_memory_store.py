"""What only the in-memory store offers: injected write failures for the layers above."""

from __future__ import annotations

from typing import Any

import pytest
from store_helpers import build_log

from hunt.store import MemoryHuntStore, WriteFailed


def test_fail_appends_fails_the_next_appends_and_writes_nothing(hunt_document: dict[str, Any]) -> None:
    log = build_log(hunt_document, 10)
    store = MemoryHuntStore()
    store.fail_appends = 2
    for _ in range(2):
        with pytest.raises(WriteFailed):
            store.append(log[:5])
    assert store.last_seq() == 0
    store.append(log[:5])
    assert list(store.read()) == log[:5]
    store.close()
    assert store.closed
