"""Answer and code normalisation, and the great-circle distance behind check-ins."""

from __future__ import annotations

import math

import pytest

from hunt.domain import haversine_m, normalize_answer, normalize_code
from tests.support.domain import CRANE, north_of


@pytest.mark.parametrize(("text", "expected"), [
    ("  CAFÉ  noir", "cafe noir"),
    ("Cafe\u0301\tNoir\n", "cafe noir"),  # a combining accent, a tab and a newline
    ("Straße", "strasse"),
    ("ﬁsh", "fish"),  # a ligature
    ("Ølberg", "ølberg"),  # a letter of its own, not an accented o
    ("   ", ""),
])
def test_answers_ignore_case_whitespace_and_accents(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


@pytest.mark.parametrize("text", ["X7K2", "x7k2", " x7k-2 ", "X 7 K 2", "x-7-k-2"])
def test_codes_ignore_case_whitespace_and_dashes(text: str) -> None:
    assert normalize_code(text) == "X7K2"


def test_one_degree_of_latitude() -> None:
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)


def test_distance_is_symmetric_and_zero_at_the_same_point() -> None:
    assert haversine_m(*CRANE, *CRANE) == 0
    paris, london = (48.8566, 2.3522), (51.5074, -0.1278)
    assert haversine_m(*paris, *london) == haversine_m(*london, *paris)
    assert haversine_m(*paris, *london) == pytest.approx(343_500, rel=0.005)


def test_antipodes_are_half_the_circumference_apart() -> None:
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8)


@pytest.mark.parametrize("metres", [1, 29.9, 30.1, 500])
def test_points_north_are_as_far_as_asked(metres: float) -> None:
    assert haversine_m(*CRANE, *north_of(CRANE, metres)) == pytest.approx(metres, abs=1e-6)
