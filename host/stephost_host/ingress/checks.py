"""What an ingress request must satisfy before anything is written, and the token check.

Every check raises ``Refused`` with the gRPC status and a message naming the field and
the problem; the servicer turns it into the call's status. Nothing is written before
every check of a call (or of a whole batch) has passed.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from stephost_wire.v1 import ingress_pb2 as pb

MAX_TOPIC = 256
MAX_IDEMPOTENCY_KEY = 256
MAX_TRACE_ID = 128
MAX_GROUP_ID = 256
MAX_NAME = 1024  # state group/key, stream/group/item names
# Header values travel in NATS headers: no control characters (CR/LF would split them).
_HEADER_SAFE = re.compile(r"[^\x00-\x1f\x7f]*")
# Room for an event's headers: the NATS server counts them against its max_payload, and
# closes the connection of a client that sends more (every in-flight call would fail).
HEADER_ROOM = 4096
log = logging.getLogger("stephost.ingress")


class Refused(Exception):
    """A call refused before it wrote anything."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> Refused:
    return Refused(grpc.StatusCode.INVALID_ARGUMENT, message)


@dataclass(frozen=True, slots=True)
class Event:
    """An EmitRequest that passed every check."""

    topic: str
    data: str
    group: str
    idempotency_key: str
    trace_id: str


def payload_limit(configured: int, nats_max_payload: int) -> int:
    """The ingress payload limit: the setting, unless the NATS server would refuse that much."""
    ceiling = nats_max_payload - HEADER_ROOM
    if configured > ceiling:
        log.warning(
            "ingress_max_payload_bytes=%d is more than the NATS server takes with headers (max_payload %d); "
            "accepting at most %d bytes",
            configured,
            nats_max_payload,
            ceiling,
        )
        return ceiling
    return configured


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (other languages cannot read it)")


def check_json(text: str, field: str, limit: int) -> str:
    """Valid JSON within the size limit; an empty string means null. Returns the JSON text."""
    if not text:
        return "null"
    size = len(text) if text.isascii() else len(text.encode())
    if size > limit:
        raise invalid(
            f"{field} is {size} bytes, over this host's limit of {limit} bytes (ingress_max_payload_bytes)"
        )
    try:
        json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise invalid(f"{field} is not valid JSON: {exc}") from None
    return text


def _header_value(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise invalid(f"{field} is {len(value)} characters; at most {limit} are allowed")
    if not _HEADER_SAFE.fullmatch(value):
        raise invalid(f"{field} must not contain control characters (such as newlines)")
    return value


def check_event(req: pb.EmitRequest, limit: int, where: str = "") -> Event:
    """``where`` prefixes field names inside a batch, e.g. ``events[3].``."""
    if not req.topic:
        raise invalid(f"{where}topic is empty: every event needs a topic")
    if len(req.topic) > MAX_TOPIC:
        raise invalid(f"{where}topic is {len(req.topic)} characters; at most {MAX_TOPIC} are allowed")
    data = check_json(req.data_json, f"{where}data_json", limit)
    return Event(
        topic=req.topic,
        data=data,
        group=_header_value(req.message_group_id, f"{where}message_group_id", MAX_GROUP_ID),
        idempotency_key=_header_value(req.idempotency_key, f"{where}idempotency_key", MAX_IDEMPOTENCY_KEY),
        trace_id=_header_value(req.trace_id, f"{where}trace_id", MAX_TRACE_ID),
    )


def check_batch(events: Sequence[pb.EmitRequest], limit: int) -> list[Event]:
    if not events:
        raise invalid("events is empty: a batch needs at least one event")
    return [check_event(e, limit, f"events[{i}].") for i, e in enumerate(events)]


def check_name(value: str, field: str) -> str:
    if not value:
        raise invalid(f"{field} is empty")
    if len(value) > MAX_NAME:
        raise invalid(f"{field} is {len(value)} characters; at most {MAX_NAME} are allowed")
    return value


class TokenCheck:
    """``authorization: Bearer <token>`` on every Ingress call when a token is configured."""

    def __init__(self, token: str) -> None:
        self.token = token.encode()

    def __bool__(self) -> bool:
        return bool(self.token)

    def check(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> None:
        given = ""
        for key, value in metadata or ():
            if key == "authorization":
                given = value if isinstance(value, str) else value.decode(errors="replace")
                break
        if not given:
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED,
                "this host requires a token: send the metadata 'authorization: Bearer <token>' "
                "with the host's ingress_token",
            )
        scheme, _, presented = given.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED,
                "the authorization metadata must be 'Bearer <token>'",
            )
        if not hmac.compare_digest(presented.strip().encode(), self.token):
            raise Refused(grpc.StatusCode.UNAUTHENTICATED, "wrong token")
