"""The host's own HTTP endpoints, under /__stephost: health, the step list, emit."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from stephost_host.queue.dlq import DeadLetters, NoSuchDeadLetter
from stephost_host.router.registry import Registry
from stephost_host.streams.auth import Denied, StreamAuth
from stephost_host.streams.store import Streams, UnknownStream


class DeadLetterSelection(BaseModel):
    """Which dead letters: by id, every one of a step, or all of them."""

    ids: list[int] | None = None
    step: str | None = None
    all: bool = False


def build_admin(
    registry: Registry,
    dlq: DeadLetters,
    secret: str,
    streams: Streams,
    stream_auth: StreamAuth,
) -> FastAPI:
    app = FastAPI(
        title="stephost", docs_url="/__stephost/docs", openapi_url="/__stephost/openapi.json", redoc_url=None
    )

    def authorise(authorization: str | None) -> None:
        if not secret:
            return
        token = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(token.encode(), secret.encode()):
            raise HTTPException(
                401, "this endpoint needs 'Authorization: Bearer <secret>' (the host's secret)"
            )

    @app.get("/__stephost/health")
    async def health() -> dict[str, Any]:
        steps = registry.describe()
        return {"status": "ok", "steps": len(steps), "live": sum(s["live"] for s in steps)}

    @app.get("/__stephost/steps")
    async def steps() -> list[dict[str, Any]]:
        return registry.describe()

    @app.get("/__stephost/dlq")
    async def dead_letters(
        step: str | None = None, limit: int = 1000, authorization: str | None = Header(default=None)
    ) -> list[dict[str, Any]]:
        authorise(authorization)
        return await dlq.records(step, limit)

    @app.get("/__stephost/dlq/{dead_id}")
    async def dead_letter(dead_id: int, authorization: str | None = Header(default=None)) -> dict[str, Any]:
        authorise(authorization)
        try:
            return await dlq.show(dead_id)
        except NoSuchDeadLetter as exc:
            raise HTTPException(404, str(exc)) from None

    async def chosen(sel: DeadLetterSelection) -> list[dict[str, Any]]:
        try:
            return await dlq.select(sel.ids, sel.step, sel.all)
        except NoSuchDeadLetter as exc:
            raise HTTPException(404, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(
                400, f'{exc}: e.g. {{"ids": [3]}}, {{"step": "x"}} or {{"all": true}}'
            ) from None

    @app.post("/__stephost/dlq/replay")
    async def replay(
        sel: DeadLetterSelection, authorization: str | None = Header(default=None)
    ) -> dict[str, Any]:
        authorise(authorization)
        return {"replayed": await dlq.replay(await chosen(sel))}

    @app.post("/__stephost/dlq/discard")
    async def discard(
        sel: DeadLetterSelection, authorization: str | None = Header(default=None)
    ) -> dict[str, Any]:
        authorise(authorization)
        return {"discarded": await dlq.discard(await chosen(sel))}

    async def readable(stream: str, group: str, item: str | None, authorization: str | None) -> None:
        """The WebSocket's rules for HTTP readers: the auth hook, then the stream's access check."""
        try:
            definition = streams.definition(stream)
        except UnknownStream as exc:
            raise HTTPException(404, str(exc)) from None
        token = (authorization or "").removeprefix("Bearer ").strip() or None
        try:
            context = await stream_auth.authenticate(token, {}, {})
        except Denied as exc:
            raise HTTPException(401, str(exc)) from None
        subscription = {"streamName": stream, "groupId": group, **({"id": item} if item else {})}
        if not await stream_auth.can_access(definition, subscription, context):
            raise HTTPException(403, f"access to stream {stream!r} group {group!r} denied")

    @app.get("/__stephost/streams/{stream}/{group}")
    async def stream_group(stream: str, group: str, authorization: str | None = Header(default=None)) -> Any:
        await readable(stream, group, None, authorization)
        return await streams.get_group(stream, group)

    @app.get("/__stephost/streams/{stream}/{group}/{item}")
    async def stream_item(
        stream: str, group: str, item: str, authorization: str | None = Header(default=None)
    ) -> Any:
        await readable(stream, group, item, authorization)
        found = await streams.get(stream, group, item)
        if found is None:
            raise HTTPException(404, f"no item {item!r} in stream {stream!r} group {group!r}")
        return found

    @app.exception_handler(HTTPException)
    async def http_error(_req: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    return app
