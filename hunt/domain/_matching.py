"""Kinder answer checking: regular expressions, and "keep going" replies for partial answers.

An answer clue may list, beside its ``answers``:

- ``patterns``: regular expressions (RE2 syntax), each matched against the *whole* normalised
  answer (case folded, accents, punctuation and extra spaces gone, as for ``answers``);
- ``partial``: ``[{"answers": [...], "patterns"?: [...], "reply": "Keep going: ..."}]``: a guess
  that matches one is answered with its reply and does not count as wrong.

Players write the text a pattern is matched against, so matching must stay cheap whatever
they send: patterns run on RE2 (linear time in the text, no backtracking), are bounded in
length, number and compiled size, and the text itself is at most the rules' answer limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import re2

from ._errors import DefinitionError

__all__ = [
    "MAX_PARTIALS",
    "MAX_PATTERNS",
    "MAX_PATTERN_CHARS",
    "MAX_REPLY",
    "Partial",
    "parse_partials",
    "parse_patterns",
]

MAX_PATTERNS = 20
MAX_PATTERN_CHARS = 200
MAX_PARTIALS = 20
MAX_REPLY = 500
_PATTERN_MEMORY = 1 << 20  # bytes RE2 may use to compile one pattern


def _options() -> Any:
    options = re2.Options()
    options.max_mem = _PATTERN_MEMORY
    options.never_capture = True
    options.log_errors = False
    return options


@dataclass(frozen=True, slots=True)
class Partial:
    answers: frozenset[str]
    reply: str
    sources: tuple[str, ...] = ()  # the patterns as written (compared; the compiled ones are not)
    patterns: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def matches(self, normalized: str) -> bool:
        return normalized in self.answers or any(p.fullmatch(normalized) for p in self.patterns)


def parse_patterns(value: Any, where: str) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(the sources, the compiled patterns); DefinitionError naming the bad one."""
    if value is None:
        return (), ()
    if not isinstance(value, list) or len(value) > MAX_PATTERNS:
        raise DefinitionError(f"{where}: must be a list of at most {MAX_PATTERNS} regular expressions")
    compiled = []
    for i, source in enumerate(value):
        if not isinstance(source, str) or not source or len(source) > MAX_PATTERN_CHARS:
            raise DefinitionError(f"{where}[{i}]: must be a regular expression of 1-{MAX_PATTERN_CHARS} characters")
        try:
            compiled.append(re2.compile(source, _options()))
        except re2.error as err:
            raise DefinitionError(f"{where}[{i}]: not a valid regular expression (RE2 syntax): {err}") from None
    return tuple(value), tuple(compiled)


def parse_partials(value: Any, where: str, normalize: Callable[[str], str]) -> tuple[Partial, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_PARTIALS:
        raise DefinitionError(f"{where}: must be a list of at most {MAX_PARTIALS} partial answers")
    partials = []
    for i, raw in enumerate(value):
        spot = f"{where}[{i}]"
        if not isinstance(raw, dict) or set(raw) - {"answers", "patterns", "reply"}:
            raise DefinitionError(f"{spot}: must be an object with answers, patterns and reply")
        answers = raw.get("answers", [])
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise DefinitionError(f"{spot}.answers: must be a list of strings")
        sources, patterns = parse_patterns(raw.get("patterns"), f"{spot}.patterns")
        normalized = frozenset(normalize(a) for a in answers) - {""}
        if not normalized and not patterns:
            raise DefinitionError(f"{spot}: needs answers or patterns")
        reply = raw.get("reply")
        if not isinstance(reply, str) or not reply.strip() or len(reply) > MAX_REPLY:
            raise DefinitionError(f"{spot}.reply: must be a non-empty string of at most {MAX_REPLY} characters")
        partials.append(Partial(normalized, reply, sources, patterns))
    return tuple(partials)
