"""Is the host up and ready, which steps does it serve, and which step files did not load.

Health is open to anyone who can reach it and names only the broken files; the step list and
the load errors (with their reasons) are introspection data (see auth.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from stephost_host.operations import StoreProblem, no_problem
from stephost_host.router.registry import Registry


def router(
    registry: Registry,
    store_problem: StoreProblem = no_problem,
    *,
    unready_on_load_errors: bool = False,
    outages: Mapping[str, str] | None = None,
) -> APIRouter:
    """``outages``: language -> why its supervised sidecar is down (kept by the supervisor)."""
    api = APIRouter()
    down = outages if outages is not None else {}

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness for orchestrators: the process answers (restart it when it does not)."""
        return {"status": "alive"}

    @api.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness for orchestrators: NATS keeps writes and every language the active version
        needs has a sidecar registered; otherwise 503 with every reason, so the operator sees
        why the host is out of the load balancer."""
        reasons = []
        problem = store_problem()
        if problem:
            reasons.append(f"NATS: {problem}")
        steps = registry.describe()
        missing = sorted({s["language"] for s in steps if not s["live"]} | set(down))
        for language in missing:
            why = down.get(language) or "no sidecar of this language is connected"
            reasons.append(f"{language}: {why}")
        body: dict[str, Any] = {"status": "ready" if not reasons else "unready", "version": registry.active}
        if reasons:
            return JSONResponse({**body, "reasons": reasons}, status_code=503)
        return JSONResponse(body)

    @api.get("/health")
    async def health() -> JSONResponse:
        """200 when ready; 503 naming the cause when the store cannot keep writes (a load
        balancer then sends work elsewhere, and the operator sees why)."""
        steps = registry.describe()
        body: dict[str, Any] = {"status": "ok", "steps": len(steps), "live": sum(s["live"] for s in steps)}
        problem = store_problem()
        if problem:
            return JSONResponse({**body, "status": "unavailable", "error": problem}, status_code=503)
        failed = registry.load_errors()
        if failed:
            # Degraded, still ready: the steps that loaded serve; a broken file in one step
            # should not take the whole host out of a load balancer (unless asked to).
            body.update(
                status="degraded", loadErrors=[{"file": f.file, "language": f.language} for f in failed]
            )
            return JSONResponse(body, status_code=503 if unready_on_load_errors else 200)
        return JSONResponse(body)

    @api.get("/steps")
    async def steps() -> list[dict[str, Any]]:
        return registry.describe()

    @api.get("/load-errors")
    async def load_errors() -> dict[str, list[dict[str, str]]]:
        """The step files the sidecars could not load, with the reason (the step list stays a
        list of the steps that did load)."""
        return {"loadErrors": [f.describe() for f in registry.load_errors()]}

    return api
