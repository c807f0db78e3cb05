"""Mist's deployments API: ``POST /api/deployment/add``, ``POST /api/deployment/getByAppId``,
``GET /api/deployment/logs/{id}`` (plain text) and ``WS /ws/deployment/logs?deploymentId=N``
(``status`` / ``log`` / ``error`` frames; a late subscriber gets the lines so far first; the
socket closes after the final status). Mist documents no stop or rollback call; ours are
``POST /api/deployment/stop`` and ``/rollback`` with ``{deploymentId}``.

Mist numbers its apps and deployments: the project is app 1, a deployment's id is its number.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict
from starlette.websockets import WebSocket, WebSocketDisconnect

from stephost_host.deployments.auth import Denied, Scope
from stephost_host.deployments.models import Deployment
from stephost_host.deployments.service import Refusal
from stephost_host.deployments_compat.context import Compat, read_body
from stephost_host.deployments_compat.views import MIST_APP_ID, mist, mist_added, mist_status_frame
from stephost_host.http.ws import token_of
from stephost_wire import codec

log = logging.getLogger("stephost.deploy")
SOCKET_PATH = "/ws/deployment/logs"


class AppBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    appId: int


class DeploymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    deploymentId: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def router(compat: Compat) -> APIRouter:
    api = APIRouter(prefix="/api/deployment")

    def own_app(app_id: int) -> None:
        if app_id != MIST_APP_ID:
            raise HTTPException(
                404, f"appId {app_id}: no such app (this host cluster deploys one: app {MIST_APP_ID})"
            )

    @api.post("/add")
    async def add(request: Request) -> dict[str, Any]:
        compat.check(request, Scope.WRITE, Scope.ACTIVATE)
        body: AppBody = await read_body(request, AppBody)
        own_app(body.appId)
        source = await compat.configured_source()
        record = await compat.deployments.create()
        return mist_added(await compat.start(record, source))

    @api.post("/getByAppId")
    async def by_app(request: Request) -> dict[str, Any]:
        compat.check(request, Scope.READ)
        body: AppBody = await read_body(request, AppBody)
        own_app(body.appId)
        records = await compat.deployments.records.all()
        numbers = {r.id: r.number for r in records}
        return {
            "success": True,
            "message": "Deployments retrieved successfully",
            "data": [mist(r, numbers) for r in records],
        }

    @api.get("/logs/{number}")
    async def logs(number: str, request: Request) -> PlainTextResponse:
        compat.check(request, Scope.READ)
        record = await _numbered(compat, number)
        lines = await compat.deployments.records.logs(record.id)
        return PlainTextResponse("".join(f"{line}\n" for line in lines))

    async def act(request: Request, scope: Scope, action: Any, message: str) -> dict[str, Any]:
        compat.check(request, scope)
        body: DeploymentBody = await read_body(request, DeploymentBody)
        record = await _numbered(compat, str(body.deploymentId))
        return {"success": True, "message": message, "data": mist(await action(record.id), {})}

    @api.post("/stop")
    async def stop(request: Request) -> dict[str, Any]:
        return await act(request, Scope.WRITE, compat.deployments.cancel, "Deployment stopped")

    @api.post("/rollback")
    async def rollback(request: Request) -> dict[str, Any]:
        """Make deployment N (an earlier completed one) active again; data is the rollback's own."""
        return await act(request, Scope.ACTIVATE, compat.deployments.rollback, "Rollback started")

    return api


async def _numbered(compat: Compat, number: str) -> Deployment:
    if not number.isdigit():
        raise HTTPException(400, f"deployment id {number!r}: expected a deployment number")
    return await compat.find(number)


class LogSocket:
    """``WS /ws/deployment/logs?deploymentId=N``. Refusals happen before the upgrade, as HTTP
    (401/403 no or bad token, 400 a bad id, 404 an unknown one), when the server can say so."""

    def __init__(self, compat: Compat) -> None:
        self.compat = compat

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        ws = WebSocket(scope, receive, send)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        try:
            self.compat.auth.check(token_of(scope, query) or "", Scope.READ)
            record = await _numbered(self.compat, query.get("deploymentId", ""))
        except (Denied, Refusal) as exc:
            await _deny(ws, exc.status, exc.message)
            return
        except HTTPException as exc:
            await _deny(ws, exc.status_code, str(exc.detail))
            return
        await ws.accept(
            subprotocol="Authorization" if "Authorization" in scope.get("subprotocols", []) else None
        )
        try:
            await self._follow(ws, record)
        except (WebSocketDisconnect, RuntimeError):
            return  # the client went away
        await ws.close()

    async def _follow(self, ws: WebSocket, record: Deployment) -> None:
        async def frame(kind: str, data: dict[str, Any]) -> None:
            await ws.send_text(codec.dumps({"type": kind, "timestamp": _now(), "data": data}))

        last: dict[str, Any] = {}
        final: Deployment | None = None
        async for snapshot, line in self.compat.deployments.watch(record.id):
            if line is not None:
                await frame("log", {"line": line})
            elif snapshot is not None and snapshot.final:
                final = snapshot  # sent after the log's last lines
            elif snapshot is not None and (status := mist_status_frame(snapshot)) != last:
                last = status
                await frame("status", status)
        if final is not None:
            if final.error:
                await frame("error", {"message": final.error})
            await frame("status", mist_status_frame(final))


async def _deny(ws: WebSocket, status: int, message: str) -> None:
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(JSONResponse({"error": message}, status_code=status))
    else:
        await ws.close(code=1008, reason=message[:120])
