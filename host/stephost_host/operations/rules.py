"""Every rule an argument of an operation must satisfy, written once, pure.

Each check raises ``InvalidArgument`` with a message naming the field as the calling
door spells it (``Fields``): a handler's ctx says ``messageGroupId``, the ingress
proto says ``message_group_id``; the rule and the rest of the message are the same.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stephost_host.operations.errors import InvalidArgument
from stephost_wire import codec

MAX_TOPIC = 256
MAX_GROUP_ID = 256  # messageGroupId
MAX_IDEMPOTENCY_KEY = 256
MAX_TRACE_ID = 128
MAX_BATCH_ID = 200  # with an event's index, a Nats-Msg-Id within MAX_IDEMPOTENCY_KEY
MAX_NAME = 1024  # state group/key, stream/group/item names
# The NATS server counts an event's headers against its max_payload and closes the
# connection of a client that sends more (failing every call in flight on it), so a
# payload may use max_payload less this much.
HEADER_ROOM = 4096
# Header values travel in NATS headers: no control characters (CR/LF would split them).
_HEADER_SAFE = re.compile(r"[^\x00-\x1f\x7f]*")
log = logging.getLogger("stephost.operations")


@dataclass(frozen=True, slots=True)
class Fields:
    """How one door spells the fields it passes in (canonical name -> display name).

    ``prefix`` places a field inside a larger request, e.g. ``events[3].``.
    """

    spelled: Mapping[str, str] = field(default_factory=dict)
    prefix: str = ""

    def __call__(self, name: str) -> str:
        return self.prefix + self.bare(name)

    def bare(self, name: str) -> str:
        return self.spelled.get(name, name)

    def at(self, prefix: str) -> Fields:
        return Fields(self.spelled, prefix)


@dataclass(frozen=True, slots=True)
class Limit:
    """The most bytes a payload may have, and which setting says so."""

    bytes: int
    source: str


def nats_limit(max_payload: int) -> Limit:
    return Limit(max_payload - HEADER_ROOM, "the NATS server's max_payload, less room for headers")


def payload_limit(configured: int, setting: str, max_payload: int) -> Limit:
    """A configured limit, unless the NATS server would refuse that much."""
    ceiling = nats_limit(max_payload)
    if configured > ceiling.bytes:
        log.warning(
            "%s=%d is more than the NATS server takes with headers (max_payload %d); accepting at most %d bytes",
            setting,
            configured,
            max_payload,
            ceiling.bytes,
        )
        return ceiling
    return Limit(configured, setting)


def check_topic(topic: str, fields: Fields) -> str:
    if not topic:
        raise InvalidArgument(f"{fields('topic')} is empty: every event needs a topic")
    if len(topic) > MAX_TOPIC:
        raise InvalidArgument(
            f"{fields('topic')} is {len(topic)} characters; at most {MAX_TOPIC} are allowed"
        )
    return topic


def check_json(text: str, name: str, fields: Fields, limit: Limit) -> str:
    """Valid JSON within the limit (see ``parse_json``); empty means null. Returns the text."""
    if text:
        parse_json(text, name, fields, limit)
    return text or "null"


def parse_json(text: str, name: str, fields: Fields, limit: Limit) -> Any:
    """The value of JSON text within the limit; empty means null.

    ``codec.loads_checked`` is the one JSON rule for every door: no NaN/Infinity, no
    number too large for a float, nesting at most ``codec.MAX_JSON_DEPTH`` levels (deeper
    text would make the parser raise RecursionError instead of a refusal).
    """
    if not text:
        return None
    size = len(text) if text.isascii() else len(text.encode())
    if size > limit.bytes:
        raise InvalidArgument(
            f"{fields(name)} is {size} bytes, over this host's limit of {limit.bytes} bytes ({limit.source})"
        )
    try:
        return codec.loads_checked(text)
    except codec.JsonTooDeep as exc:
        raise InvalidArgument(f"{fields(name)} is {exc}") from None
    except ValueError as exc:
        raise InvalidArgument(f"{fields(name)} is not valid JSON: {exc}") from None


def check_header_value(value: str, name: str, fields: Fields, limit: int) -> str:
    """A value that travels in a NATS header; empty means absent."""
    if len(value) > limit:
        raise InvalidArgument(f"{fields(name)} is {len(value)} characters; at most {limit} are allowed")
    if not _HEADER_SAFE.fullmatch(value):
        raise InvalidArgument(f"{fields(name)} must not contain control characters (such as newlines)")
    return value


def check_name(value: str, name: str, fields: Fields) -> str:
    """A state group or key, a stream, group or item name: non-empty and bounded."""
    if not value:
        raise InvalidArgument(f"{fields(name)} is empty")
    if len(value) > MAX_NAME:
        raise InvalidArgument(f"{fields(name)} is {len(value)} characters; at most {MAX_NAME} are allowed")
    return value


def check_fifo_group(topic: str, group: str, subscribers: list[str], fields: Fields) -> None:
    """A topic with FIFO subscribers needs a message group: they take events in order per group."""
    if subscribers and not group:
        raise InvalidArgument(
            f"{fields('message_group_id')} is empty, but topic {topic!r} has FIFO subscribers "
            f"({', '.join(subscribers)}): emit needs a {fields.bare('message_group_id')}, as they take "
            "events in order per message group"
        )


def check_batch(count: int, cap: int, setting: str, fields: Fields) -> None:
    """A batch has at least one event and at most ``cap``: a bounded batch is stored, or
    answered for, within the publish timeout, and cannot flood the host's NATS connection."""
    if not count:
        raise InvalidArgument(f"{fields('events')} is empty: a batch needs at least one event")
    if count > cap:
        raise InvalidArgument(
            f"{fields('events')} has {count} events; a batch holds at most {cap} ({setting}): "
            "split it into smaller batches"
        )
