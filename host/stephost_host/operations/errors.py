"""Why an operation was refused, as a type every door can translate.

Each refusal carries a message naming the field and the problem. ``error_type`` is
what the sidecar link sends back as a call's error type (the handler's
``HostCallError.type``); the gRPC ingress maps the same classes onto status codes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import nats.errors

R = TypeVar("R")


class OperationError(Exception):
    """An operation refused: nothing was written unless the message says so."""

    error_type = "OperationError"
    progress: BatchProgress | None = None  # set when a batch was refused part way

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(OperationError):
    error_type = "InvalidArgument"


class NotFound(OperationError):
    error_type = "NotFound"


class PermissionDenied(OperationError):
    error_type = "PermissionDenied"


class Unauthenticated(OperationError):
    """The caller's credentials were refused (or missing where they are required)."""

    error_type = "Unauthenticated"


class AlreadyExists(OperationError):
    error_type = "AlreadyExists"


class StateConflict(OperationError):
    """A compare-and-set lost: the value's revision moved since it was read. Nothing was written."""

    error_type = "StateConflict"


class Unavailable(OperationError):
    """NATS did not answer: the caller may retry."""

    error_type = "Unavailable"
    reason: BaseException | None = None  # what NATS raised


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """How far a batch got before it was refused: exactly ``stored`` of its ``size`` events
    are in the stream, and events[``first_unstored``] is the first that is not. Sending the
    batch again under ``batch_id`` stores only the rest: the ids repeat, JetStream drops
    the repeats inside its duplicate window."""

    batch_id: str
    size: int
    stored: int
    first_unstored: int

    def __str__(self) -> str:
        return (
            f"{self.stored} of the batch's {self.size} events were stored (JetStream acknowledged them) "
            f"and events[{self.first_unstored}] is the first that was not; send the same batch again "
            f"with batch_id {self.batch_id!r} within 120 s to store only the rest"
        )


RETRY = "Retry; an idempotency key makes a retried emit safe"


def unavailable(exc: BaseException, outcome: str = "nothing was changed", retry: str = RETRY) -> Unavailable:
    """A write NATS did not confirm; ``outcome`` says what is known to be stored."""
    reason = exc.reason if isinstance(exc, Unavailable) and exc.reason else exc
    refused = Unavailable(
        f"NATS did not acknowledge the write ({_named(reason)}); {outcome}. {retry}".rstrip()
    )
    refused.reason = reason
    return refused


def unanswered(exc: BaseException) -> Unavailable:
    """A read NATS did not answer: nothing was written, so there is nothing to undo."""
    refused = Unavailable(f"NATS did not answer the read ({_named(exc)}); retry the read")
    refused.reason = exc
    return refused


def _named(reason: BaseException) -> str:
    return f"{type(reason).__name__}: {reason or 'no detail'}"


async def acknowledged(op: Awaitable[R], outcome: str = "nothing was changed") -> R:
    """Run a NATS write; a timeout or a NATS error becomes ``Unavailable``."""
    try:
        return await op
    except (TimeoutError, nats.errors.Error) as exc:
        raise unavailable(exc, outcome) from None


async def answered(op: Awaitable[R]) -> R:
    """Run a NATS read; a timeout or a NATS error becomes ``Unavailable`` saying it was a read."""
    try:
        return await op
    except (TimeoutError, nats.errors.Error) as exc:
        raise unanswered(exc) from None


# What is wrong with the store that keeps writes (None: nothing), asked before each write.
StoreProblem = Callable[[], str | None]


def no_problem() -> str | None:
    return None


def writable(problem: StoreProblem) -> None:
    """Refuse a write at once when the store cannot keep it, instead of letting it hang."""
    found = problem()
    if found:
        raise Unavailable(f"the host's store cannot take writes: {found}; nothing was stored")


def translated(exc: Exception) -> OperationError | None:
    """A store's own typed error (``error_type`` attribute) as the matching refusal."""
    kind = {c.error_type: c for c in (InvalidArgument, NotFound, PermissionDenied, AlreadyExists)}.get(
        getattr(exc, "error_type", "")
    )
    return kind(str(exc)) if kind else None
