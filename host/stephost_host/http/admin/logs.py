"""Log records for the Workbench: the recent ones, and a live tail (server-sent events)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from stephost_host.http.admin.live import LiveViews
from stephost_host.observe.reader import Observed


def router(observed: Observed, views: LiveViews) -> APIRouter:
    api = APIRouter(prefix="/logs")

    @api.get("")
    async def logs(limit: int = Query(500, ge=1, le=5000)) -> list[dict[str, Any]]:
        """The most recent log records, oldest first."""
        return await observed.logs(limit)

    @api.get("/live")
    async def live() -> StreamingResponse:
        """The log records any host records, from now on, as server-sent events: each event a
        batch of them as the recorder published it (``data: {"logs": [...]}``)."""
        return views.response(observed.tail())

    return api
