"""A wrong check-in must not give the clue's position away: replies carry only a coarse band.

With exact distances, three check-ins from anywhere pin the clue down (trilateration). With
bands, many positions of the clue answer the same, so any guess misses some of them.
"""

from __future__ import annotations

import math
from typing import Any

from hunt.domain import haversine_m
from tests.support.domain import Game, checkin, clue, hunt
from tests.support.hunts import CRANE

EARTH_M = 6_371_008.8
RADIUS_M = 30.0
# Where three players check in, metres (east, north) of the crane: none of them inside the radius.
PROBES = ((0.0, 180.0), (260.0, -40.0), (-150.0, -330.0))
# What a band most likely means, for an attacker who must turn a reply into a distance.
BAND_GUESS = {"close": 65.0, "100-500m": 300.0, "500m-1km": 750.0, "over-1km": 1500.0}


def moved(point: tuple[float, float], east: float, north: float) -> tuple[float, float]:
    lat = point[0] + math.degrees(north / EARTH_M)
    lon = point[1] + math.degrees(east / (EARTH_M * math.cos(math.radians(point[0]))))
    return lat, lon


def replies(clue_at: tuple[float, float]) -> list[dict[str, Any]]:
    """What the three probes are told about a geo clue at ``clue_at``."""
    game = Game(hunt(clue("c1", "geo", lat=clue_at[0], lon=clue_at[1], radius_m=RADIUS_M)))
    acks = []
    for i, (east, north) in enumerate(PROBES):
        player = game.join(f"Probe {i}")
        acks.append(game.send(checkin(player, "c1", *moved(CRANE, east, north))))
    return acks


def guessed_distance(ack: dict[str, Any]) -> float:
    """The attacker's best reading of a reply: the exact distance if there is one, else the band's."""
    assert ack["result"] == "too_far"
    return float(ack["distance_m"]) if "distance_m" in ack else BAND_GUESS[ack["distance"]]


def trilaterate(distances: list[float]) -> tuple[float, float]:
    """The point (east, north) at those distances from the probes (least squares, linearised)."""
    (x1, y1), (x2, y2), (x3, y3) = PROBES
    d1, d2, d3 = distances
    a, b = 2 * (x2 - x1), 2 * (y2 - y1)
    c = d1**2 - d2**2 - x1**2 + x2**2 - y1**2 + y2**2
    d, e = 2 * (x3 - x1), 2 * (y3 - y1)
    f = d1**2 - d3**2 - x1**2 + x3**2 - y1**2 + y3**2
    det = a * e - b * d
    return (c * e - b * f) / det, (a * f - c * d) / det


def test_trilateration_from_three_wrong_checkins_misses_by_more_than_the_radius() -> None:
    east, north = trilaterate([guessed_distance(ack) for ack in replies(CRANE)])
    assert haversine_m(*moved(CRANE, east, north), *CRANE) > RADIUS_M


def test_clues_several_radii_apart_get_the_same_replies() -> None:
    # Whatever an attacker computes from the replies, it misses one of these two clues by more
    # than the radius: they answer the three probes alike.
    elsewhere = moved(CRANE, 40.0, 45.0)
    assert haversine_m(*elsewhere, *CRANE) > 2 * RADIUS_M
    assert replies(CRANE) == replies(elsewhere)
