"""A span: one step invocation, as the Workbench's trace timeline and OTLP export see it.

Trace ids are W3C trace ids (32 hex digits) when the host makes them, and span ids are W3C
parent ids (16 hex), so a ``traceparent`` from outside continues its trace here and one
carried on an event continues it in the step that handles the event. A trace id given the
older way (``x-trace-id``, any text) still works; it just has no W3C form.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from typing import Any

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_HEX = "0123456789abcdef"
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16


def new_span_id() -> str:
    # Not a secret, only unique within a trace: the fast generator (os.urandom is a syscall).
    return f"{random.getrandbits(64) or 1:016x}"


def new_trace_id() -> str:
    """A W3C trace id for a trace that starts here. Not a secret either: reading a trace
    needs the host's secret, not its id; uuid4 (a syscall per id) cost more than the rest."""
    return f"{random.getrandbits(128) or 1:032x}"


def parse_traceparent(value: str | None) -> tuple[str, str] | None:
    """(trace id, parent span id) of a valid W3C ``traceparent`` (version 00), else None."""
    if not value:
        return None
    found = _TRACEPARENT.fullmatch(value.strip().lower())
    if found is None or found[1] == _ZERO_TRACE or found[2] == _ZERO_SPAN:
        return None
    return found[1], found[2]


def traceparent(trace_id: str, span_id: str) -> str:
    """The ``traceparent`` naming this span, or "" when the trace id has no W3C form."""
    # 32 lower-case hex digits; strip() runs in C, cheaper than a regex once per invocation.
    if not span_id or len(trace_id) != 32 or trace_id.strip(_HEX):
        return ""
    return f"00-{trace_id}-{span_id}-01"


@dataclass(slots=True, init=False)
class Span:
    """Filled in as the invocation runs; the recorder turns it into a record when it ends."""

    trace_id: str
    step: str
    language: str
    parent: str  # the span (or outside caller) this invocation continues
    topic: str  # the event topic it handled
    attempt: int
    cause: str  # what started it: "http", "event", "cron"
    span_id: str
    start: float
    emits: list[str]  # topics, in the order emitted

    # Written out, not generated: one is made per invocation, and the generated __init__
    # with default factories cost a third more.
    def __init__(
        self,
        trace_id: str,
        step: str,
        language: str,
        parent: str = "",
        topic: str = "",
        attempt: int = 1,
        cause: str = "",
        span_id: str = "",
        start: float | None = None,
    ) -> None:
        self.trace_id = trace_id
        self.step = step
        self.language = language
        self.parent = parent
        self.topic = topic
        self.attempt = attempt
        self.cause = cause
        self.span_id = span_id or new_span_id()
        self.start = time.time() if start is None else start
        self.emits = []

    def record(self, duration_ms: float, outcome: str, error: dict[str, str] | None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "trace": self.trace_id,
            "span": self.span_id,
            "parent": self.parent,
            "step": self.step,
            "language": self.language,
            "cause": self.cause,
            "topic": self.topic,
            "attempt": self.attempt,
            "start": self.start,
            "ms": round(duration_ms, 3),
            "outcome": outcome,
            "emits": self.emits,
        }
        if error:
            doc["error"] = error
        return doc
