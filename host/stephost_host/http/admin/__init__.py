"""The host's own HTTP endpoints, under /__stephost: one router per area, assembled here.

Areas: ``health`` (health, the step list), ``api_spec`` (the project's OpenAPI), ``versions`` (registered versions, the active one), ``dead_letters`` (list, show, replay, discard)
``deployments`` (deploy, history, cancel, promote, rollback; its own scoped tokens),
``streams`` (read stream items over HTTP) and, only when asked for, ``testing`` (what the
testing helpers poll). The Workbench's: ``flows``, ``traces``, ``logs`` (+ live tail),
``state``, ``stream_items``, ``metrics``, and ``workbench`` (the page itself). Docs and the OpenAPI schema come with the
app. Every endpoint takes the host's secret (``auth.py``, checked before the body is read)
except health and stream reads, which follow the project's stream auth like the WebSocket;
the step list, docs and schema are open too under `stephost dev` on loopback.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from stephost_host import workbench as page
from stephost_host.deployments.service import Deployments
from stephost_host.http.admin import (
    api_spec,
    dead_letters,
    flows,
    health,
    logs,
    metrics,
    state,
    stream_items,
    streams,
    testing,
    traces,
    versions,
    workbench,
)
from stephost_host.http.admin import deployments as deploy_api
from stephost_host.http.admin.auth import AdminGuard, ASGIApp, Gate
from stephost_host.http.admin.live import LiveViews
from stephost_host.observe import Recorder
from stephost_host.observe.reader import Observed
from stephost_host.operations import StoreProblem, no_problem
from stephost_host.operations.state import StateOps
from stephost_host.operations.streams import StreamOps
from stephost_host.queue.dlq import DeadLetters
from stephost_host.router.registry import Registry

PREFIX = "/__stephost"
WORKBENCH = PREFIX + page.PATH


def build_admin(
    registry: Registry,
    dlq: DeadLetters,
    secret: str,
    stream_ops: StreamOps,
    store_problem: StoreProblem = no_problem,
    *,
    open_introspection: bool = False,
    outages: Mapping[str, str] | None = None,
    tester: testing.Testing | None = None,
    unready_on_load_errors: bool = False,
    validated: bool = False,
    state_ops: StateOps | None = None,
    recorder: Recorder | None = None,
    observed: Observed | None = None,
    serve_workbench: bool = False,
    deployments: tuple[Deployments, deploy_api.DeployGate] | None = None,
    views: LiveViews | None = None,
) -> ASGIApp:
    views = views or LiveViews()  # the host passes its own, to end the views before its drain
    app = FastAPI(
        title="stephost", docs_url=f"{PREFIX}/docs", openapi_url=f"{PREFIX}/openapi.json", redoc_url=None
    )
    app.include_router(
        health.router(
            registry, store_problem, unready_on_load_errors=unready_on_load_errors, outages=outages
        ),
        prefix=PREFIX,
    )
    app.include_router(versions.router(registry), prefix=PREFIX)
    app.include_router(api_spec.router(registry, validated=validated), prefix=PREFIX)
    app.include_router(dead_letters.router(dlq), prefix=PREFIX)
    app.include_router(streams.router(stream_ops), prefix=PREFIX)
    app.include_router(stream_items.router(stream_ops, views), prefix=PREFIX)
    if state_ops is not None:
        app.include_router(state.router(state_ops), prefix=PREFIX)
    if recorder is not None and observed is not None:
        app.include_router(flows.router(registry, recorder.metrics.counters), prefix=PREFIX)
        app.include_router(traces.router(observed), prefix=PREFIX)
        app.include_router(logs.router(observed, views), prefix=PREFIX)
        app.include_router(metrics.router(recorder.metrics, dlq.js, registry), prefix=PREFIX)
    else:  # the flow graph without counters
        app.include_router(flows.router(registry, dict), prefix=PREFIX)
    if serve_workbench:
        workbench.mount(app, WORKBENCH, page.STATIC)
    if tester is not None:
        app.include_router(testing.router(tester), prefix=PREFIX)
    gates: list[Gate] = []
    if deployments is not None:
        app.include_router(deploy_api.router(deployments[0]), prefix=PREFIX)
        gates.append(deployments[1])

    @app.exception_handler(HTTPException)
    async def http_error(_req: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    return AdminGuard(
        app,
        secret,
        PREFIX,
        open_introspection=open_introspection,
        open_prefixes=(page.PATH,) if serve_workbench else (),
        gates=gates,
    )
