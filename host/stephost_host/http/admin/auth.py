"""The one admin token check: ``Authorization: Bearer <the host's secret>``.

It runs as ASGI in front of the admin app, before routing: a request without the secret is
refused before anything reads or validates its body, so an anonymous client learns nothing
from validation errors and cannot make the host parse what it sends.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

ASGIApp = Callable[..., Awaitable[None]]

# Open to anyone who can reach the port: liveness, and stream reads (which follow the
# project's stream auth, like the WebSocket).
OPEN = ("/health", "/healthz", "/readyz")  # probes: load balancers and orchestrators carry no secret
OPEN_PREFIXES = ("/streams/",)
# What the step list, docs and OpenAPI schemas (the admin API's, the project's) reveal (files, schemas, sidecar ids) is open
# only to `stephost dev` on loopback.
INTROSPECTION = ("/steps", "/load-errors", "/versions", "/openapi.json", "/api/openapi.json")
INTROSPECTION_PREFIXES = ("/docs", "/versions/")

REFUSAL = (
    "this endpoint needs 'Authorization: Bearer <secret>' with the host's secret "
    "(STEPHOST_SECRET, or the one the host generated in <state_dir>/secret)"
)


class Gate(Protocol):
    """An area with its own tokens (deployments: scoped deploy tokens) instead of the secret.
    ``refuse`` answers (status, message) to turn the request away, or None to let it in;
    it may leave what it found in ``state`` (the request's ``request.state``)."""

    prefix: str

    def refuse(self, method: str, rest: str, token: str, state: dict[str, Any]) -> tuple[int, str] | None: ...


def bearer(authorization: str | None) -> str:
    return (authorization or "").removeprefix("Bearer ").strip()


class AdminGuard:
    """Lets a request through to the admin app when its path is open or it carries the secret."""

    def __init__(
        self,
        app: ASGIApp,
        secret: str,
        prefix: str,
        *,
        open_introspection: bool,
        open_prefixes: tuple[str, ...] = (),
        gates: Sequence[Gate] = (),
    ) -> None:
        if not secret:
            raise ValueError("the admin API needs a secret (runtime.sidecar_secret always gives one)")
        self.app = app
        self.secret = secret.encode()
        self.prefix = prefix
        self.exact = {*OPEN, *(INTROSPECTION if open_introspection else ())}
        # open_prefixes: e.g. the Workbench's page files (its data still takes the secret).
        self.prefixes = (
            *OPEN_PREFIXES,
            *open_prefixes,
            *(INTROSPECTION_PREFIXES if open_introspection else ()),
        )
        self.gates = gates

    def is_open(self, path: str) -> bool:
        if not path.startswith(self.prefix):
            return False  # not an admin path: the admin app answers 404 on its own
        rest = path[len(self.prefix) :]
        return rest in self.exact or rest.startswith(self.prefixes)

    def authorized(self, scope: dict[str, Any]) -> bool:
        return hmac.compare_digest(_token(scope).encode(), self.secret)

    def refusal(self, scope: dict[str, Any]) -> tuple[int, str] | None:
        """Why this admin request may not go on (status, message), or None."""
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or self.is_open(path):
            return None
        rest = path[len(self.prefix) :]
        for gate in self.gates:
            if rest == gate.prefix or rest.startswith(gate.prefix + "/"):
                return gate.refuse(scope["method"], rest, _token(scope), scope.setdefault("state", {}))
        return None if self.authorized(scope) else (401, REFUSAL)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        refused = self.refusal(scope)
        if refused is not None:
            status, message = refused
            body = json.dumps({"error": message}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b"Bearer"),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _token(scope: dict[str, Any]) -> str:
    given = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"")
    return bearer(given.decode("latin-1"))
