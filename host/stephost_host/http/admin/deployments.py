"""Deployments over HTTP, under the admin prefix: the same operations as the gRPC ``Deploy``
service (``deployments/service.py`` does the work; this only translates).

    POST /deployments                  create (JSON: versionName, description, env, promote,
                                       dryRun, commitHash, commitMessage; fromDeployment starts it)
    PUT  /deployments/{id}/source      the source archive (tar.gz body)
    POST /deployments/{id}/start       queue it (JSON: fromDeployment, optional)
    GET  /deployments[?status=]        newest first
    GET  /deployments/{id}             one record (id or number)
    GET  /deployments/{id}/logs        the whole log, text/plain
    GET  /deployments/{id}/watch       NDJSON: {"type": "snapshot"|"log", ...} until it ends
    POST /deployments/{id}/cancel      409 once it has switched (roll back instead)
    POST /deployments/{id}/promote     activate a staged (--no-promote) deployment
    POST /deployments/{id}/rollback    re-activate that earlier deployment
    POST /deployments/rollback         re-activate the previous one

Tokens are checked by ``DeployGate`` before routing (nothing is read without one); the
scopes it found ride along in the request state for the checks that depend on the body.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from stephost_host.deployments.auth import Denied, DeployAuth, Scope
from stephost_host.deployments.models import Deployment
from stephost_host.deployments.service import Deployments, Refusal

PATH = "/deployments"


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    versionName: str = ""
    description: str = ""
    env: dict[str, str] = {}
    promote: bool = True
    dryRun: bool = False
    commitHash: str = ""
    commitMessage: str = ""
    fromDeployment: str = ""


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fromDeployment: str = ""


def needed_scope(method: str, rest: str) -> Scope:
    """The scope a request under /deployments needs (creating one that promotes needs
    activate as well: checked once its body is read)."""
    if method in ("GET", "HEAD"):
        return Scope.READ
    if rest.endswith(("/promote", "/rollback")):
        return Scope.ACTIVATE
    return Scope.WRITE


class DeployGate:
    """The admin guard's check for /deployments: a deploy token with the needed scope."""

    prefix = PATH

    def __init__(self, auth: DeployAuth) -> None:
        self.auth = auth

    def refuse(self, method: str, rest: str, token: str, state: dict[str, Any]) -> tuple[int, str] | None:
        try:
            state["deploy_scopes"] = self.auth.check(token, needed_scope(method, rest))
        except Denied as exc:
            return exc.status, exc.message
        return None


async def _body(request: Request, model: type[BaseModel]) -> Any:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise HTTPException(400, f"the body is not JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "body"
        raise HTTPException(400, f"{where}: {err['msg']}") from None


def _shown(record: Deployment) -> dict[str, Any]:
    return record.public()


def router(deployments: Deployments) -> APIRouter:
    api = APIRouter(prefix=PATH)

    async def run(coro: Any) -> Any:
        try:
            return await coro
        except Refusal as exc:
            raise HTTPException(exc.status, exc.message) from None

    @api.post("", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        body: CreateBody = await _body(request, CreateBody)
        if body.promote and not body.dryRun and Scope.ACTIVATE not in request.state.deploy_scopes:
            raise HTTPException(
                403, "this token lacks the activate scope a promoting deploy needs (use promote: false)"
            )
        record = await run(
            deployments.create(
                version_name=body.versionName,
                description=body.description,
                env=body.env,
                promote=body.promote,
                dry_run=body.dryRun,
                commit_hash=body.commitHash,
                commit_message=body.commitMessage,
            )
        )
        if body.fromDeployment:
            record = await run(deployments.start(record.id, from_deployment=body.fromDeployment))
        return _shown(record)

    @api.put("/{ref}/source")
    async def upload(ref: str, request: Request) -> dict[str, Any]:
        record = await run(deployments.find(ref))
        return _shown(await run(deployments.upload(record.id, await request.body())))

    @api.post("/rollback", status_code=202)
    async def rollback_previous() -> dict[str, Any]:
        return _shown(await run(deployments.rollback()))

    @api.post("/{ref}/start", status_code=202)
    async def start(ref: str, request: Request) -> dict[str, Any]:
        body: StartBody = await _body(request, StartBody)
        record = await run(deployments.find(ref))
        if record.promote and not record.dry_run and Scope.ACTIVATE not in request.state.deploy_scopes:
            raise HTTPException(403, "this token lacks the activate scope a promoting deploy needs")
        return _shown(await run(deployments.start(record.id, from_deployment=body.fromDeployment)))

    @api.get("")
    async def listing(status: str = "") -> dict[str, Any]:
        records = await run(deployments.history(status))
        return {"deployments": [_shown(r) for r in records], "total": len(records)}

    @api.get("/{ref}")
    async def show(ref: str) -> dict[str, Any]:
        return _shown(await run(deployments.find(ref)))

    @api.get("/{ref}/logs")
    async def logs(ref: str) -> PlainTextResponse:
        record = await run(deployments.find(ref))
        lines = await run(deployments.logs(record.id))
        return PlainTextResponse("".join(f"{line}\n" for line in lines))

    @api.get("/{ref}/watch")
    async def watch(ref: str) -> StreamingResponse:
        record = await run(deployments.find(ref))

        async def ndjson() -> AsyncIterator[bytes]:
            async for snapshot, line in deployments.watch(record.id):
                item = (
                    {"type": "snapshot", "deployment": _shown(snapshot)}
                    if snapshot
                    else {"type": "log", "line": line}
                )
                yield (json.dumps(item) + "\n").encode()

        return StreamingResponse(ndjson(), media_type="application/x-ndjson")

    @api.post("/{ref}/cancel")
    async def cancel(ref: str) -> dict[str, Any]:
        record = await run(deployments.find(ref))
        return _shown(await run(deployments.cancel(record.id)))

    @api.post("/{ref}/promote", status_code=202)
    async def promote(ref: str) -> dict[str, Any]:
        record = await run(deployments.find(ref))
        return _shown(await run(deployments.promote(record.id)))

    @api.post("/{ref}/rollback", status_code=202)
    async def rollback(ref: str) -> dict[str, Any]:
        record = await run(deployments.find(ref))
        return _shown(await run(deployments.rollback(record.id)))

    return api
