"""The sidecar protocol's codec shared by every Python peer: JSON, batching, gRPC options."""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import AsyncIterator, Callable
from itertools import accumulate
from typing import Any, TypeVar

PROTOCOL_VERSION = 1
MAX_BATCH = 512
# The deepest JSON a door into the host accepts. Python's parser and encoder recurse once
# per level and give up near 1000 (RecursionError), so untrusted text is measured first.
MAX_JSON_DEPTH = 256
M = TypeVar("M")
B = TypeVar("B")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    return json.loads(text) if text else None


class JsonRefused(ValueError):
    """Text Python's json module would read but that is not portable JSON."""


class JsonTooDeep(JsonRefused):
    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"JSON nested {depth} levels deep; at most {limit} levels are allowed")
        self.depth = depth
        self.limit = limit


# A string literal (escapes included, or unterminated up to the end): its brackets are text.
# The unrolled form has no ambiguous repetition, so it runs in linear time on any input.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NESTING = [0] * 256
_NESTING[ord("[")] = _NESTING[ord("{")] = 1
_NESTING[ord("]")] = _NESTING[ord("}")] = -1


def json_depth(text: str) -> int:
    """How many arrays/objects deep the JSON text nests (a scalar is 0), without parsing it.

    Every step runs in C (split or regex, translate, accumulate): this guards the parser,
    so it must not cost more than parsing does.
    """
    # Without escapes every quote opens or closes a string: splitting on them is enough.
    outside = "".join(text.split('"')[::2]) if "\\" not in text else _STRING.sub("", text)
    brackets = outside.encode("utf-8", "replace").translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_NESTING.__getitem__, brackets)), default=0)


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not JSON (other languages cannot read it; send null or a string)")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999: valid JSON text, but Python would carry it on as Infinity
        raise JsonRefused(f"the number {text[:40]} is too large for a 64-bit float")
    return value


def loads_checked(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON: NaN/Infinity, overflowing numbers and nesting deeper than ``limit``
    are refused.

    Raises JsonTooDeep / JsonRefused (naming the problem) or json.JSONDecodeError, all
    ValueErrors. Every door that takes JSON from outside uses this, so all answer alike.
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    # Fewer opening brackets than the limit cannot nest deeper: skip the scan (the usual case).
    if text.count("[") + text.count("{") > limit:
        depth = json_depth(text)
        if depth > limit:
            raise JsonTooDeep(depth, limit)
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


def dumps_strict(value: Any) -> str:
    """JSON for a client outside: NaN/Infinity raise ValueError instead of becoming invalid JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


async def batches(queue: asyncio.Queue[M | None], make_batch: Callable[[list[M]], B]) -> AsyncIterator[B]:
    """Drain everything queued into one batch per write; a None in the queue ends the stream.

    One gRPC message per batch instead of per item is what keeps a busy stream cheap.
    """
    while True:
        first = await queue.get()
        if first is None:
            return
        items = [first]
        while len(items) < MAX_BATCH:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if item is None:
                yield make_batch(items)
                return
            items.append(item)
        yield make_batch(items)


def grpc_options(max_message_mb: int = 64) -> list[tuple[str, int]]:
    # No gRPC keepalive: in-band heartbeats on the stream detect a dead peer, and
    # mismatched keepalive settings make servers drop clients with GOAWAY.
    size = max_message_mb * 1024 * 1024
    return [("grpc.max_send_message_length", size), ("grpc.max_receive_message_length", size)]
