"""Stream items over HTTP: a door onto the streams operations, under the same rules as the
link, the ingress and the WebSocket (names checked, the stream defined, then the project's
stream auth: its hook, then the stream's access check)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request

from stephost_host.http.admin.auth import bearer
from stephost_host.http.admin.refusals import http_error
from stephost_host.operations import OperationError
from stephost_host.operations.rules import Fields
from stephost_host.operations.streams import StreamOps
from stephost_host.streams.auth import Credentials

# The URL's parts, spelled as a client of this door knows them.
URL_FIELDS = Fields({"group_id": "groupId"})
HOW = "send the token as 'Authorization: Bearer <token>' (or as the stream auth hook reads it)"


def router(ops: StreamOps) -> APIRouter:
    api = APIRouter(prefix="/streams")

    async def readable(
        request: Request, stream: str, group: str, item: str, authorization: str | None
    ) -> None:
        credentials = Credentials(
            bearer(authorization) or None, dict(request.headers), dict(request.query_params)
        )
        await ops.authorized(stream, group, item, credentials, URL_FIELDS, HOW)

    @api.get("/{stream}/{group}")
    async def stream_group(
        request: Request, stream: str, group: str, authorization: str | None = Header(default=None)
    ) -> Any:
        try:
            await readable(request, stream, group, "", authorization)
            return await ops.get_group(stream, group, URL_FIELDS)
        except OperationError as exc:
            raise http_error(exc) from None

    @api.get("/{stream}/{group}/{item}")
    async def stream_item(
        request: Request, stream: str, group: str, item: str, authorization: str | None = Header(default=None)
    ) -> Any:
        try:
            await readable(request, stream, group, item, authorization)
            found = await ops.get(stream, group, item, URL_FIELDS)
        except OperationError as exc:
            raise http_error(exc) from None
        if found is None:
            raise HTTPException(404, f"no item {item!r} in stream {stream!r} group {group!r}")
        return found

    return api
