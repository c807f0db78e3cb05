"""The Nats-Msg-Id of every emit: JetStream drops a repeated id inside its duplicate window.

An external client names its own (an idempotency key, or a batch id for every event of
a batch); a handler re-run for a
redelivered event gets the ids it got the first time, one per emit in order.
"""

from __future__ import annotations

import uuid


def idempotent(idempotency_key: str) -> str:
    """An ingress emit's id: the client's key, in a namespace of its own."""
    return f"ingress.{idempotency_key}" if idempotency_key else ""


def new_batch() -> str:
    """A batch id for a batch the caller did not name; the caller gets it back on failure."""
    return uuid.uuid4().hex


def batch_event(batch_id: str, index: int) -> str:
    """Event ``index`` of an ingress batch: the same batch sent again gets the same ids."""
    return f"batch.{batch_id}:{index}"


def redelivered(origin: str, emits_so_far: int) -> str:
    """A handler's emit number ``emits_so_far`` while handling the queued event ``origin``.

    Handlers not run for a queued event (HTTP, cron) have no origin and no id.
    """
    return f"{origin}:{emits_so_far}" if origin else ""
