"""The wire codec's strict JSON: what every door into the host uses on untrusted text."""

from __future__ import annotations

import pytest

from stephost_wire import codec

# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('[[1],{"a":{"b":[]}}]', 4),
        ('["[[[[", "{{"]', 1),  # brackets in strings are text
        (r'["\"[[[", [[]]]', 3),  # ...even after an escaped quote
        (r'["\\", [[]]]', 3),  # an escaped backslash closes nothing
        ("[[[", 3),  # unclosed: the parser reports it, but it is measured all the same
    ],
)
def test_json_depth(text: str, depth: int) -> None:
    assert codec.json_depth(text) == depth


def test_loads_checked_refuses_past_the_limit_and_names_the_depth() -> None:
    assert codec.loads_checked("[" * 5 + "]" * 5, limit=5) == [[[[[]]]]]
    with pytest.raises(codec.JsonTooDeep, match="nested 6 levels deep; at most 5 levels"):
        codec.loads_checked("[" * 6 + "]" * 6, limit=5)
    with pytest.raises(codec.JsonTooDeep):  # what used to be a RecursionError
        codec.loads_checked("[" * 100_000)


def test_loads_checked_refuses_what_is_not_json() -> None:
    for text in ("NaN", '{"a": Infinity}', "[-Infinity]", "1e400"):
        with pytest.raises(codec.JsonRefused):
            codec.loads_checked(text)
    with pytest.raises(ValueError):
        codec.loads_checked("{nope")
    assert codec.loads_checked(b'{"a": 1.5}') == {"a": 1.5}


def test_dumps_strict_refuses_nan() -> None:
    with pytest.raises(ValueError):
        codec.dumps_strict({"x": float("nan")})
    assert codec.dumps_strict({"é": 1}) == '{"é":1}'


def test_the_limit_is_the_documented_one() -> None:
    assert codec.MAX_JSON_DEPTH == 256  # README, "What the host guarantees"
