"""The Workbench's live views as server-sent events (the log tail, the stream groups), and the
one switch that ends them all when the host stops, so an open page never holds up the drain."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

from fastapi.responses import StreamingResponse

T = TypeVar("T")
HEARTBEAT = b": keep-alive\n\n"  # sent first: the page knows at once that the view is open


async def until(closing: asyncio.Event, source: AsyncIterator[T]) -> AsyncIterator[T]:
    """``source``'s items until it ends or ``closing`` is set; then, or when the reader goes
    away (a page closed), ``source`` is closed, so it lets go of what it holds."""
    closed = asyncio.ensure_future(closing.wait())
    got: asyncio.Future[T] | None = None
    try:
        while not closing.is_set():
            got = asyncio.ensure_future(anext(source))
            await asyncio.wait((got, closed), return_when=asyncio.FIRST_COMPLETED)
            if not got.done():
                return
            try:
                item = got.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        closed.cancel()
        if got is not None and not got.done():
            got.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await got  # the source has run its own clean-up
        await source.aclose()  # type: ignore[attr-defined]


class LiveViews:
    """A host component: stopping it (before HTTP) ends every open live view."""

    name = "live views"
    stop_timeout = 1.0

    def __init__(self) -> None:
        self.closing = asyncio.Event()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.closing.set()

    def response(self, source: AsyncIterator[bytes]) -> StreamingResponse:
        """Each of ``source``'s items (one line of JSON) as an event, until the host stops."""

        async def events() -> AsyncIterator[bytes]:
            yield HEARTBEAT
            async for data in until(self.closing, source):
                yield b"data: " + data + b"\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"cache-control": "no-store"}
        )
