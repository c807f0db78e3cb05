"""Is the host up and ready, and which steps does it serve (open to anyone who can reach it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from stephost_host.operations import StoreProblem, no_problem
from stephost_host.router.registry import Registry


def router(registry: Registry, store_problem: StoreProblem = no_problem) -> APIRouter:
    api = APIRouter()

    @api.get("/health")
    async def health() -> JSONResponse:
        """200 when ready; 503 naming the cause when the store cannot keep writes (a load
        balancer then sends work elsewhere, and the operator sees why)."""
        steps = registry.describe()
        body: dict[str, Any] = {"status": "ok", "steps": len(steps), "live": sum(s["live"] for s in steps)}
        problem = store_problem()
        if problem:
            return JSONResponse({**body, "status": "unavailable", "error": problem}, status_code=503)
        return JSONResponse(body)

    @api.get("/steps")
    async def steps() -> list[dict[str, Any]]:
        return registry.describe()

    return api
