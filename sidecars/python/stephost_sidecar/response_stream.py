"""Streamed responses: a handler's iterator body sent as ResponseChunk messages.

The first chunk carries the status and headers with the first item; each later item is
one more chunk (split when larger than ``MAX_CHUNK``). At most ``WINDOW`` chunks stay
unacknowledged: the host acks a chunk once its client took it, so a slow client slows the
handler here. Cancelling the task that streams (the host's Cancel) stops the iteration and
closes the handler's generator, so its ``finally`` blocks run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from stephost_sidecar.http import BINARY
from stephost_sidecar.proto import codec, pb

WINDOW = 8
MAX_CHUNK = 1024 * 1024
_END = object()


class ChunkSender:
    """One streamed response's chunks, in order, within the window."""

    def __init__(self, invocation_id: str, reply: Callable[[pb.SidecarMessage], None]) -> None:
        self.invocation_id = invocation_id
        self._reply = reply
        self.sent = 0
        self.acked = 0
        self._progress = asyncio.Event()

    def ack(self, seq: int) -> None:
        if seq > self.acked:
            self.acked = seq
            self._progress.set()

    async def send(self, data: bytes, status: int = 0, headers_json: str = "") -> None:
        while self.sent - self.acked >= WINDOW:  # seq sent+1 needs an ack of at least sent+1-WINDOW
            self._progress.clear()
            await self._progress.wait()
        self.sent += 1
        chunk = pb.ResponseChunk(
            invocation_id=self.invocation_id,
            seq=self.sent,
            data=data,
            status=status,
            headers_json=headers_json,
        )
        self._reply(pb.SidecarMessage(chunk=chunk))

    async def stream(self, response: dict[str, Any], threads: ThreadPoolExecutor) -> None:
        """Send the whole response; returns when the handler's iterator ends."""
        source = _Source(response["body"], threads)
        try:
            head: dict[str, Any] = {
                "status": response["status"],
                "headers_json": codec.dumps(response["headers"]),
            }
            while (item := await source.next()) is not _END:
                data = _bytes_of(item)
                for start in range(0, max(len(data), 1), MAX_CHUNK):
                    await self.send(data[start : start + MAX_CHUNK], **head)
                    head = {}
            if head:  # it yielded nothing: the status and headers still go out
                await self.send(b"", **head)
        finally:
            await source.close()


def _bytes_of(item: Any) -> bytes:
    if isinstance(item, str):
        return item.encode()
    if isinstance(item, BINARY):
        return bytes(item)
    raise TypeError(f"a streamed response body yields str or bytes, got {type(item).__name__}")


class _Source:
    """The handler's iterator, async or plain; a plain one is advanced on a worker thread
    (its items may take blocking work to produce)."""

    def __init__(self, body: Any, threads: ThreadPoolExecutor) -> None:
        self._async: AsyncIterator[Any] | None = body.__aiter__() if isinstance(body, AsyncIterable) else None
        self._sync: Iterator[Any] = body
        self._threads = threads
        self._pending: Future[Any] | None = None

    async def next(self) -> Any:
        if self._async is not None:
            try:
                return await self._async.__anext__()
            except StopAsyncIteration:
                return _END
        self._pending = self._threads.submit(next, self._sync, _END)
        return await asyncio.wrap_future(self._pending)

    async def close(self) -> None:
        """Close the handler's generator (at once, or when its worker thread is done with it)."""
        if self._async is not None:
            aclose = getattr(self._async, "aclose", None)
            if aclose is not None:
                await aclose()
            return
        close = getattr(self._sync, "close", None)
        if close is None:
            return
        pending = self._pending
        if pending is not None and not pending.done():
            pending.add_done_callback(lambda _f: close())  # a generator cannot close while it runs
        else:
            close()
