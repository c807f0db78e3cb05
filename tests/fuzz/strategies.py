"""Input shapes the fuzz tests share: JSON values (plain, deep, large, refused) and text."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from stephost_wire.codec import MAX_JSON_DEPTH

# Text a protocol can carry (no lone surrogates: UTF-8 cannot encode them).
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
    max_leaves=25,
)


@st.composite
def deep(draw: st.DrawFn) -> str:
    """Nesting around the host's depth limit, as arrays or objects."""
    depth = draw(st.integers(1, MAX_JSON_DEPTH + 40))
    if draw(st.booleans()):
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@st.composite
def large(draw: st.DrawFn) -> str:
    """Big but bounded: a long string or a long array (up to ~1.2 MB)."""
    size = draw(st.sampled_from([1_000, 60_000, 900_000, 1_200_000]))
    if draw(st.booleans()):
        return json.dumps("x" * size)
    return json.dumps(list(range(size // 8)))


# JSON text other languages would not read the same way, or not JSON at all.
refused = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e999", "[1,]", "{", '{"a":1}}', "'x'", '"\\ud800"', "\x00", "tru"]
)
json_text = values.map(json.dumps) | deep() | refused | text
json_text_with_large = json_text | large()
