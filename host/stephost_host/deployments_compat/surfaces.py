"""The compatible deployment APIs as one ASGI app beside the api steps, and the rule for paths.

Each surface is on unless the ``deploy_apis`` setting leaves it out. The project's own api
steps win: a path any api step serves (any method) is the project's, and the surface's
endpoint there is off (``shadowed`` names them, logged whenever the routes change). So a
project that already had, say, ``/api/deploy`` keeps it; remove the surface from
``deploy_apis`` to stop the warning, or move the step to serve both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from stephost_host.deployments.service import Refusal
from stephost_host.deployments_compat import SURFACES, check_surfaces, mist, motia, phased
from stephost_host.deployments_compat.context import Compat
from stephost_host.deployments_compat.status_stream import StatusStream
from stephost_host.router.registry import Registry
from stephost_host.steps.models import ApiStep

log = logging.getLogger("stephost.deploy")
# The method and path (FastAPI style) of every endpoint, per surface: what a clash is checked on.
ENDPOINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "motia": (
        ("POST", "/cloud/deploy/create"),
        ("POST", "/cloud/deploy/start"),
        ("GET", "/cloud/deploy/status/{id}"),
    ),
    "phased": (
        ("POST", "/api/deploy"),
        ("GET", "/api/deploys"),
        ("GET", "/api/deploys/{id}"),
        ("POST", "/api/deploys/{id}/cancel"),
        ("POST", "/api/deploys/{id}/rollback"),
        ("POST", "/api/deploys/{id}/promote"),
    ),
    "mist": (
        ("POST", "/api/deployment/add"),
        ("POST", "/api/deployment/getByAppId"),
        ("GET", "/api/deployment/logs/{id}"),
        ("POST", "/api/deployment/stop"),
        ("POST", "/api/deployment/rollback"),
    ),
}


class Paths:
    """Where the enabled APIs answer: their endpoints' paths, with any value for a parameter."""

    def __init__(self, enabled: Iterable[str]) -> None:
        self.enabled = check_surfaces(enabled)
        self.patterns = [_shape(path).split("/") for name in self.enabled for _, path in ENDPOINTS[name]]

    def __contains__(self, path: str) -> bool:
        parts = path.split("/")
        return any(
            len(p) == len(parts) and all(a in ("*", b) for a, b in zip(p, parts, strict=True))
            for p in self.patterns
        )

    def shadowed(self, served: Iterable[tuple[str, str]]) -> list[str]:
        """The enabled endpoints whose path an api step serves: (method, path) pairs of the
        project's routes, in the same path syntax."""
        paths = {_shape(p) for _, p in served}
        return [
            f"{method} {path} ({name})"
            for name in self.enabled
            for method, path in ENDPOINTS[name]
            if _shape(path) in paths
        ]


class Surfaces:
    def __init__(self, compat: Compat, stream: StatusStream, enabled: Iterable[str] = SURFACES) -> None:
        self.paths = Paths(enabled)
        self.enabled = self.paths.enabled
        self.app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
        routers = {
            "motia": lambda: motia.router(compat, stream),
            "phased": lambda: phased.router(compat),
            "mist": lambda: mist.router(compat),
        }
        for name in self.enabled:
            self.app.include_router(routers[name]())
        self.socket = mist.LogSocket(compat) if "mist" in self.enabled else None

        @self.app.exception_handler(HTTPException)
        async def http_error(_req: Request, exc: HTTPException) -> JSONResponse:
            return _error(exc.status_code, str(exc.detail))

        @self.app.exception_handler(Refusal)
        async def refused(_req: Request, exc: Refusal) -> JSONResponse:
            return _error(exc.status, exc.message)

    def claims(self, path: str) -> bool:
        """A path one of the enabled surfaces serves (asked only when no api step serves it)."""
        return path in self.paths

    def claims_socket(self, path: str) -> bool:
        return self.socket is not None and path == mist.SOCKET_PATH

    def follow_routes(self, registry: Registry) -> None:
        """Warn, whenever the project's routes change, about endpoints its api steps took."""
        last: list[str] = []

        def changed() -> None:
            nonlocal last
            served = [
                (e.config.method, e.config.path)
                for e in registry.of_type(ApiStep)
                if isinstance(e.config, ApiStep)
            ]
            lost = self.paths.shadowed(served)
            if lost and lost != last:
                log.warning(
                    "the project's api steps serve the paths of these deployment API endpoints, which "
                    "are therefore off: %s (the project's routes win; leave the API out of deploy_apis "
                    "to silence this)",
                    ", ".join(lost),
                )
            last = lost

        registry.on_change(changed)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            assert self.socket is not None  # only claimed sockets come here
            await self.socket(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _shape(path: str) -> str:
    """A route path with every parameter the same (``/a/{id}``, ``/a/:x`` -> ``/a/*``)."""
    return "/".join("*" if s.startswith((":", "{")) else s for s in path.split("/"))


def _error(status: int, message: str) -> JSONResponse:
    # Every surface's clients find the reason: Mist reads message, the others error.
    return JSONResponse({"success": False, "error": message, "message": message}, status_code=status)
