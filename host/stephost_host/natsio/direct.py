"""Subscriptions whose messages are handled where nats-py's reader parses them.

A nats-py subscription with a callback queues each message for a task of its own, which
runs the callback one event-loop turn later. For the host's hottest subscriptions (the
replies to its publishes, and the messages its pull requests bring) the handler only
resolves a future or hands the message on, so that turn is pure delay: here it runs at
once, inside the read loop. Handlers must be quick and must not raise (an exception is
logged and the message is dropped, as nats-py does with a failing callback).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

log = logging.getLogger("stephost.nats")


class _AtOnce(asyncio.Queue[Msg]):
    """Stands in for the subscription's pending queue: nats-py puts each message here
    (``_process_msg``), and this hands it straight to the handler instead of queueing it.
    These are nats-py internals (``_pending_queue``, ``_pending_size``); the test
    tests/test_nats_writes.py fails if a release changes them."""

    def __init__(self, sub: Subscription, handler: Callable[[Msg], None]) -> None:
        super().__init__()
        self._sub = sub
        self._handler = handler

    def put_nowait(self, item: Msg) -> None:
        self._sub._pending_size -= len(item.data)  # nothing stays pending
        try:
            self._handler(item)
        except Exception:
            log.exception("handling a message on %s failed", item.subject)


async def subscribe_at_once(nc: NATS, subject: str, handler: Callable[[Msg], None]) -> Subscription:
    """Subscribe with ``handler`` called for each message as soon as it is read."""
    sub = await nc.subscribe(subject)  # no callback: nats-py starts no task for it
    sub._pending_queue = _AtOnce(sub, handler)
    return sub
