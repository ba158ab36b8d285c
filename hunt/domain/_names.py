"""Player and team names: one normal form, and no characters that hide or reorder text.

A name is shown to every player (leaderboard, feed) and to admins, so it must read as what it
is. :func:`clean_name` NFKC-normalises it (full-width and compatibility forms become the plain
letters they look like), turns every kind of space into one plain space and trims it, and
refuses what a reader cannot see or what changes how the text around it is drawn:

- control characters (``Cc``: NUL, newlines, escapes) and format characters (``Cf``: the
  right-to-left overrides and isolates, zero-width spaces and joiners, soft hyphens);
- line and paragraph separators, private-use, surrogate and unassigned code points;
- the blank "letters" that render as nothing (Hangul fillers, braille blank);
- more than :data:`MAX_MARKS_IN_A_ROW` combining marks on one character (stacked "zalgo"
  text that draws over the neighbouring lines).

Right-to-left *letters* (Arabic, Hebrew, ...) are names like any other and are kept.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from ._errors import Rejected

__all__ = ["MAX_MARKS_IN_A_ROW", "clean_name", "fold_team_name", "team_side_id"]

MAX_MARKS_IN_A_ROW = 3
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Letters and symbols that draw nothing: Hangul fillers, half-width Hangul filler, braille blank.
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def clean_name(value: Any, what: str, max_chars: int) -> str:
    """The normal form of a name, or Rejected("bad_request") saying what is wrong with it."""
    if not isinstance(value, str) or len(value) > max_chars:
        raise Rejected("bad_request", f"{what} must be a non-empty string of at most {max_chars} characters")
    text = unicodedata.normalize("NFKC", value)
    marks = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category in _REFUSED_CATEGORIES or ch in _BLANKS:
            raise Rejected("bad_request", f"{what} must not contain invisible, control or "
                                          f"direction-changing characters (found U+{ord(ch):04X})")
        marks = marks + 1 if category in ("Mn", "Me") else 0
        if marks > MAX_MARKS_IN_A_ROW:
            raise Rejected("bad_request", f"{what} stacks more than {MAX_MARKS_IN_A_ROW} accents on one letter")
    text = " ".join(text.split())  # every space separator (no-break, em, ideographic...) is one space
    if not text or len(text) > max_chars:
        raise Rejected("bad_request", f"{what} must be a non-empty string of at most {max_chars} characters")
    if all(unicodedata.category(ch)[0] == "M" for ch in text.replace(" ", "")):
        raise Rejected("bad_request", f"{what} must contain a letter, digit or symbol")
    return text


def fold_team_name(team: str) -> str:
    """A team's name as joins compare it: case and spaces folded."""
    return " ".join(team.casefold().split())


def team_side_id(team: str) -> str:
    """Teams are keyed by their case- and space-folded name (as it was when the team began)."""
    return "team:" + fold_team_name(team)
