"""The HTTP front: api-step requests take a lean ASGI path; everything else goes to FastAPI.

Routing step requests below FastAPI matters for speed: its per-request machinery costs
more than the whole sidecar round trip (see bench/). The FastAPI app serves the host's
own endpoints under ``/__stephost`` and answers unknown routes.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from stephost_host.errors import InvocationTimeout, SidecarLost, StepFailed, StepUnavailable
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.router.routes import RouteTable
from stephost_wire import codec

log = logging.getLogger("stephost.http")
TRACE_HEADER = "x-trace-id"
_TRACE_OK = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
ADMIN_PREFIX = "/__stephost"
MAX_BODY = 16 * 1024 * 1024
NO_BODY = {204, 304}  # HTTP forbids a body with these

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


def multi_dict(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Values are a string, or a list of strings when the name repeats."""
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        if name in out:
            prev = out[name]
            out[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[name] = value
    return out


async def send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
) -> None:
    payload = raw if raw is not None else codec.dumps(body).encode()
    extra = {k.lower(): str(v) for k, v in (headers or {}).items() if k.lower() != "content-length"}
    extra.setdefault("content-type", "application/json")
    hdrs = [(b"content-length", str(len(payload)).encode())]
    hdrs += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": payload})


class BodyTooLarge(ValueError):
    pass


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge(f"request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


class StepHttp:
    """ASGI app: api steps first, then the admin/fallback app."""

    def __init__(self, registry: Registry, invoker: Invoker, fallback: ASGIApp, sockets: ASGIApp) -> None:
        self.registry = registry
        self.invoker = invoker
        self.fallback = fallback
        self.sockets = sockets  # every WebSocket upgrade is a stream client (Motia's clients use "/")
        self.routes = RouteTable()
        registry.on_change(self.rebuild)

    def rebuild(self) -> None:
        self.routes = RouteTable.build(self.registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.sockets(scope, receive, send)
            return
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.fallback(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        found = self.routes.match(method, path)
        if found is None:
            trace = {TRACE_HEADER: uuid.uuid4().hex}
            allowed = self.routes.methods_for(path)
            if allowed:
                await send_json(
                    send,
                    405,
                    {"error": f"{method} is not allowed on {path}", "allowed": sorted(allowed)},
                    {"allow": ", ".join(sorted(allowed)), **trace},
                )
            else:
                await send_json(send, 404, {"error": f"no step serves {method} {path}"}, trace)
            return
        route, params = found
        await self._serve(scope, receive, send, route.step, params)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, step: str, params: dict[str, str]
    ) -> None:
        started = time.perf_counter()
        headers = multi_dict(
            [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        )
        incoming = headers.get(TRACE_HEADER)
        trace_id = (
            incoming if isinstance(incoming, str) and _TRACE_OK.fullmatch(incoming) else uuid.uuid4().hex
        )
        trace_hdr = {TRACE_HEADER: trace_id}
        extra = {"step": step, "trace_id": trace_id}
        try:
            raw = await read_body(receive)
        except BodyTooLarge as exc:
            await send_json(send, 413, {"error": str(exc), "traceId": trace_id}, trace_hdr)
            return
        body: Any = None
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                await send_json(
                    send,
                    400,
                    {"error": f"request body is not valid JSON: {exc}", "traceId": trace_id},
                    trace_hdr,
                )
                return
        query = multi_dict(
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        )
        request = {
            "method": scope["method"],
            "path": scope["path"],
            "body": body,
            "headers": headers,
            "pathParams": params,
            "queryParams": query,
        }
        status = 500
        try:
            result = await self.invoker.invoke(step, codec.dumps(request), trace_id)
            status = int(result["status"])
            out_headers = {**result.get("headers", {}), **trace_hdr}
            await self._respond(send, status, result.get("body"), out_headers, scope["method"])
        except StepUnavailable as exc:
            status = 503
            await send_json(send, status, {"error": str(exc), "traceId": trace_id}, trace_hdr)
        except InvocationTimeout as exc:
            status = 504
            await send_json(send, status, {"error": str(exc), "traceId": trace_id}, trace_hdr)
        except SidecarLost as exc:
            status = 502
            await send_json(send, status, {"error": str(exc), "traceId": trace_id}, trace_hdr)
        except StepFailed as exc:
            error_id = uuid.uuid4().hex[:12]
            log.error(
                "handler raised %s: %s (error id %s)",
                exc.type,
                exc.message,
                error_id,
                extra={**extra, "stack": exc.stack},
            )
            await send_json(
                send,
                500,
                {"error": "Internal Server Error", "errorId": error_id, "traceId": trace_id},
                trace_hdr,
            )
        finally:
            log.info(
                "%s %s -> %d in %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                extra=extra,
            )

    @staticmethod
    async def _respond(send: Send, status: int, body: Any, headers: dict[str, str], method: str) -> None:
        if status in NO_BODY or method == "HEAD":
            await send_json(send, status, None, headers, raw=b"")
            return
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if ctype and "json" not in ctype and isinstance(body, str):
            # A handler that set e.g. text/html and returned a string means the text itself.
            await send_json(send, status, None, headers, raw=body.encode())
        else:
            await send_json(send, status, body, headers)
