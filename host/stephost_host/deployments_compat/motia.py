"""Motia's deployment API: ``POST /cloud/deploy/create``, ``POST /cloud/deploy/start``,
``GET /cloud/deploy/status/{id}`` (docs/deployment-apis.md).

``create`` plays the role of Motia's hub: it makes the record and a ``deploymentToken`` valid
for that one deployment (``tokens.py``); ``start`` takes that token (no other credential is
needed, as Motia's CLI sends none) and the env; progress is then on the host's
``deployment-status`` stream (``status_stream.py``) and at ``status``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from stephost_host.deployments.auth import Scope
from stephost_host.deployments_compat.context import ENVIRONMENT, Compat, read_body
from stephost_host.deployments_compat.status_stream import GROUP, StatusStream
from stephost_host.deployments_compat.views import motia

PREFIX = "/cloud/deploy"


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    environmentId: str | None = None
    versionName: str = Field(min_length=1)


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deploymentToken: str = Field(min_length=1)
    deploymentId: str = Field(min_length=1)
    envs: dict[str, str] = {}


def router(compat: Compat, stream: StatusStream) -> APIRouter:
    api = APIRouter(prefix=PREFIX)

    @api.post("/create")
    async def create(request: Request) -> dict[str, Any]:
        # Creating a deployment that will switch versions: write and activate, as the deploy API.
        compat.check(request, Scope.WRITE, Scope.ACTIVATE)
        body: CreateBody = await read_body(request, CreateBody)
        if body.environmentId is not None and body.environmentId != ENVIRONMENT:
            raise HTTPException(
                404,
                f"environmentId {body.environmentId!r}: no such environment (this project has one: {ENVIRONMENT!r})",
            )
        record = await compat.deployments.create(version_name=body.versionName)
        return {
            "deploymentId": record.id,
            "deploymentToken": compat.tokens.make(record.id),
            "environmentName": record.environment,
            "projectName": record.project,
            "versionName": record.version_name,
        }

    @api.post("/start")
    async def start(request: Request) -> dict[str, Any]:
        body: StartBody = await read_body(request, StartBody)
        if not compat.tokens.valid(body.deploymentToken, body.deploymentId):
            raise HTTPException(401, "deploymentToken: not a valid token for this deployment, or expired")
        record = await compat.find(body.deploymentId)
        if record.started_at or record.final:
            raise HTTPException(409, f"deployment {record.id} was started already ({record.status.value})")
        source = None if record.source_digest else await compat.configured_source()
        if body.envs:
            await compat.set_env(record, body.envs)
        record = await compat.start(record, source)
        return {
            "success": True,
            "message": "Deployment started",
            "deploymentId": record.id,
            "streamName": stream.name,
            "groupId": GROUP,
            "itemId": record.id,
        }

    @api.get("/status/{deployment_id}")
    async def status(deployment_id: str, request: Request) -> dict[str, Any]:
        compat.check_for(request, deployment_id, Scope.READ)
        record = await compat.find(deployment_id)
        return {"success": True, "deployment": motia(record)}

    return api
