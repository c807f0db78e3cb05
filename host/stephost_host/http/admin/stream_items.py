"""Stream groups and items for the Workbench, read as the admin (the stream auth that guards
``/streams/...`` for clients is for the project's users, not for its operator)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse

from stephost_host.http.admin.live import LiveViews
from stephost_host.operations.streams import StreamOps
from stephost_host.streams.group_lists import group_lists
from stephost_host.streams.store import UnknownStream


def router(ops: StreamOps, views: LiveViews) -> APIRouter:
    api = APIRouter(prefix="/stream-groups")

    @api.get("")
    async def groups() -> dict[str, list[str]]:
        """Every defined stream and its groups that hold items."""
        return await ops.streams.groups()

    @api.get("/live")
    async def live() -> StreamingResponse:
        """The same, as server-sent events: now, then again each time a group gets its first
        item or its last one is deleted (``data: {"<stream>": ["<group>", ...], ...}``)."""

        async def encoded() -> AsyncIterator[bytes]:
            async for listed in group_lists(ops.streams):
                yield json.dumps(listed).encode()

        return views.response(encoded())

    @api.get("/{stream}/{group}")
    async def items(stream: str, group: str) -> list[Any]:
        try:
            return await ops.streams.get_group(stream, group)
        except UnknownStream as exc:
            raise HTTPException(404, str(exc)) from None

    @api.get("/{stream}/{group}/live")
    async def items_live(stream: str, group: str) -> StreamingResponse:
        """The group's items, then every change, as server-sent events shaped like the stream
        WebSocket's frames: ``data: {"event": {"type": "sync", "data": [...]}, ...}``, then
        ``{"id", "timestamp", "event": {"type": "create" | "update" | "delete", "data"} or
        {"type": "event", "event": {type, data}}}``. For the Workbench on a project whose
        stream auth keeps the socket to its users."""
        try:
            ops.streams.definition(stream)
        except UnknownStream as exc:
            raise HTTPException(404, str(exc)) from None

        async def encoded() -> AsyncIterator[bytes]:
            async for change in ops.streams.subscribe(stream, group, sync=True):
                frame = {"id": change.pop("id", None), "timestamp": change.pop("timestamp"), "event": change}
                yield json.dumps(frame, default=str).encode()

        return views.response(encoded())

    return api
