"""The host's error tree. Invocation outcomes map onto HTTP statuses and queue decisions."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting has a bad value; the message names the key and the value. (Here rather than in
    config.py, so the CLI can catch it without loading the settings model.)"""


class HostError(Exception):
    """Base of every error the host raises on purpose."""


class StepUnavailable(HostError):
    """No connected sidecar serves the step (HTTP 503; queued events wait)."""


class InvocationTimeout(HostError):
    """The handler ran past its deadline (HTTP 504; a failed attempt for events)."""


class SidecarLost(HostError):
    """The sidecar's stream died while the invocation was in flight (redelivered)."""


class StepFailed(HostError):
    """The handler raised; carries the typed error that crossed the wire."""

    def __init__(self, type: str, message: str, stack: str, retryable: bool, retry_after: float) -> None:
        super().__init__(f"{type}: {message}")
        self.type = type
        self.message = message
        self.stack = stack
        self.retryable = retryable
        self.retry_after = retry_after


class PayloadTooLarge(HostError):
    """The invocation is too big to cross the sidecar link in one message (HTTP 413)."""
