"""A hunt's live side: the feed buffer (every item after a cursor, in order, or None when some
are only on disk), who has news, who is woken, and views cached per committed seq."""

from __future__ import annotations

from typing import Any

from hunt.engine._feed import FeedBuffer
from hunt.engine._hub import HuntHub, LiveHunt
from hunt.engine._views import MAX_VIEWS, ViewCache


def filled(buffer: int, seqs: list[int], audiences: list[Any] | None = None) -> LiveHunt:
    hub = HuntHub("h", buffer)
    for seq, audience in zip(seqs, audiences or [None] * len(seqs), strict=True):
        hub.feed.publish((seq, audience, {"seq": seq}))
    return LiveHunt(hub)


def test_feed_after_returns_every_later_item_in_order() -> None:
    live = filled(10, [3, 5, 8, 13])
    for cursor, expected in [(0, [3, 5, 8, 13]), (3, [5, 8, 13]), (4, [5, 8, 13]), (8, [13]), (13, []), (99, [])]:
        assert [seq for seq, _, _ in live.feed_after(cursor) or []] == expected
    assert live.last_feed_seq == 13


def test_feed_after_says_none_when_older_items_fell_out_of_memory() -> None:
    live = filled(3, [3, 5, 8, 13, 21])  # 3 and 5 were evicted: everything after 5 is in memory
    assert live.feed_floor == 5
    assert live.feed_after(4) is None
    assert [seq for seq, _, _ in live.feed_after(5) or []] == [8, 13, 21]


def test_a_reset_buffer_holds_everything_after_its_floor() -> None:
    feed = FeedBuffer(4)
    feed.publish((3, None, {}))
    feed.reset(40)
    assert (feed.floor, feed.last_seq, feed.after(40), feed.after(39)) == (40, 40, [], None)


def test_news_is_what_a_player_would_be_sent_after_a_seq() -> None:
    live = filled(10, [3, 5, 8], [None, frozenset({"ann"}), frozenset({"bob", "cy"})])
    assert live.has_news_for("ann", 0) and live.has_news_for("ann", 3)  # public 3, then ann's 5
    assert not live.has_news_for("ann", 5), "bob's and cy's find is not news for ann"
    assert live.has_news_for("cy", 5) and not live.has_news_for("cy", 8)
    assert not live.has_news_for(None, 3), "a connection without a player hears only public items"


def test_news_when_items_after_the_seq_are_only_on_disk() -> None:
    live = filled(2, [3, 5, 8])  # 3 was evicted
    assert live.has_news_for("ann", 2)


def test_news_wakes_only_the_players_it_is_for() -> None:
    hub = HuntHub("h", 10)
    ann, bob, anyone = hub.news_event("ann"), hub.news_event("bob"), hub.news_event(None)
    assert hub.news_event("ann") is ann, "several sockets of one player share the wake-up"
    hub._wake_news(frozenset({"bob"}))
    assert bob.is_set() and not ann.is_set() and not anyone.is_set()
    assert hub.news_event("bob") is not bob, "a set event is replaced"
    hub._wake_news(None)  # a reattach wakes everybody
    assert ann.is_set() and anyone.is_set()


def test_a_view_is_built_once_per_seq_and_the_cache_is_bounded() -> None:
    views = ViewCache()
    builds: list[int] = []

    def build() -> list[int]:
        builds.append(1)
        return [len(builds)]

    first = views.get("top", 7, build, repr_encode)
    assert views.get("top", 7, build, repr_encode) == first and len(builds) == 1
    assert views.get("top", 8, build, repr_encode) != first and len(builds) == 2
    for n in range(MAX_VIEWS + 5):
        views.get(("page", n), 8, build, repr_encode)
    assert len(views._views) <= MAX_VIEWS


def repr_encode(value: Any) -> bytes:
    return repr(value).encode()
