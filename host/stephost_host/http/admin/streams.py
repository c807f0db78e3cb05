"""Stream items over HTTP, under the WebSocket's rules: the project's auth hook, then the
stream's access check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, HTTPException

from stephost_host.http.admin.auth import bearer
from stephost_host.streams.auth import Denied, StreamAuth
from stephost_host.streams.store import Streams, UnknownStream


def router(streams: Streams, stream_auth: StreamAuth) -> APIRouter:
    api = APIRouter(prefix="/streams")

    async def readable(stream: str, group: str, item: str | None, authorization: str | None) -> None:
        try:
            definition = streams.definition(stream)
        except UnknownStream as exc:
            raise HTTPException(404, str(exc)) from None
        try:
            context = await stream_auth.authenticate(bearer(authorization) or None, {}, {})
        except Denied as exc:
            raise HTTPException(401, str(exc)) from None
        subscription = {"streamName": stream, "groupId": group, **({"id": item} if item else {})}
        if not await stream_auth.can_access(definition, subscription, context):
            raise HTTPException(403, f"access to stream {stream!r} group {group!r} denied")

    @api.get("/{stream}/{group}")
    async def stream_group(stream: str, group: str, authorization: str | None = Header(default=None)) -> Any:
        await readable(stream, group, None, authorization)
        return await streams.get_group(stream, group)

    @api.get("/{stream}/{group}/{item}")
    async def stream_item(
        stream: str, group: str, item: str, authorization: str | None = Header(default=None)
    ) -> Any:
        await readable(stream, group, item, authorization)
        found = await streams.get(stream, group, item)
        if found is None:
            raise HTTPException(404, f"no item {item!r} in stream {stream!r} group {group!r}")
        return found

    return api
