"""Hunt definitions: the standard test hunt parses; every bad field is named in the error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hunt.domain import DefinitionError, RuleDefaults, parse_definition, valid_id
from tests.support.domain import EXAMPLE, clue, example, hunt

DELETE = object()


def mutated(path: tuple[Any, ...], value: Any) -> Any:
    """The example with the value at ``path`` replaced (or deleted); ``()`` replaces it all."""
    if not path:
        return value
    doc = example()
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def definition_error(document: Any) -> str:
    with pytest.raises(DefinitionError) as info:
        parse_definition(document)
    return str(info.value)


def epoch_ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1000


# -- the example and what parsing makes of it -------------------------------------------------


def test_the_design_example_parses() -> None:
    d = parse_definition(example())
    assert (d.id, d.title, d.mode, d.order, d.starts_at, d.ends_at) == (
        "harbor-2026", "Harbor Hunt", "solo", "free", None, None)
    assert [c.id for c in d.clues] == ["c1", "c2", "c3"]
    c1, c2, c3 = d.clues
    assert (c1.kind, c1.answers, c1.points, c1.first_bonus) == ("answer", frozenset({"lighthouse"}), 100, 20)
    assert (c1.decay.per_finder, c1.decay.min) == (10, 50)
    assert [(h.text, h.cost) for h in c1.hints] == [("It blinks.", 10), ("It is tall.", 5)]
    assert (c2.kind, c2.lat, c2.lon, c2.radius_m, c2.points) == ("geo", 53.5441, 9.9667, 30.0, 50)
    assert (c3.kind, c3.codes, c3.after) == ("code", frozenset({"X7K2"}), ("c1",))
    assert d.clue("c2") is c2 and d.clue("nope") is None


def test_server_defaults_are_filled_in() -> None:
    d = parse_definition(example())
    assert (d.wrong_attempts_max, d.wrong_attempts_window_ms, d.heatmap_cell_deg) == (5, 60_000, 0.001)


def test_the_document_pins_the_defaults_so_a_replay_gets_the_same_rules() -> None:
    server = RuleDefaults(wrong_attempts_max=3, wrong_attempts_window_s=10, heatmap_cell_deg=0.01)
    first = parse_definition(example(), server)
    again = parse_definition(first.document)  # as a replay does: with the built-in defaults
    assert (again.wrong_attempts_max, again.wrong_attempts_window_ms, again.heatmap_cell_deg) == (3, 10_000, 0.01)
    assert again.document == first.document
    assert again.clues == first.clues


def test_a_definition_overrides_the_defaults() -> None:
    d = parse_definition(hunt(attempts={"max": 2, "window_s": 0.5}, heatmap_cell_deg=0.01))
    assert (d.wrong_attempts_max, d.wrong_attempts_window_ms, d.heatmap_cell_deg) == (2, 500, 0.01)


def test_secrets_are_normalised_when_parsed() -> None:
    d = parse_definition(hunt(clue("c1", answers=["  Café  NOIR ", "black coffee"]),
                              clue("c2", "code", codes=["x7k-2", "ab 12"])))
    assert d.clue("c1").answers == frozenset({"cafe noir", "black coffee"})
    assert d.clue("c2").codes == frozenset({"X7K2", "AB12"})


def test_prerequisites_are_deduplicated_and_clue_ids_may_use_capitals() -> None:
    d = parse_definition(hunt(clue("C1"), clue("c2", after=["C1", "C1"])))
    assert d.clue("c2").after == ("C1",)


def test_public_views_hide_answers_codes_coordinates_and_hint_texts() -> None:
    public = repr(parse_definition(example()).public())
    for secret in ("lighthouse", "X7K2", "It blinks.", "53.5441", "9.9667"):
        assert secret not in public
    assert "Old light" in public and "radius_m" in public


# -- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-05-01T10:00:00Z", epoch_ms(2026, 5, 1, 10)),
    ("2026-05-01T10:00:00+00:00", epoch_ms(2026, 5, 1, 10)),
    ("2026-05-01T12:00:00+02:00", epoch_ms(2026, 5, 1, 10)),
    ("2026-05-01T10:00:00.123Z", epoch_ms(2026, 5, 1, 10) + 123),
    (1_777_629_600_000, 1_777_629_600_000),
    (0, 0),
    (None, None),
])
def test_times_are_epoch_ms_or_iso_with_a_zone(value: Any, expected: int | None) -> None:
    d = parse_definition(hunt(starts_at=value))
    assert d.starts_at == expected
    assert d.document["starts_at"] == value  # the document keeps what the admin wrote


def test_start_and_end_together() -> None:
    d = parse_definition(hunt(starts_at="2026-05-01T10:00:00Z", ends_at="2026-05-01T12:00:00Z"))
    assert d.ends_at - d.starts_at == 2 * 3600 * 1000


@pytest.mark.parametrize("value", [
    "2026-05-01T10:00:00", "2026-05-01", "tomorrow", "", -1, 1.5, True, [2026, 5, 1]])
@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_times_without_a_zone_or_of_the_wrong_kind_are_refused(field: str, value: Any) -> None:
    assert definition_error(hunt(**{field: value})).startswith(f"{field}:")


@pytest.mark.parametrize("ends_at", ["2026-05-01T10:00:00Z", "2026-05-01T09:59:59Z"])
def test_the_end_must_come_after_the_start(ends_at: str) -> None:
    message = definition_error(hunt(starts_at="2026-05-01T10:00:00Z", ends_at=ends_at))
    assert message.startswith("ends_at:")


# -- ids --------------------------------------------------------------------------------------

BAD_IDS = ["../x", "..", "a.b", "a/b", "a\\b", "A", "Harbor", "", "x" * 65, "-a", "_a", "a b", "é", "a\n",
           "hunt*", "a>b", 7, None, True, ["a"]]
GOOD_IDS = ["a", "0", "x" * 64, "harbor-2026", "a_b-c", "2026"]


@pytest.mark.parametrize("hunt_id", BAD_IDS, ids=repr)
def test_bad_hunt_ids_are_refused(hunt_id: Any) -> None:
    assert not valid_id(hunt_id)
    assert definition_error(mutated(("id",), hunt_id)).startswith("id:")


@pytest.mark.parametrize("hunt_id", GOOD_IDS)
def test_good_hunt_ids_are_accepted(hunt_id: str) -> None:
    assert valid_id(hunt_id)
    assert parse_definition(mutated(("id",), hunt_id)).id == hunt_id


@pytest.mark.parametrize("clue_id", ["../x", "a.b", "a/b", "", "x" * 65, "-a", "a b", 5, None], ids=repr)
def test_bad_clue_ids_are_refused(clue_id: Any) -> None:
    assert definition_error(mutated(("clues", 0, "id"), clue_id)).startswith("clues[0].id:")


def test_a_missing_clue_id_is_refused() -> None:
    assert definition_error(mutated(("clues", 0, "id"), DELETE)).startswith("clues[0].id:")


# -- every other field ------------------------------------------------------------------------

C1, C2, C3 = "clues[0] (c1).", "clues[1] (c2).", "clues[2] (c3)."

INVALID = [
    # the whole document and its top-level fields
    pytest.param((), [], "definition:", id="not-an-object"),
    pytest.param(("colour",), "red", "colour: unknown field", id="unknown-top-key"),
    pytest.param(("title",), DELETE, "title:", id="title-missing"),
    pytest.param(("title",), "   ", "title:", id="title-blank"),
    pytest.param(("title",), 5, "title:", id="title-number"),
    pytest.param(("title",), "x" * 2001, "title:", id="title-too-long"),
    pytest.param(("description",), 5, "description:", id="description-number"),
    pytest.param(("mode",), "duo", "mode:", id="mode-unknown"),
    pytest.param(("mode",), None, "mode:", id="mode-null"),
    pytest.param(("order",), "random", "order:", id="order-unknown"),
    pytest.param(("attempts",), 5, "attempts:", id="attempts-number"),
    pytest.param(("attempts",), {"tries": 3}, "attempts.tries: unknown field", id="attempts-unknown-key"),
    pytest.param(("attempts",), {"max": 0}, "attempts.max:", id="attempts-max-zero"),
    pytest.param(("attempts",), {"max": True}, "attempts.max:", id="attempts-max-bool"),
    pytest.param(("attempts",), {"max": 2.5}, "attempts.max:", id="attempts-max-float"),
    pytest.param(("attempts",), {"window_s": 0}, "attempts.window_s:", id="attempts-window-zero"),
    pytest.param(("attempts",), {"window_s": float("nan")}, "attempts.window_s:", id="attempts-window-nan"),
    pytest.param(("attempts",), {"window_s": False}, "attempts.window_s:", id="attempts-window-bool"),
    pytest.param(("heatmap_cell_deg",), 0, "heatmap_cell_deg:", id="cell-zero"),
    pytest.param(("heatmap_cell_deg",), "0.001", "heatmap_cell_deg:", id="cell-string"),
    pytest.param(("heatmap_cell_deg",), float("inf"), "heatmap_cell_deg:", id="cell-inf"),
    pytest.param(("clues",), DELETE, "clues:", id="clues-missing"),
    pytest.param(("clues",), [], "clues:", id="clues-empty"),
    pytest.param(("clues",), {"c1": {}}, "clues:", id="clues-object"),
    pytest.param(("clues",), [clue(f"c{i}") for i in range(501)], "clues:", id="clues-too-many"),
    # a clue's shape
    pytest.param(("clues", 0), "c1", "clues[0]: must be an object", id="clue-string"),
    pytest.param(("clues", 0, "answer"), "x", "clues[0].answer: unknown field", id="unknown-clue-key"),
    pytest.param(("clues", 0, "title"), DELETE, C1 + "title:", id="clue-title-missing"),
    pytest.param(("clues", 0, "prompt"), 5, C1 + "prompt:", id="clue-prompt-number"),
    pytest.param(("clues", 0, "kind"), "photo", C1 + "kind:", id="kind-unknown"),
    pytest.param(("clues", 0, "kind"), DELETE, C1 + "kind:", id="kind-missing"),
    # points
    pytest.param(("clues", 0, "points"), -1, C1 + "points:", id="points-negative"),
    pytest.param(("clues", 0, "points"), 1_000_001, C1 + "points:", id="points-too-many"),
    pytest.param(("clues", 0, "points"), True, C1 + "points:", id="points-bool"),
    pytest.param(("clues", 0, "points"), 1.5, C1 + "points:", id="points-float"),
    pytest.param(("clues", 0, "points"), "100", C1 + "points:", id="points-string"),
    pytest.param(("clues", 0, "first_bonus"), -5, C1 + "first_bonus:", id="bonus-negative"),
    pytest.param(("clues", 0, "first_bonus"), True, C1 + "first_bonus:", id="bonus-bool"),
    pytest.param(("clues", 0, "decay"), "fast", C1 + "decay:", id="decay-string"),
    pytest.param(("clues", 0, "decay"), {"rate": 1}, C1 + "decay.rate: unknown field", id="decay-unknown-key"),
    pytest.param(("clues", 0, "decay"), {"per_finder": 10, "min": 101}, C1 + "decay.min:", id="decay-min-over"),
    pytest.param(("clues", 0, "decay"), {"per_finder": 10, "min": -1}, C1 + "decay.min:", id="decay-min-neg"),
    pytest.param(("clues", 0, "decay"), {"per_finder": -1}, C1 + "decay.per_finder:", id="decay-per-neg"),
    pytest.param(("clues", 0, "decay"), {"per_finder": True}, C1 + "decay.per_finder:", id="decay-per-bool"),
    # answers and codes
    pytest.param(("clues", 0, "answers"), DELETE, C1 + "answers:", id="answers-missing"),
    pytest.param(("clues", 0, "answers"), [], C1 + "answers:", id="answers-empty"),
    pytest.param(("clues", 0, "answers"), "lighthouse", C1 + "answers:", id="answers-string"),
    pytest.param(("clues", 0, "answers"), [3], C1 + "answers:", id="answers-number"),
    pytest.param(("clues", 0, "answers"), ["  "], C1 + "answers:", id="answers-blank"),
    pytest.param(("clues", 0, "codes"), ["X"], C1 + "codes: only allowed", id="codes-on-answer-clue"),
    pytest.param(("clues", 2, "codes"), DELETE, C3 + "codes:", id="codes-missing"),
    pytest.param(("clues", 2, "codes"), [" - "], C3 + "codes:", id="codes-blank"),
    pytest.param(("clues", 2, "lat"), 1.0, C3 + "lat: only allowed", id="lat-on-code-clue"),
    # geo
    pytest.param(("clues", 1, "answers"), ["x"], C2 + "answers: only allowed", id="answers-on-geo-clue"),
    pytest.param(("clues", 1, "lat"), DELETE, C2 + "lat:", id="lat-missing"),
    pytest.param(("clues", 1, "lat"), 90.5, C2 + "lat:", id="lat-over"),
    pytest.param(("clues", 1, "lat"), -91, C2 + "lat:", id="lat-under"),
    pytest.param(("clues", 1, "lat"), True, C2 + "lat:", id="lat-bool"),
    pytest.param(("clues", 1, "lat"), "53.5", C2 + "lat:", id="lat-string"),
    pytest.param(("clues", 1, "lat"), float("nan"), C2 + "lat:", id="lat-nan"),
    pytest.param(("clues", 1, "lat"), 10**400, C2 + "lat:", id="lat-huge-int"),
    pytest.param(("clues", 1, "lon"), DELETE, C2 + "lon:", id="lon-missing"),
    pytest.param(("clues", 1, "lon"), 180.5, C2 + "lon:", id="lon-over"),
    pytest.param(("clues", 1, "radius_m"), DELETE, C2 + "radius_m:", id="radius-missing"),
    pytest.param(("clues", 1, "radius_m"), 0, C2 + "radius_m:", id="radius-zero"),
    pytest.param(("clues", 1, "radius_m"), 100_001, C2 + "radius_m:", id="radius-over"),
    pytest.param(("clues", 1, "radius_m"), True, C2 + "radius_m:", id="radius-bool"),
    # hints
    pytest.param(("clues", 0, "hints"), "It blinks.", C1 + "hints:", id="hints-string"),
    pytest.param(("clues", 0, "hints"), [{"text": "t", "cost": 1}] * 21, C1 + "hints:", id="hints-too-many"),
    pytest.param(("clues", 0, "hints"), ["t"], C1 + "hints[0]:", id="hint-string"),
    pytest.param(("clues", 0, "hints"), [{"cost": 1}], C1 + "hints[0].text:", id="hint-text-missing"),
    pytest.param(("clues", 0, "hints"), [{"text": "t", "cost": -1}], C1 + "hints[0].cost:", id="hint-cost-neg"),
    pytest.param(("clues", 0, "hints"), [{"text": "t", "cost": True}], C1 + "hints[0].cost:", id="hint-cost-bool"),
    pytest.param(("clues", 0, "hints"), [{"text": "t", "colour": 1}], C1 + "hints[0].colour: unknown field",
                 id="hint-unknown-key"),
    # prerequisites
    pytest.param(("clues", 2, "after"), "c1", C3 + "after:", id="after-string"),
    pytest.param(("clues", 2, "after"), [1], C3 + "after:", id="after-number"),
    pytest.param(("clues", 2, "after"), ["c9"], "clues[2].after: unknown clue 'c9'", id="after-unknown"),
    pytest.param(("clues", 2, "after"), ["c3"], "clues[2].after: a clue cannot require itself", id="after-self"),
    pytest.param(("clues", 1, "id"), "c1", "clues: duplicate id 'c1'", id="duplicate-clue-id"),
    pytest.param(("clues", 0, "after"), ["c3"], "clues: prerequisites form a cycle", id="after-cycle"),
]


@pytest.mark.parametrize(("path", "value", "expected"), INVALID)
def test_an_invalid_field_is_named_in_the_error(path: tuple[Any, ...], value: Any, expected: str) -> None:
    message = definition_error(mutated(path, value))
    assert message.startswith(expected), message


def test_a_longer_cycle_is_named_with_its_path() -> None:
    message = definition_error(hunt(clue("a", after=["c"]), clue("b", after=["a"]), clue("c", after=["b"])))
    assert message.startswith("clues: prerequisites form a cycle:")
    assert "a -> c -> b -> a" in message


def test_a_diamond_of_prerequisites_is_not_a_cycle() -> None:
    d = parse_definition(hunt(clue("a"), clue("b", after=["a"]), clue("c", after=["a"]), clue("d", after=["b", "c"])))
    assert d.clue("d").after == ("b", "c")


def test_parsing_does_not_change_its_input() -> None:
    document = example()
    parse_definition(document)
    assert document == EXAMPLE


def test_a_draft_is_marked_in_the_document_only_when_it_is_one() -> None:
    assert parse_definition(hunt(draft=True)).draft is True
    assert parse_definition(hunt(draft=True)).document["draft"] is True
    assert "draft" not in parse_definition(hunt()).document
    with pytest.raises(DefinitionError, match="draft"):
        parse_definition(hunt(draft="yes"))
