"""The hub's feed buffer: every item after a cursor, in order, or None when some are only on disk."""

from __future__ import annotations

from hunt.engine import HuntHub


def filled(buffer: int, seqs: list[int]) -> HuntHub:
    hub = HuntHub("h", buffer)
    for seq in seqs:
        if len(hub.feed) == hub.feed.maxlen:
            hub.feed_floor = hub.feed[0][0]
        hub.feed.append((seq, None, {"seq": seq}))
    return hub


def test_feed_after_returns_every_later_item_in_order() -> None:
    hub = filled(10, [3, 5, 8, 13])
    for cursor, expected in [(0, [3, 5, 8, 13]), (3, [5, 8, 13]), (4, [5, 8, 13]), (8, [13]), (13, []), (99, [])]:
        assert [seq for seq, _, _ in hub.feed_after(cursor) or []] == expected


def test_feed_after_says_none_when_older_items_fell_out_of_memory() -> None:
    hub = filled(3, [3, 5, 8, 13, 21])  # 3 and 5 were evicted: everything after 5 is in memory
    assert hub.feed_floor == 5
    assert hub.feed_after(4) is None
    assert [seq for seq, _, _ in hub.feed_after(5) or []] == [8, 13, 21]
