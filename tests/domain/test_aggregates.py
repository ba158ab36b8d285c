"""The aggregates kept live: clue stats, counts by type, the heatmap, player progress, the ledger."""

from __future__ import annotations

from hunt.domain import HuntState
from tests.support.domain import (
    CRANE,
    T0,
    Game,
    adjust,
    answer,
    checkin,
    clue,
    code,
    example,
    hint,
    hunt,
    north_of,
    pause,
    ping,
    start,
)


def test_clue_stats_count_attempts_wrong_answers_finders_the_first_finder_and_hints() -> None:
    game = Game()
    ann, bob, cat = game.join("Ann"), game.join("Bob"), game.join("Cat")
    game.send(answer(ann, "c1", "candle"))
    game.send(hint(bob, "c1"))
    game.send(answer(bob, "c1", "lighthouse"))
    game.send(answer(ann, "c1", "lighthouse"))
    game.send(answer(ann, "c1", "lighthouse"))  # already found: not an attempt
    game.send(checkin(cat, "c2", *north_of(CRANE, 200)))
    stats = game.state.clue_stats
    assert (stats["c1"].attempts, stats["c1"].wrong, stats["c1"].finders, stats["c1"].first_finder) == (3, 1, 2, bob)
    assert stats["c1"].hints_taken == 1
    assert (stats["c2"].attempts, stats["c2"].wrong, stats["c2"].finders, stats["c2"].first_finder) == (1, 1, 0, None)
    assert (stats["c3"].attempts, stats["c3"].median_solve_s()) == (0, None)


def test_the_median_solve_time_counts_from_the_later_of_the_start_and_joining() -> None:
    game = Game(active=False)
    ann, bob = game.join("Ann", at=T0 + 1000), game.join("Bob", at=T0 + 2000)
    begin = T0 + 10_000
    game.send(start(), at=begin)
    game.send(answer(ann, "c1", "lighthouse"), at=begin + 10_000)  # 10 s
    cat = game.join("Cat", at=begin + 20_000)
    game.send(answer(bob, "c1", "lighthouse"), at=begin + 30_000)  # 30 s
    game.send(answer(cat, "c1", "lighthouse"), at=begin + 60_000)  # 40 s after Cat joined
    assert game.state.clue_stats["c1"].median_solve_s() == 30.0
    dan = game.join("Dan", at=begin + 61_000)
    game.send(answer(dan, "c1", "lighthouse"), at=begin + 81_500)  # 20.5 s
    assert game.state.clue_stats["c1"].median_solve_s() == 25.25


def test_solve_times_of_a_scheduled_hunt_count_from_its_scheduled_start_even_after_a_pause() -> None:
    opens = T0 + 60_000
    game = Game(example() | {"starts_at": opens}, active=False)
    ann = game.join("Ann")
    game.send(pause(), at=opens + 10_000)
    game.send(start(), at=opens + 20_000)
    game.send(answer(ann, "c1", "lighthouse"), at=opens + 30_000)
    assert game.state.clue_stats["c1"].median_solve_s() == 30.0


def test_solve_times_of_a_scheduled_hunt_started_early_count_from_the_manual_start() -> None:
    game = Game(example() | {"starts_at": T0 + 3_600_000}, active=False)
    ann = game.join("Ann")
    game.send(start(), at=T0 + 10_000)
    game.send(answer(ann, "c1", "lighthouse"), at=T0 + 25_000)
    assert game.state.clue_stats["c1"].median_solve_s() == 15.0


def test_events_are_counted_by_type() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(ping(ann, *CRANE))
    game.send(ping(ann, *CRANE))
    game.send(answer(ann, "c1", "candle"))
    game.send(answer(ann, "c1", "lighthouse"))
    game.send(adjust(ann, 3))
    assert dict(game.state.counts) == {
        "hunt_created": 1, "hunt_started": 1, "player_joined": 1, "pinged": 2, "attempt_failed": 1,
        "clue_found": 1, "score_adjusted": 1}


def test_pings_fill_a_coarse_heatmap_of_grid_cells() -> None:
    game = Game()  # cells of 0.001 degrees
    ann, bob = game.join("Ann"), game.join("Bob")
    for lat, lon in ((53.5441, 9.9667), (53.5449, 9.9661), (53.5451, 9.9667), (-0.0005, -0.0005)):
        game.send(ping(ann, lat, lon))
    game.send(ping(bob, 53.5445, 9.9665))
    assert dict(game.state.heatmap) == {(53544, 9966): 3, (53545, 9966): 1, (-1, -1): 1}


def test_the_heatmap_keeps_at_most_max_cells_and_counts_pings_beyond_them() -> None:
    game = Game(hunt(clue("c1"), heatmap_max_cells=3))
    ann = game.join("Ann")
    for i in range(10):  # ten distinct cells: a player walking, or one inventing positions
        game.send(ping(ann, 1 + i / 100, 1))
    game.send(ping(ann, 1, 1))  # a cell already on the map still counts there
    assert len(game.state.heatmap) == 3
    assert game.state.heatmap[(1000, 1000)] == 2
    assert game.state.heatmap_overflow == 7
    assert HuntState.from_dict(game.state.to_dict()).heatmap_overflow == 7  # snapshots keep it


def test_the_heatmap_cell_size_comes_from_the_definition() -> None:
    game = Game(hunt(clue("c1"), heatmap_cell_deg=0.01))
    ann = game.join("Ann")
    game.send(ping(ann, 53.5441, 9.9667))
    assert dict(game.state.heatmap) == {(5354, 996): 1}


def test_player_progress_shows_found_clues_hints_wrong_attempts_and_the_last_location() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(hint(ann, "c1"))
    game.send(answer(ann, "c1", "candle"))
    game.send(answer(ann, "c1", "candle"))
    found_at = game.now + 1000
    game.send(answer(ann, "c1", "lighthouse"), at=found_at)
    found_seq = game.state.seq
    game.send(code(ann, "c3", "nope"))
    game.send(ping(ann, 53.5, 9.9))
    game.send(ping(ann, 53.6, 10.0))
    player, side = game.state.players[ann], game.state.side_of(ann)
    assert side.found == {"c1": {"seq": found_seq, "ts": found_at, "points": 120, "by": ann}}
    assert side.hints == {"c1": 1}
    assert player.wrong == {"c1": 2, "c3": 1}
    assert player.location == (53.6, 10.0, game.now)
    assert player.pings == 2


def test_every_point_is_explained_by_the_ledger() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(hint(ann, "c1"))
    game.send(answer(ann, "c1", "lighthouse"))
    game.send(answer(bob, "c1", "lighthouse"))
    game.send(checkin(ann, "c2", *CRANE))
    game.send(adjust(bob, -5, "late"))
    assert [(e["type"], e["clue"], e["points"]) for e in game.ledger(ann)] == [
        ("hint_taken", "c1", -10), ("clue_found", "c1", 120), ("clue_found", "c2", 50)]
    assert game.ledger(ann)[1]["bonus"] == 20 and game.ledger(ann)[0]["hint"] == 0
    for side in game.state.sides.values():
        assert side.score == sum(entry["points"] for entry in side.ledger)
    assert (game.score(ann), game.score(bob)) == (160, 85)
