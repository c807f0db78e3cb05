"""The sidecar protocol's codec shared by every Python peer: JSON, batching, gRPC options."""

from __future__ import annotations

import asyncio
import enum
import json
import math
import re
import uuid
from collections.abc import AsyncIterator, Callable
from itertools import accumulate
from typing import Any, TypeVar

import orjson
from google.protobuf.message import Message

# 2: an api request's JSON body crosses the link once, in Invocation.raw_body (see
# docs/protocol.md). A host still serves sidecars of OLDEST_PROTOCOL on: sidecars running as
# separate containers then keep working while a team upgrades them after the host.
PROTOCOL_VERSION = 2
OLDEST_PROTOCOL = 1
MAX_BATCH = 512
# The largest gRPC message either end of the sidecar link accepts. Every writer caps its
# batches by encoded size too, so no message ever reaches it (see ``batches``).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Batches of small items stop growing here; a bigger item travels alone (up to the limit
# above). Many big payloads in flight then reach the peer one by one, not 60 MB at a time,
# so heartbeats and small answers are never stuck behind one huge message for long.
BATCH_BYTES = 4 * 1024 * 1024
# A writer whose side has more than BUSY_IN_FLIGHT invocations running lets the event loop run
# one more round (its ready I/O included) after the first message of a batch before it takes
# the rest: on a busy link the answers, results and invocations of that round then share one
# gRPC message. Every write and read costs both processes far more than the round (grpc's
# completion-queue thread wakes the loop once per operation): in the orders flow @64 on a
# loaded machine batches doubled and CPU per order fell ~20% in the sidecar. A 1 ms wait
# instead cost throughput on a quiet machine (the consumers' events wait for it). An idle
# link (one request at a time) never waits. Nor does a batch that starts with a big item
# (BUSY_WAIT_BELOW bytes or more): its bytes cost more than the write, and with many big
# payloads in flight each extra round can hold a whole body's work, so waiting before every
# one of them kept heartbeats queued for seconds (the peer then drops the stream).
BUSY_IN_FLIGHT = 4
BUSY_WAIT_BELOW = 64 * 1024
# What one item adds to a batch beyond its own encoding: the repeated field's tag (1 byte)
# and its length (a varint, at most 5 bytes below 2**35).
ITEM_OVERHEAD = 6
# The deepest JSON a door into the host accepts. Python's parser and encoder recurse once
# per level and give up near 1000 (RecursionError), so untrusted text is measured first.
MAX_JSON_DEPTH = 256
M = TypeVar("M", bound=Message)
B = TypeVar("B")
P = TypeVar("P")


