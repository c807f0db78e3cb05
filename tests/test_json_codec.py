"""``stephost_wire.codec``'s JSON is the standard library's, byte for byte and value for value,
though orjson does most of the work: every payload on the link, in NATS and in api replies
crosses it, and the other languages' sidecars read what it writes."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import random
import re
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stephost_wire import codec


def standard(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def standard_strict(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


TRICKY_TEXT = ["\ud800", "é ✓ 𝄞 \u2028 \x00 \x1f \x7f", 'null "quoted" back\\slash \n\t', "0.00001", "1e-05"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()  # NaN and infinities included
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.text()
    | st.sampled_from(TRICKY_TEXT)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_any_value_is_written_as_the_standard_encoder_writes_it(value: Any) -> None:
    assert codec.dumps(value) == standard(value)
    try:
        encoded = standard(value).encode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 holds it
        with pytest.raises(UnicodeEncodeError):
            codec.dumps_bytes(value)
    else:
        assert codec.dumps_bytes(value) == encoded
    try:
        expected = standard_strict(value)
    except ValueError:
        with pytest.raises(ValueError):
            codec.dumps_strict(value)
        with pytest.raises(ValueError):
            codec.dumps_strict_bytes(value)
    else:
        assert codec.dumps_strict(value) == expected


@settings(max_examples=400, deadline=None)
@given(values)
def test_any_text_is_read_as_the_standard_decoder_reads_it(value: Any) -> None:
    text = standard(value)
    # Written back by the standard encoder: equal text means equal values and types (5 and
    # 5.0 differ) and NaN equals NaN.
    # As text, and as the UTF-8 bytes a request body or a raw_body arrives as (a lone
    # surrogate as the three bytes a client may send for one).
    raw = text.encode("utf-8", "surrogatepass")
    assert standard(codec.loads(text)) == standard(json.loads(text))
    assert standard(codec.loads(raw)) == standard(json.loads(text))
    try:
        expected = standard(codec._CHECKED_DECODER.decode(text))
    except codec.JsonRefused as exc:
        for form in (text, raw):
            with pytest.raises(codec.JsonRefused, match=re.escape(str(exc))):
                codec.loads_checked(form)
    else:
        assert standard(codec.loads_checked(text)) == expected
        assert standard(codec.loads_checked(raw)) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"message": "hello", "n": 1, "ok": True, "none": None},
        {"small": 1e-05, "tiny": 1.2345e-09, "big": 1e16, "neg": -0.0, "plain": 0.1},
        {"huge": 2**70, "list": [1, 2.5, "x", [None]]},
        {1: "a number key", None: 2, 2.5: True},
        (1, "a tuple", [2]),
        [random.uniform(-1e6, 1e6) * 10 ** random.randint(-12, 20) for _ in range(200)],
    ],
)
def test_values_orjson_would_write_otherwise_are_written_the_standard_way(value: Any) -> None:
    assert codec.dumps(value) == standard(value)


class Colour(enum.IntEnum):
    RED = 1


class Name(str):
    pass


@dataclasses.dataclass
class Point:
    x: int


def test_subclasses_are_written_and_other_objects_refused_as_the_standard_encoder_does() -> None:
    assert codec.dumps({"c": Colour.RED, "n": Name("x")}) == standard({"c": Colour.RED, "n": Name("x")})
    for odd in (Point(1), datetime.datetime(2026, 1, 1), object()):
        with pytest.raises(TypeError, match="is not JSON serializable"):
            codec.dumps({"v": odd})


class Size(enum.Enum):
    BIG = "big"


@pytest.mark.parametrize(
    "rest",
    [{}, {"x": None}, {"note": "nullable"}, {"small": 1e-05}, {"big": 2**70}, {1: "a number key"}],
)
def test_uuid_and_enum_are_written_whatever_else_the_payload_holds(rest: dict[Any, Any]) -> None:
    """Documented in the codec: a Python step may send a UUID (its string) or an Enum member
    (its value), which json.dumps refuses. orjson writes them, and so does the standard way
    when the rest of the payload sends it there (a null, a small float, a big integer)."""
    found = uuid.UUID(int=1)
    expected = standard({"id": str(found), "size": "big", **rest})
    assert codec.dumps({"id": found, "size": Size.BIG, **rest}) == expected
    assert codec.dumps_strict({"id": found, "size": Size.BIG, **rest}) == expected


@pytest.mark.parametrize("value", [{"q": None, "body": None}, {"n": 1e-05, "s": "null"}, [None, 2**70]])
def test_a_parsed_value_is_written_as_any_other(value: Any) -> None:
    assert codec.dumps_parsed(value) == standard(value)


def test_long_digit_runs_are_found_across_scan_chunks() -> None:
    """The 19-digit scan goes a chunk at a time: a 20-digit integer (past 64 bits) with 10
    digits on each side of a chunk's end is found, and stays an integer."""
    text = "[" + " " * (codec._SCAN_CHUNK - 11) + "98765432109876543210]"
    assert text.index("9") == codec._SCAN_CHUNK - 10
    for form in (text, text.encode()):
        assert codec.loads(form) == [98765432109876543210]
        assert isinstance(codec.loads_checked(form)[0], int)


def test_lone_surrogates_and_nan_are_read_as_the_standard_decoder_reads_them() -> None:
    assert codec.loads('"\\ud800"') == "\ud800"
    assert math.isnan(codec.loads("NaN"))
    assert codec.loads("") is None


@pytest.mark.parametrize(
    "text",
    [' { "a" : 1E5 , "b" : [ -0 , 0.5e-3 ] }\n', '{"k": 1, "k": 2}', '"a\\/b\\u00e9\\t"', "-0.0", "[1e308]"],
)
def test_text_no_encoder_writes_is_read_as_the_standard_decoder_reads_it(text: str) -> None:
    """Whitespace, exponents, duplicate keys, escapes only a hand or another language writes."""
    assert standard(codec.loads(text)) == standard(json.loads(text))
    assert standard(codec.loads_checked(text)) == standard(json.loads(text))
