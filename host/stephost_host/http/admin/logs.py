"""Log records for the Workbench: the recent ones, and a live tail (server-sent events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from stephost_host.observe.reader import Observed

HEARTBEAT = b": keep-alive\n\n"


def router(observed: Observed) -> APIRouter:
    api = APIRouter(prefix="/logs")

    @api.get("")
    async def logs(limit: int = Query(500, ge=1, le=5000)) -> list[dict[str, Any]]:
        """The most recent log records, oldest first."""
        return await observed.logs(limit)

    @api.get("/live")
    async def live() -> StreamingResponse:
        """Each log record as any host records it, as a server-sent event (``data: {json}``)."""

        async def events() -> AsyncIterator[bytes]:
            yield HEARTBEAT  # the client knows at once that the tail is open
            async for doc in observed.tail():
                yield b"data: " + json.dumps(doc, default=str).encode() + b"\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"cache-control": "no-store"}
        )

    return api
