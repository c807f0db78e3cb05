"""Is the host up, and which steps does it serve (open to anyone who can reach it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stephost_host.router.registry import Registry


def router(registry: Registry) -> APIRouter:
    api = APIRouter()

    @api.get("/health")
    async def health() -> dict[str, Any]:
        steps = registry.describe()
        return {"status": "ok", "steps": len(steps), "live": sum(s["live"] for s in steps)}

    @api.get("/steps")
    async def steps() -> list[dict[str, Any]]:
        return registry.describe()

    return api