def _uuid_or_enum(value: Any) -> Any:
    """What orjson writes beyond the standard encoder, written the same way by the standard
    encoder (a fallback must not refuse what orjson took); anything else is refused as
    ``json.dumps`` refuses it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Built once: json.dumps/json.loads with any non-default option build a new encoder or
# decoder on every call, and every payload of a busy host crosses these.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_uuid_or_enum)
_STRICT_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_uuid_or_enum
)

# orjson writes a small document in a fifth of the standard encoder's time and reads one in a
# third, and every payload crosses several encodes and decodes (sidecar, host, NATS). The text
# is the standard encoder's (compact, non-ASCII as is, the same escapes and float digits, from
# orjson 3.11.7 on: earlier ones wrote 1e16 for 1e+16) but for what these hand to the standard
# encoder or decoder instead:
# - NaN and Infinity, which orjson writes as null: any null in its output goes the standard way
#   (``dumps_parsed`` skips that check for values that cannot hold them);
# - floats below 1e-4, which it writes 0.00001 or 1e-9 where Python writes 1e-05 and 1e-09;
# - what it refuses: integers past 64 bits, non-string keys, lone surrogates, deep nesting,
#   and (passed through to ``_decline``) dataclasses, datetimes and subclasses of str, int,
#   dict and list, which the standard encoder writes or refuses its own way;
# - text with a run of 19 digits, where orjson reads a float for an integer past 64 bits.
# A value that merely looks like one of these costs a standard encode, never a different byte.
# Beyond ``json.dumps``, both ways write a uuid.UUID as its string and an Enum member as its
# value (``_uuid_or_enum``).
_STANDARD_ONLY = (
    orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_SMALL_FLOAT = re.compile(rb"0\.0000|e-\d(?!\d)")
_MAYBE_DIFFERENT = re.compile(rb"null|" + _SMALL_FLOAT.pattern)
# Every digit as 0, everything else as a space: a run of 19 zeros in the result is a run of 19
# digits in the text (one C pass, a third of what a regular expression takes). Big texts are
# scanned a chunk at a time (overlapping by 18), so the scan never copies a whole body.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_NINETEEN_DIGITS = b"0" * 19
_SCAN_CHUNK = 1 << 20


def _decline(value: Any) -> Any:
    raise TypeError


def _orjson(value: Any, differs: re.Pattern[bytes]) -> bytes | None:
    """orjson's text of ``value`` where it is the standard encoder's; None elsewhere."""
    try:
        out = orjson.dumps(value, default=_decline, option=_STANDARD_ONLY)
    except TypeError:  # orjson.JSONEncodeError too
        return None
    return None if differs.search(out) else out


def _text(value: Any, standard: json.JSONEncoder, differs: re.Pattern[bytes] = _MAYBE_DIFFERENT) -> str:
    out = _orjson(value, differs)
    return standard.encode(value) if out is None else out.decode()


def _bytes(value: Any, standard: json.JSONEncoder) -> bytes:
    """``_text(...).encode()``, without the round trip through str."""
    out = _orjson(value, _MAYBE_DIFFERENT)
    return standard.encode(value).encode() if out is None else out


def dumps(value: Any) -> str:
    return _text(value, _ENCODER)


def dumps_bytes(value: Any) -> bytes:
    """``dumps(value).encode()``."""
    return _bytes(value, _ENCODER)


def dumps_parsed(value: Any) -> str:
    """``dumps(value)`` of a value in which no NaN or Infinity can be: one ``loads_checked``
    returned, or built from such values and text (an api request, a state value). A null in it
    then needs no second look; GET requests (``"body":null``) are the common case."""
    return _text(value, _ENCODER, _SMALL_FLOAT)


def _may_hold_a_long_integer(text: str | bytes) -> bool:
    for start in range(0, len(text), _SCAN_CHUNK):
        part = text[start : start + _SCAN_CHUNK + len(_NINETEEN_DIGITS) - 1]
        if isinstance(part, str):
            part = part.encode("utf-8", "surrogatepass")
        if _NINETEEN_DIGITS in part.translate(_DIGITS_AS_ZEROS):
            return True
    return False


_DECLINED = object()  # what ``_orjson_read`` returns for text orjson would read otherwise, or not


def _orjson_read(text: str | bytes) -> Any:
    """orjson's value of ``text`` where it is the standard decoder's; ``_DECLINED`` elsewhere
    (then the standard decoder gives the value, or the error, in its own words: NaN, lone
    surrogates, overflowing numbers)."""
    if _may_hold_a_long_integer(text):
        return _DECLINED
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _DECLINED


def loads(text: str | bytes) -> Any:
    """JSON text (str, or UTF-8 bytes) as a value; empty text is None."""
    if not text:
        return None
    value = _orjson_read(text)
    return json.loads(text) if value is _DECLINED else value


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


_CHECKED_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def loads_checked(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON: NaN/Infinity, overflowing numbers and nesting deeper than ``limit``
    are refused.

    Raises JsonTooDeep / JsonRefused (naming the problem) or json.JSONDecodeError, all
    ValueErrors. Every door that takes JSON from outside uses this, so all answer alike.
    """
    if isinstance(text, bytes | bytearray):
        encoding = json.detect_encoding(text)
        # UTF-8 bytes go to orjson as they are (a big body is not decoded to be read), unless
        # deep enough to need the scan below, or declined by it.
        if encoding != "utf-8" or text.count(b"[") + text.count(b"{") > limit:
            return loads_checked(text.decode(encoding, "surrogatepass"), limit)
        value = _orjson_read(text)
        return (
            _CHECKED_DECODER.decode(text.decode(encoding, "surrogatepass")) if value is _DECLINED else value
        )
    # Fewer opening brackets than the limit cannot nest deeper: skip the scan (the usual case).
    if text.count("[") + text.count("{") > limit:
        depth = json_depth(text)
        if depth > limit:
            raise JsonTooDeep(depth, limit)
    if text.startswith("\ufeff"):  # what json.loads says; the decoder alone would not
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    value = _orjson_read(text)  # orjson refuses NaN, Infinity and overflowing numbers too
    return _CHECKED_DECODER.decode(text) if value is _DECLINED else value


