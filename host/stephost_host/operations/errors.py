"""Why an operation was refused, as a type every door can translate.

Each refusal carries a message naming the field and the problem. ``error_type`` is
what the sidecar link sends back as a call's error type (the handler's
``HostCallError.type``); the gRPC ingress maps the same classes onto status codes.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import nats.errors

R = TypeVar("R")


class OperationError(Exception):
    """An operation refused: nothing was written unless the message says so."""

    error_type = "OperationError"

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


class Unavailable(OperationError):
    """NATS did not answer: the caller may retry."""

    error_type = "Unavailable"
    reason: BaseException | None = None  # what NATS raised


def unavailable(exc: BaseException, outcome: str = "nothing was changed") -> Unavailable:
    reason = exc.reason if isinstance(exc, Unavailable) and exc.reason else exc
    refused = Unavailable(
        f"NATS did not acknowledge the write ({type(reason).__name__}: {reason or 'no detail'}); {outcome}. "
        "Retry; an idempotency key makes a retried emit safe"
    )
    refused.reason = reason
    return refused


async def acknowledged(op: Awaitable[R], outcome: str = "nothing was changed") -> R:
    """Run a NATS write or read; a timeout or a NATS error becomes ``Unavailable``."""
    try:
        return await op
    except (TimeoutError, nats.errors.Error) as exc:
        raise unavailable(exc, outcome) from None


def translated(exc: Exception) -> OperationError | None:
    """A store's own typed error (``error_type`` attribute) as the matching refusal."""
    kind = {c.error_type: c for c in (InvalidArgument, NotFound, PermissionDenied, AlreadyExists)}.get(
        getattr(exc, "error_type", "")
    )
    return kind(str(exc)) if kind else None
