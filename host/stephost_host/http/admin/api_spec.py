"""The project's own API, live: ``/api/openapi.json`` is the OpenAPI 3.1 document of the
active version's api steps (generate/openapi.py builds it, as `stephost generate openapi`
does). It is not ``/openapi.json``, which describes these admin endpoints themselves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from stephost_host.generate.openapi import build_spec
from stephost_host.router.registry import Registry

PATH = "/api/openapi.json"


def router(registry: Registry, *, validated: bool) -> APIRouter:
    api = APIRouter()

    @api.get(PATH)
    async def project_spec(
        request: Request, title: str = "stephost project", version: str = ""
    ) -> dict[str, Any]:
        """The spec of the steps being served; ``version`` defaults to the active version's name."""
        return build_spec(
            registry.steps.values(), title=title, version=version or registry.active, validated=validated
        )

    return api
