"""JSON for the api-step path: orjson's bytes where they are the very bytes ``codec`` writes.

orjson encodes a small document in a fifth of the standard encoder's time, and every api
request crosses two encodes (the request to the sidecar, the reply to the client). Its
output equals ``codec``'s (compact, non-ASCII as is, the same string escapes) except in
three places, where the standard encoder's text is used instead:

- NaN and Infinity, which orjson writes as ``null``: any ``null`` in the output (or a
  refusal, for the strict encoder) goes the standard way;
- floats below 1e-4, written ``0.00001`` or ``1e-9`` where Python writes ``1e-05``, ``1e-09``;
- what orjson refuses: integers past 64 bits, non-string keys, lone surrogates, deep nesting.

A string that merely looks like one of these costs a standard encode, never a wrong byte.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from stephost_wire import codec

_NAN_LIKE = re.compile(rb"null|0\.0000|e-\d(?!\d)")  # what NaN/Infinity become, and small floats
_SMALL_FLOAT = re.compile(rb"0\.0000|e-\d(?!\d)")


def reply_body(value: Any) -> bytes:
    """``codec.dumps_strict(value).encode()``: ValueError for NaN/Infinity or a lone surrogate."""
    try:
        out = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError too
        return codec.dumps_strict(value).encode()
    return codec.dumps_strict(value).encode() if _NAN_LIKE.search(out) else out


def request_text(value: Any) -> str:
    """``codec.dumps(value)`` of a request the host built from parsed input, in which no NaN or
    Infinity can be (the JSON body parser refuses them, everything else is text)."""
    try:
        out = orjson.dumps(value)
    except TypeError:
        return codec.dumps(value)
    return codec.dumps(value) if _SMALL_FLOAT.search(out) else out.decode()
