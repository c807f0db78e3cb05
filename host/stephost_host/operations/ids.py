"""The Nats-Msg-Id of every emit: JetStream drops a repeated id inside its duplicate window.

An external client names its own (an idempotency key); a handler re-run for a
redelivered event gets the ids it got the first time, one per emit in order.
"""

from __future__ import annotations


def idempotent(idempotency_key: str) -> str:
    """An ingress emit's id: the client's key, in a namespace of its own."""
    return f"ingress.{idempotency_key}" if idempotency_key else ""


def redelivered(origin: str, emits_so_far: int) -> str:
    """A handler's emit number ``emits_so_far`` while handling the queued event ``origin``.

    Handlers not run for a queued event (HTTP, cron) have no origin and no id.
    """
    return f"{origin}:{emits_so_far}" if origin else ""
