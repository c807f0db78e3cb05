"""Stream items over HTTP, under the WebSocket's rule (``StreamAuth.authorize``): the
project's auth hook, then the stream's access check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request

from stephost_host.http.admin.auth import bearer
from stephost_host.streams.auth import Credentials, Denied, Forbidden, StreamAuth, subscription
from stephost_host.streams.store import Streams, UnknownStream


def router(streams: Streams, stream_auth: StreamAuth) -> APIRouter:
    api = APIRouter(prefix="/streams")

    async def readable(
        request: Request, stream: str, group: str, item: str | None, authorization: str | None
    ) -> None:
        try:
            definition = streams.definition(stream)
        except UnknownStream as exc:
            raise HTTPException(404, str(exc)) from None
        credentials = Credentials(
            bearer(authorization) or None,
            dict(request.headers),
            dict(request.query_params),
        )
        try:
            await stream_auth.authorize(definition, subscription(stream, group, item), credentials)
        except Denied as exc:
            raise HTTPException(401, str(exc)) from None
        except Forbidden as exc:
            raise HTTPException(403, str(exc)) from None

    @api.get("/{stream}/{group}")
    async def stream_group(
        request: Request, stream: str, group: str, authorization: str | None = Header(default=None)
    ) -> Any:
        await readable(request, stream, group, None, authorization)
        return await streams.get_group(stream, group)

    @api.get("/{stream}/{group}/{item}")
    async def stream_item(
        request: Request, stream: str, group: str, item: str, authorization: str | None = Header(default=None)
    ) -> Any:
        await readable(request, stream, group, item, authorization)
        found = await streams.get(stream, group, item)
        if found is None:
            raise HTTPException(404, f"no item {item!r} in stream {stream!r} group {group!r}")
        return found

    return api
