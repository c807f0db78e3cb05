"""What the ingress clients take and return: plain values, no generated protobuf types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stephost.errors import StephostError


class IngressError(StephostError):
    """The host refused a call, or could not be reached.

    ``code`` is the gRPC status name: ``INVALID_ARGUMENT``, ``UNAUTHENTICATED``,
    ``NOT_FOUND``, ``ALREADY_EXISTS``, ``UNAVAILABLE``, ...
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Receipt:
    """Where an emitted event was stored. ``duplicate``: a retried idempotency key (the
    receipt is the first emit's, and nothing new was stored)."""

    trace_id: str
    stream: str
    sequence: int
    duplicate: bool = False


@dataclass(frozen=True)
class Event:
    """One event for ``emit_batch`` (a mapping with the same keys, or Motia's camelCase
    ``messageGroupId``/``idempotencyKey``/``traceId``, works too)."""

    topic: str
    data: Any = None
    message_group_id: str | None = None
    idempotency_key: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True)
class StepInfo:
    name: str
    type: str
    language: str
    file: str
    live: bool
    flows: list[str] = field(default_factory=list)
    subscribes: list[str] = field(default_factory=list)
    emits: list[str] = field(default_factory=list)
    method: str = ""
    path: str = ""
    cron: str = ""
    description: str = ""


@dataclass(frozen=True)
class StreamChange:
    """``type`` is create, update, delete (``data``: the item) or event (``event_type``
    and ``data``: what streams.send sent)."""

    type: str
    id: str
    data: Any
    event_type: str = ""
