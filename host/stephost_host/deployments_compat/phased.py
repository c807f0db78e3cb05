"""The phased deploys API (trigger / list / get / cancel, and rollback / promote):
``POST /api/deploy``, ``GET /api/deploys``, ``GET /api/deploys/{id}``,
``POST /api/deploys/{id}/cancel|rollback|promote`` (docs/deployment-apis.md).

``productionAppId`` is the project's name; ``versionId`` is a version id our records show
(``versionId``), and without one the active version is deployed again.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from stephost_host.deployments.auth import Scope
from stephost_host.deployments.models import Deployment
from stephost_host.deployments_compat.context import Compat, read_body
from stephost_host.deployments_compat.views import PHASED_STATUS, PHASED_STATUSES, phased

MAX_PAGE_SIZE = 100


class DeployBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    productionAppId: str = Field(min_length=1)
    versionId: str | None = None


def _int(value: str, name: str, default: int, high: int | None = None) -> int:
    if value == "":
        return default
    if not value.isdigit() or int(value) < 1 or (high is not None and int(value) > high):
        limit = f" and at most {high}" if high else ""
        raise HTTPException(400, f"{name}: expected a whole number of at least 1{limit}, got {value!r}")
    return int(value)


def router(compat: Compat) -> APIRouter:
    api = APIRouter(prefix="/api")

    def show(record: Deployment) -> dict[str, Any]:
        return phased(record, compat.project)

    async def source_of(version_id: str) -> str:
        """The newest deployment that built this version (its source is deployed again)."""
        for record in await compat.deployments.records.all():
            if record.version_id == version_id and record.source_digest:
                return record.id
        raise HTTPException(404, f"versionId {version_id!r}: no deployment built this version")

    @api.post("/deploy", status_code=201)
    async def deploy(request: Request) -> dict[str, Any]:
        compat.check(request, Scope.WRITE, Scope.ACTIVATE)
        body: DeployBody = await read_body(request, DeployBody)
        compat.own_app(body.productionAppId, "productionAppId")
        source = await source_of(body.versionId) if body.versionId else "active"
        if source == "active" and not (await compat.deployments.records.active())[0]:
            raise HTTPException(404, "no version is active yet: give a versionId to deploy")
        record = await compat.deployments.create(
            description=f"version {body.versionId}" if body.versionId else "redeploy of the active version"
        )
        return show(await compat.deployments.start(record.id, from_deployment=source))

    @api.get("/deploys")
    async def listing(
        request: Request, productionAppId: str = "", status: str = "", page: str = "", pageSize: str = ""
    ) -> dict[str, Any]:
        compat.check(request, Scope.READ)
        if productionAppId:
            compat.own_app(productionAppId, "productionAppId")
        if status and status not in PHASED_STATUSES:
            raise HTTPException(400, f"status {status!r}: expected one of {', '.join(PHASED_STATUSES)}")
        number = _int(page, "page", 1)
        size = _int(pageSize, "pageSize", 20, MAX_PAGE_SIZE)
        records = [
            r
            for r in await compat.deployments.records.all()
            if not status or PHASED_STATUS[r.status] == status
        ]
        chosen = records[(number - 1) * size : number * size]
        return {
            "deployments": [show(r) for r in chosen],
            "total": len(records),
            "page": number,
            "pageSize": size,
            "totalPages": math.ceil(len(records) / size),
        }

    @api.get("/deploys/{ref}")
    async def get(ref: str, request: Request) -> dict[str, Any]:
        compat.check(request, Scope.READ)
        return show(await compat.find(ref))

    @api.post("/deploys/{ref}/cancel")
    async def cancel(ref: str, request: Request) -> dict[str, Any]:
        compat.check(request, Scope.WRITE)
        record = await compat.find(ref)
        return show(await compat.deployments.cancel(record.id))

    @api.post("/deploys/{ref}/rollback", status_code=202)
    async def rollback(ref: str, request: Request) -> dict[str, Any]:
        """Make deployment ``ref`` (an earlier completed one) active again."""
        compat.check(request, Scope.ACTIVATE)
        record = await compat.find(ref)
        return show(await compat.deployments.rollback(record.id))

    @api.post("/deploys/{ref}/promote", status_code=202)
    async def promote(ref: str, request: Request) -> dict[str, Any]:
        compat.check(request, Scope.ACTIVATE)
        record = await compat.find(ref)
        return show(await compat.deployments.promote(record.id))

    return api
