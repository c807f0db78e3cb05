"""The host's own HTTP endpoints, under /__stephost: one router per area, assembled here.

Areas: ``health`` (health, the step list), ``versions`` (registered versions, the active one), ``dead_letters`` (list, show, replay, discard),
``deployments`` (deploy, history, cancel, promote, rollback; its own scoped tokens),
``streams`` (read stream items over HTTP) and, only when asked for, ``testing`` (what the
testing helpers poll). Docs and the OpenAPI schema come with the
app. Every endpoint takes the host's secret (``auth.py``, checked before the body is read)
except health and stream reads, which follow the project's stream auth like the WebSocket;
the step list, docs and schema are open too under `stephost dev` on loopback.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from stephost_host.deployments.service import Deployments
from stephost_host.http.admin import dead_letters, health, streams, testing, versions
from stephost_host.http.admin import deployments as deploy_api
from stephost_host.http.admin.auth import AdminGuard, ASGIApp, Gate
from stephost_host.operations import StoreProblem, no_problem
from stephost_host.operations.streams import StreamOps
from stephost_host.queue.dlq import DeadLetters
from stephost_host.router.registry import Registry

PREFIX = "/__stephost"


def build_admin(
    registry: Registry,
    dlq: DeadLetters,
    secret: str,
    stream_ops: StreamOps,
    store_problem: StoreProblem = no_problem,
    *,
    open_introspection: bool = False,
    tester: testing.Testing | None = None,
    unready_on_load_errors: bool = False,
    deployments: tuple[Deployments, deploy_api.DeployGate] | None = None,
) -> ASGIApp:
    app = FastAPI(
        title="stephost", docs_url=f"{PREFIX}/docs", openapi_url=f"{PREFIX}/openapi.json", redoc_url=None
    )
    app.include_router(
        health.router(registry, store_problem, unready_on_load_errors=unready_on_load_errors), prefix=PREFIX
    )
    app.include_router(versions.router(registry), prefix=PREFIX)
    app.include_router(dead_letters.router(dlq), prefix=PREFIX)
    app.include_router(streams.router(stream_ops), prefix=PREFIX)
    if tester is not None:
        app.include_router(testing.router(tester), prefix=PREFIX)
    gates: list[Gate] = []
    if deployments is not None:
        app.include_router(deploy_api.router(deployments[0]), prefix=PREFIX)
        gates.append(deployments[1])

    @app.exception_handler(HTTPException)
    async def http_error(_req: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    return AdminGuard(app, secret, PREFIX, open_introspection=open_introspection, gates=gates)
