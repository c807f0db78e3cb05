"""Errors a step author raises or catches.

Raising ``NonRetryableError`` sends an event straight to dead letters; raising
``RetryableError(retry_after=...)`` asks for the next attempt after that delay. Any
other exception is retried with exponential backoff, up to the step's maxRetries.
"""

from __future__ import annotations


class StephostError(Exception):
    """Base class of every error stephost raises."""


class NonRetryableError(StephostError):
    """The handler failed in a way a retry cannot fix."""


class RetryableError(StephostError):
    """The handler failed and wants another attempt after ``retry_after`` seconds."""

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HostCallError(StephostError):
    """A call into the host (emit, state, streams) failed.

    ``type`` is the host's error type, e.g. ``InvalidArgument`` or ``Unavailable``.
    """

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type