def dumps_strict(value: Any) -> str:
    """JSON for a client outside: NaN/Infinity raise ValueError instead of becoming invalid JSON."""
    return _text(value, _STRICT_ENCODER)


def dumps_strict_bytes(value: Any) -> bytes:
    """``dumps_strict(value).encode()``."""
    return _bytes(value, _STRICT_ENCODER)


class MessageTooLarge(ValueError):
    """One message that cannot cross the link: on its own it is over the per-message limit."""

    def __init__(self, size: int, limit: int = MAX_MESSAGE_BYTES) -> None:
        super().__init__(
            f"{size} bytes encoded, over the sidecar link's limit of {limit} bytes per message "
            "(send less data, or store it and pass a reference such as a state key)"
        )
        self.size = size
        self.limit = limit


def batch_size(item: Message) -> int:
    """What ``item`` adds to a batch: its encoding plus the repeated field's tag and length."""
    return item.ByteSize() + ITEM_OVERHEAD


# A batch (SidecarBatch, HostBatch) is one repeated message field numbered 1: on the wire,
# each item is its tag (field 1, length-delimited: 0x0a), its length as a varint, its encoding.
_BATCH_ITEM_TAG = 0x0A


def _item_head(size: int) -> bytes:
    """The tag and length before an item of ``size`` bytes in a batch (one or two length
    bytes cover items under 16 KiB: the usual ones, made without a loop)."""
    if size < 0x80:
        return bytes((_BATCH_ITEM_TAG, size))
    if size < 0x4000:
        return bytes((_BATCH_ITEM_TAG, size & 0x7F | 0x80, size >> 7))
    head = bytearray((_BATCH_ITEM_TAG,))
    while size > 0x7F:
        head.append(size & 0x7F | 0x80)
        size >>= 7
    head.append(size)
    return bytes(head)


def _sized(item: M) -> tuple[M, int]:
    return item, batch_size(item)


def _encoded(item: Message) -> tuple[bytes, int]:
    """The item as it appears inside a batch: each one is encoded once, here. Measuring it
    (ByteSize), copying it into a batch message and encoding the batch would encode it
    twice and copy it once more."""
    data = item.SerializeToString()
    return _item_head(len(data)) + data, len(data) + ITEM_OVERHEAD


async def batches(
    queue: asyncio.Queue[M | None],
    make_batch: Callable[[list[M]], B],
    refuse: Callable[[M, MessageTooLarge], M | None],
    limit: int = MAX_MESSAGE_BYTES,
    batch_bytes: int = BATCH_BYTES,
) -> AsyncIterator[B]:
    """Drain everything queued into one batch per write; a None in the queue ends the stream.

    One gRPC message per batch instead of per item is what keeps a busy stream cheap. Sized
    as ``_grouped`` says; ``make_batch`` builds the message from the items."""
    async for items in _grouped(queue, _sized, refuse, limit, batch_bytes):
        batch = make_batch(items)
        del items
        yield batch
        del batch  # sent: not held while the next items are awaited (see _grouped)


