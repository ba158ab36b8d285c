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


def test_news_is_what_a_player_would_be_sent_after_a_seq() -> None:
    hub = HuntHub("h", 10)
    for seq, audience in [(3, None), (5, frozenset({"ann"})), (8, frozenset({"bob", "cy"}))]:
        hub.feed.append((seq, audience, {"seq": seq}))
    assert hub.has_news_for("ann", 0) and hub.has_news_for("ann", 3)  # public 3, then ann's 5
    assert not hub.has_news_for("ann", 5), "bob's and cy's find is not news for ann"
    assert hub.has_news_for("cy", 5) and not hub.has_news_for("cy", 8)
    assert not hub.has_news_for(None, 3), "a connection without a player hears only public items"


def test_news_when_items_after_the_seq_are_only_on_disk() -> None:
    hub = filled(2, [3, 5, 8])  # 3 was evicted
    assert hub.has_news_for("ann", 2)


def test_news_wakes_only_the_players_it_is_for() -> None:
    hub = HuntHub("h", 10)
    ann, bob, anyone = hub.news_event("ann"), hub.news_event("bob"), hub.news_event(None)
    assert hub.news_event("ann") is ann, "several sockets of one player share the wake-up"
    hub._wake_news(frozenset({"bob"}))
    assert bob.is_set() and not ann.is_set() and not anyone.is_set()
    assert hub.news_event("bob") is not bob, "a set event is replaced"
    hub.feed.append((1, None, {"seq": 1}))  # (feed items are published by end_commit)
    hub._wake_news(None)  # a reattach wakes everybody
    assert ann.is_set() and anyone.is_set()
