"""Sending a streamed response: each chunk to the client as the handler produces it.

The status and headers go out first (no content-length: the server frames the body in
chunks). Each chunk is acknowledged to the sidecar only after the ASGI send returned, so
a client that reads slowly slows the handler (the sidecar waits for acks beyond its
window). A client that goes away cancels the handler; a handler that fails or falls
silent ends the response early, which the client sees as a truncated body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from stephost_host.errors import HostError, StepFailed
from stephost_host.link.response_stream import ResponseStream, StreamCancelled

log = logging.getLogger("stephost.http")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def send_streamed(
    send: Send, receive: Receive, start: dict[str, Any], stream: ResponseStream, step: str, trace_id: str
) -> None:
    watcher = asyncio.create_task(_cancel_when_gone(receive, stream))
    completed = False
    try:
        await send(start)
        async for chunk in stream.chunks():
            if chunk.data:
                await send({"type": "http.response.body", "body": chunk.data, "more_body": True})
            stream.ack(chunk.seq)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        completed = True
    except StreamCancelled:
        pass  # the client is gone: there is no one to tell
    except (StepFailed, HostError) as exc:
        # The status went out with the first chunk; ending the body early is all that is left.
        problem = f"handler raised {exc.type}: {exc.message}" if isinstance(exc, StepFailed) else str(exc)
        log.error(
            "streamed response ended early: %s",
            problem,
            extra={"step": step, "trace_id": trace_id, "stack": getattr(exc, "stack", "")},
        )
    finally:
        watcher.cancel()
        if not completed:
            stream.cancel("the response ended early")


async def _cancel_when_gone(receive: Receive, stream: ResponseStream) -> None:
    """The request body is read already: the next message is the client's disconnect."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            stream.cancel("the client went away")
            return