async def frames(
    queue: asyncio.Queue[M | None],
    refuse: Callable[[M, MessageTooLarge], M | None],
    limit: int = MAX_MESSAGE_BYTES,
    batch_bytes: int = BATCH_BYTES,
    in_flight: Callable[[], int] | None = None,
) -> AsyncIterator[bytes]:
    """``batches``, already encoded: each frame is the wire form of a batch message whose items
    are what was queued (the gRPC method passes bytes through, with no serializer). Each item
    is encoded exactly once; the link's two Python ends write this way. ``in_flight`` (how
    many invocations this side has running) lets a busy writer wait a loop round (see
    BUSY_IN_FLIGHT)."""
    async for parts in _grouped(queue, _encoded, refuse, limit, batch_bytes, in_flight):
        frame = parts[0] if len(parts) == 1 else b"".join(parts)
        del parts
        yield frame
        del frame  # sent: not held while the next items are awaited (see _grouped)


async def _grouped(
    queue: asyncio.Queue[M | None],
    measure: Callable[[M], tuple[P, int]],
    refuse: Callable[[M, MessageTooLarge], M | None],
    limit: int,
    batch_bytes: int,
    in_flight: Callable[[], int] | None = None,
) -> AsyncIterator[list[P]]:
    """Everything queued, in order, as the groups one write each carries (``measure`` gives an
    item's form in the group and its size in a batch).

    A group holds at most MAX_BATCH items and ``batch_bytes`` encoded bytes (one item alone:
    up to ``limit``): the item that would go over starts the next group, so any number of big
    items in flight never make one message the peer must refuse (which would tear down the
    stream and everything in flight on it). An item over the limit on its own is never sent:
    ``refuse`` gets it and returns a (small) message to send instead, such as an error
    answer, or None to drop it.

    Nothing of a group is referenced here once it has been yielded and the writer asks for the
    next: a generator's locals live while it waits, and a link that just carried big bodies
    would keep the last of them (tens of MB) until its next message, however long that takes.
    """
    carried: tuple[P, int] | None = None  # the item that did not fit the last group
    cap = min(batch_bytes, limit)
    while True:
        while carried is None:
            first = await queue.get()
            if first is None:
                return
            carried = _measured(first, measure, refuse, limit)
            del first
        if in_flight is not None and carried[1] < BUSY_WAIT_BELOW and in_flight() > BUSY_IN_FLIGHT:
            await asyncio.sleep(0)  # one loop round: see BUSY_IN_FLIGHT
        group, carried, ended = _fill(queue, carried, measure, refuse, limit, cap)
        yield group
        del group
        if ended:
            return


def _fill(
    queue: asyncio.Queue[M | None],
    first: tuple[P, int],
    measure: Callable[[M], tuple[P, int]],
    refuse: Callable[[M, MessageTooLarge], M | None],
    limit: int,
    cap: int,
) -> tuple[list[P], tuple[P, int] | None, bool]:
    """One group from ``first`` and what is queued after it: (the group, the item that did not
    fit it, whether the queue's end was reached)."""
    group, total = [first[0]], first[1]
    while len(group) < MAX_BATCH:
        try:
            item = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        if item is None:
            return group, None, True
        measured = _measured(item, measure, refuse, limit)
        if measured is None:
            continue
        if total + measured[1] > cap:
            return group, measured, False
        group.append(measured[0])
        total += measured[1]
    return group, None, False


def _measured(
    item: M,
    measure: Callable[[M], tuple[P, int]],
    refuse: Callable[[M, MessageTooLarge], M | None],
    limit: int,
) -> tuple[P, int] | None:
    """The item's form and size in a batch; an item too big on its own is swapped for what
    ``refuse`` returns (None: dropped)."""
    measured = measure(item)
    if measured[1] <= limit:
        return measured
    replacement = refuse(item, MessageTooLarge(measured[1] - ITEM_OVERHEAD, limit - ITEM_OVERHEAD))
    if replacement is None:
        return None
    measured = measure(replacement)
    return measured if measured[1] <= limit else None


def grpc_options(max_message_bytes: int = MAX_MESSAGE_BYTES) -> list[tuple[str, int]]:
    # No gRPC keepalive: in-band heartbeats on the stream detect a dead peer, and
    # mismatched keepalive settings make servers drop clients with GOAWAY.
    return [
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
    ]
