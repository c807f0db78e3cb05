"""The host end of one streamed HTTP response: the sidecar's chunks in order, acks back.

The session puts every ``ResponseChunk`` and the closing ``InvocationResult`` of the
invocation here as they arrive; the HTTP side reads them with ``chunks()`` and acks each
after the client took it. The sidecar keeps at most a window of chunks unacknowledged,
so a slow client slows the handler down instead of filling the host's memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from stephost_host.errors import InvocationTimeout, StepFailed
from stephost_wire.v1 import sidecar_pb2 as pb


class StreamCancelled(Exception):
    """The response was cancelled (its client went away): nothing more will come."""


Item = pb.ResponseChunk | pb.InvocationResult | BaseException


class ResponseStream:
    def __init__(
        self,
        invocation_id: str,
        first: pb.ResponseChunk,
        send: Callable[[pb.HostMessage], None],
        cancel: Callable[[str], None],
    ) -> None:
        self.invocation_id = invocation_id
        self.status = first.status
        try:
            headers: Any = json.loads(first.headers_json) if first.headers_json else {}
        except ValueError:
            headers = None  # the HTTP side refuses it as a malformed response
        self.headers = headers
        self.idle_timeout = 30.0  # the step's timeout, set by the invoker
        self._send = send
        self._cancel = cancel
        self._items: asyncio.Queue[Item] = asyncio.Queue()
        self._items.put_nowait(first)
        self.done = False

    def put(self, item: Item) -> None:
        """From the session: a chunk, the closing result, or the error that ended the stream."""
        self._items.put_nowait(item)

    async def chunks(self) -> AsyncIterator[pb.ResponseChunk]:
        """Each chunk as it comes; ends at the result. Raises StepFailed for an error result,
        InvocationTimeout (after cancelling) when the handler is silent for idle_timeout."""
        while True:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    item = await self._items.get()
            except TimeoutError:
                self.cancel(f"sent no chunk for {self.idle_timeout:g}s")
                raise InvocationTimeout(
                    f"streamed response sent no chunk for {self.idle_timeout:g}s (the step's timeout)"
                ) from None
            if isinstance(item, BaseException):
                self.done = True
                raise item
            if isinstance(item, pb.InvocationResult):
                self.done = True
                if item.HasField("error"):
                    e = item.error
                    raise StepFailed(e.type, e.message, e.stack, e.retryable, e.retry_after_seconds)
                return
            yield item

    def ack(self, seq: int) -> None:
        """The client took every chunk up to ``seq``: the sidecar may send more."""
        if not self.done:
            self._send(pb.HostMessage(chunk_ack=pb.ChunkAck(invocation_id=self.invocation_id, seq=seq)))

    def cancel(self, reason: str) -> None:
        """Stop the handler (the client went away, or it fell silent); nothing more will come."""
        if not self.done:
            self.done = True
            self._cancel(reason)
            self._items.put_nowait(StreamCancelled(reason))  # wakes a reader waiting in chunks()
