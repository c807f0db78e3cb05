"""Pull requests on one durable consumer, each message handed over the moment it arrives.

nats-py's ``fetch`` waits for every message of a batch with its own ``asyncio.wait_for``
(a task and a timer per message) and returns the batch only when it is complete or its
wait ran out. Here one subscription's callback hands each message straight to the
consumer, and a request stays open (up to ``expires``) while messages flow through it:
a quiet step receives an event as soon as it is stored instead of one round trip later,
and a busy one pays no per-message task (the callback runs as the message is read, see
natsio/direct.py). The server ends a request by filling it or with
a status message (408 when it expired); a request the server lost (a restart) is ended
here after its expiry plus a grace period.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from stephost_host.natsio.direct import subscribe_at_once

# Status headers the server puts on the request's inbox (no payload, no ack subject).
_STATUS = "Status"
_HEARTBEAT = "100"
EXPIRED = "408"
# How long past its expiry a request may still be answered before it counts as lost.
GRACE = 1.0


class PullRequests:
    """One request at a time on a durable pull consumer; ``deliver`` gets every message."""

    def __init__(
        self, nc: NATS, api_prefix: str, stream: str, durable: str, deliver: Callable[[Msg], None]
    ) -> None:
        self._nc = nc
        self._next = f"{api_prefix}.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._deliver = deliver
        self._inbox = nc.new_inbox()
        self._sub: Subscription | None = None
        self._left = 0  # messages the open request may still bring
        self._ended: asyncio.Future[str] | None = None

    async def start(self) -> None:
        self._sub = await subscribe_at_once(self._nc, self._inbox, self._on_msg)

    async def pull(self, batch: int, expires: float) -> str:
        """Ask for up to ``batch`` messages and wait until the request ends. Returns how it
        ended: "" (filled), a status code ("408": expired), or "lost" (no answer in time)."""
        loop = asyncio.get_running_loop()
        self._left = batch
        self._ended = ended = loop.create_future()
        body = json.dumps({"batch": batch, "expires": int(expires * 1e9)}).encode()
        timer = loop.call_later(expires + GRACE, self._end, "lost")
        try:
            await self._nc.publish(self._next, body, reply=self._inbox)
            return await ended
        finally:
            timer.cancel()
            self._ended = None

    def _on_msg(self, msg: Msg) -> None:
        status = msg.headers.get(_STATUS) if msg.headers else None
        if status is None:
            # Delivered whether or not a request is open: a message never goes unhandled
            # here (one from a request already ended would otherwise wait out ack_wait).
            self._deliver(msg)
            self._left -= 1
            if self._left <= 0:
                self._end("")
        elif status != _HEARTBEAT:
            self._end(status)

    def _end(self, how: str) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(how)

    async def stop(self) -> None:
        self._end("lost")
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception:  # the connection is gone already: nothing more can arrive
                pass
            self._sub = None
