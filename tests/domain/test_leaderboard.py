"""The leaderboard: score first, then whoever reached it first; ranks agree with pages."""

from __future__ import annotations

from tests.support.domain import Game, adjust, answer, clue, hint, hunt

THREE = hunt(clue("a", points=50, answers=["a"]), clue("b", points=50, answers=["b"]),
             clue("c", points=100, answers=["c"], hints=[{"text": "t", "cost": 10}]))


def board(game: Game) -> list[tuple[str, int]]:
    return [(row["name"], row["score"]) for row in game.state.top(100)]


def test_higher_scores_rank_first_and_ties_go_to_whoever_got_there_first() -> None:
    game = Game(THREE)
    ann, bob, cat, dan = (game.join(name) for name in ("Ann", "Bob", "Cat", "Dan"))
    game.send(answer(bob, "a", "a"))
    game.send(answer(cat, "b", "b"))
    game.send(answer(ann, "c", "c"))
    assert board(game) == [("Ann", 100), ("Bob", 50), ("Cat", 50), ("Dan", 0)]
    game.send(answer(cat, "a", "a"))  # Cat reaches 100 after Ann did
    game.send(answer(bob, "b", "b"))  # and Bob after Cat
    assert board(game) == [("Ann", 100), ("Cat", 100), ("Bob", 100), ("Dan", 0)]
    assert [game.state.rank_of(p) for p in (ann, bob, cat, dan)] == [1, 3, 2, 4]


def test_players_who_have_not_scored_rank_in_joining_order() -> None:
    game = Game(THREE)
    for name in ("Zoe", "Ann", "Max"):
        game.join(name)
    assert board(game) == [("Zoe", 0), ("Ann", 0), ("Max", 0)]


def test_negative_scores_rank_below_zero() -> None:
    game = Game(THREE)
    ann, _ = game.join("Ann"), game.join("Bob")
    game.send(hint(ann, "c"))
    assert board(game) == [("Bob", 0), ("Ann", -10)]


def test_an_adjustment_moves_a_player_like_any_score() -> None:
    game = Game(THREE)
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "a", "a"))
    game.send(adjust(bob, 60))
    assert board(game) == [("Bob", 60), ("Ann", 50)]
    game.send(adjust(bob, -10))
    assert board(game) == [("Ann", 50), ("Bob", 50)]  # Bob's last change came later


def test_rank_of_agrees_with_top() -> None:
    game = Game(THREE)
    players = [game.join(f"P{i}") for i in range(9)]
    for i, player in enumerate(players):
        for clue_id in "abc"[: i % 4]:
            game.send(answer(player, clue_id, clue_id))
    rows = game.state.top(len(players))
    assert len(rows) == len(players)
    for row in rows:
        assert game.state.rank_of(row["player"]) == row["rank"]
    assert [row["rank"] for row in rows] == list(range(1, len(players) + 1))
    assert game.state.rank_of("nobody") is None


def test_the_leaderboard_pages_with_an_offset() -> None:
    game = Game(THREE)
    players = [game.join(f"P{i}") for i in range(7)]
    for player in players[::2]:
        game.send(answer(player, "a", "a"))
    everything = game.state.top(100)
    pages = [game.state.top(3, offset) for offset in (0, 3, 6)]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert pages[0] + pages[1] + pages[2] == everything
    assert [row["rank"] for row in pages[1]] == [4, 5, 6]
    assert game.state.top(3, 7) == []
    assert game.state.top(0) == []
