"""Which versions are registered, which one is active, and what each defines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from stephost_host.router.registry import Registry


def router(registry: Registry) -> APIRouter:
    api = APIRouter()

    @api.get("/versions")
    async def versions() -> dict[str, Any]:
        out = []
        for version in registry.versions():
            steps = registry.describe(version)
            out.append(
                {
                    "version": version,
                    "active": version == registry.active,
                    "steps": len(steps),
                    "live": sum(s["live"] for s in steps),
                }
            )
        return {"active": registry.active, "versions": out}

    @api.get("/versions/{version}/steps")
    async def version_steps(version: str) -> list[dict[str, Any]]:
        if version not in registry.versions():
            raise HTTPException(404, f"no version {version!r} is registered")
        return registry.describe(version)

    return api
