"""The HTTP front: api-step requests take a lean ASGI path; everything else goes to FastAPI.

Routing step requests below FastAPI matters for speed: its per-request machinery costs
more than the whole sidecar round trip (see bench/). The FastAPI app serves the host's
own endpoints under ``/__stephost`` and answers unknown routes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from stephost_host.errors import (
    InvocationTimeout,
    PayloadTooLarge,
    SidecarLost,
    StepFailed,
    StepUnavailable,
)
from stephost_host.http import bodies, cors
from stephost_host.http.bodies import multi_dict
from stephost_host.http.streamed import send_streamed
from stephost_host.link.raw_body import RawBody
from stephost_host.link.response_stream import ResponseStream
from stephost_host.observe.spans import new_trace_id, parse_traceparent
from stephost_host.operations.schemas import BodyInvalid, StepSchemas
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.router.routes import RouteTable
from stephost_host.steps.models import ApiStep
from stephost_wire import codec

log = logging.getLogger("stephost.http")
TRACE_HEADER = "x-trace-id"
TRACEPARENT = "traceparent"
VERSION_HEADER = "x-stephost-version"  # the project version that served the request (deployments)
OWN_HEADERS = (TRACE_HEADER, VERSION_HEADER)  # the host sets these on a step's answer
TRACE_NAME = TRACE_HEADER.encode()
JSON_TYPE = (b"content-type", b"application/json")
_TRACE_OK = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
ADMIN_PREFIX = "/__stephost"
MAX_BODY = 10 * 1024 * 1024  # the default of the max_body_bytes setting
NO_BODY = {204, 304}  # HTTP forbids a body with these
# Bodies checked against a step's bodySchema: JSON, and no body at all (null, which a schema
# for an object refuses). Forms, text and bytes reach the handler as they are.
SCHEMA_CHECKED = ("json", "empty")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


# A header name is an RFC 9110 token; a value holds no control character but tab. uvicorn
# would refuse anything else halfway through sending, leaving a bare text 500.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# An encoded response: the http.response.start message and the body bytes (or the
# stream its chunks come from).
Reply = tuple[dict[str, Any], bytes]
StreamedReply = tuple[dict[str, Any], ResponseStream]


class BadReply(ValueError):
    """A handler's response that cannot be sent as HTTP; the message says which part and why."""


def encode_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    out = []
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise BadReply(f"response header name {name!r} is not a valid HTTP header name")
        if _HEADER_VALUE_BAD.search(value):
            raise BadReply(f"response header {name!r} has a control character (CR, LF, ...) in its value")
        try:
            out.append((name.encode("latin-1"), value.encode("latin-1")))
        except UnicodeEncodeError:
            raise BadReply(
                f"response header {name!r} has characters outside Latin-1 in its value "
                "(percent-encode it, e.g. as RFC 8187 does)"
            ) from None
    return out


def encode_reply(
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    raw: str | bytes | None = None,
    own: list[tuple[bytes, bytes]] | None = None,
) -> Reply:
    """Encode a whole response before any of it is sent, so a bad part can still become a 500.

    JSON bodies are strict (no NaN/Infinity); ``raw`` is sent as is (a str as UTF-8). ``own``
    are the host's headers (trace id, version), encoded already and valid by construction:
    they follow the others and win over a handler's header of the same name.
    """
    if not 200 <= status <= 599:
        raise BadReply(f"status {status} is not a final HTTP status (200-599)")
    try:
        if raw is None:
            payload = codec.dumps_strict_bytes(body)
        else:
            payload = raw.encode() if isinstance(raw, str) else raw
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, lone surrogates, absurd nesting
        raise BadReply(f"the response body cannot be encoded: {exc}") from None
    hdrs = [(b"content-length", str(len(payload)).encode())]
    typed = False
    if headers:
        extra = {k.lower(): str(v) for k, v in headers.items()}
        extra.pop("content-length", None)
        for name in OWN_HEADERS if own else ():
            extra.pop(name, None)
        typed = "content-type" in extra
        hdrs += encode_headers(extra)
    if own:
        hdrs += own
    if not typed:
        hdrs.append(JSON_TYPE)
    return {"type": "http.response.start", "status": status, "headers": hdrs}, payload


def encode_stream_start(result: dict[str, Any], own: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The http.response.start of a streamed response: no content-length (sent in chunks);
    ``own`` as in ``encode_reply``."""
    status, headers = result.get("status"), result.get("headers")
    if not isinstance(status, int) or not 200 <= status <= 599 or status in NO_BODY:
        raise BadReply(f"status {status!r} of a streamed response is not a final HTTP status with a body")
    if not isinstance(headers, dict):
        raise BadReply("the headers of a streamed response are not an object")
    extra = {str(k).lower(): str(v) for k, v in headers.items()}
    for name in ("content-length", *OWN_HEADERS):
        extra.pop(name, None)
    extra.setdefault("content-type", "application/octet-stream")
    return {"type": "http.response.start", "status": status, "headers": [*encode_headers(extra), *own]}


async def send_reply(send: Send, reply: Reply) -> None:
    start, payload = reply
    await send(start)
    await send({"type": "http.response.body", "body": payload})


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    await send_reply(send, encode_reply(status, body, headers))


def without_body(send: Send) -> Send:
    """HEAD: the headers a GET gets (its content-length too), and no body (RFC 9110 9.3.2)."""

    async def send_head(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_head


def _trace_of(headers: dict[str, str | list[str]]) -> tuple[str, str]:
    """(trace id, parent span): ``x-trace-id`` names the trace if valid; else a W3C
    ``traceparent`` continues its caller's trace; else a new trace starts."""
    incoming = headers.get(TRACE_HEADER)
    w3c = headers.get(TRACEPARENT)
    if incoming is None and w3c is None:  # most requests: no caller's trace to continue
        return new_trace_id(), ""
    outside = parse_traceparent(w3c) if isinstance(w3c, str) else None
    if isinstance(incoming, str) and _TRACE_OK.fullmatch(incoming):
        return incoming, outside[1] if outside and outside[0] == incoming else ""
    return outside or (new_trace_id(), "")


def request_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str | list[str]]:
    """The request's headers by lower-case name; a repeated one's values as a list."""
    return multi_dict([(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw])


class BodyTooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"request body is larger than the limit of {limit} bytes "
            "(setting max_body_bytes, env STEPHOST_MAX_BODY_BYTES)"
        )
        self.limit = limit


class ClientGone(Exception):
    """The client disconnected (or was cut off by a timeout) before sending the whole body."""


def check_declared_length(headers: dict[str, str | list[str]], limit: int) -> None:
    """Refuse on the Content-Length header alone, before reading a byte of the body."""
    declared = headers.get("content-length")
    for value in declared if isinstance(declared, list) else (declared or "",):
        if value.strip().isdigit() and int(value) > limit:
            raise BodyTooLarge(limit)


async def read_body(receive: Receive, limit: int = MAX_BODY) -> bytes:
    """The whole body, counted as it streams in (chunked bodies have no length up front)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone("the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def too_large(exc: BodyTooLarge, trace_id: str) -> Reply:
    """413 before the body is read or forwarded. The client may still be sending it: uvicorn
    reads and discards the rest, so the client can read this answer (closing now would
    reset the connection under it)."""
    return encode_reply(
        413,
        {"error": str(exc), "limit": exc.limit, "setting": "max_body_bytes", "traceId": trace_id},
        {TRACE_HEADER: trace_id},
    )


class Surfaces(Protocol):
    """More HTTP APIs beside the api steps (deployments_compat.surfaces)."""

    def claims(self, path: str) -> bool: ...

    def claims_socket(self, path: str) -> bool: ...

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...


class StepHttp:
    """ASGI app: api steps first, then the admin/fallback app."""

    def __init__(
        self,
        registry: Registry,
        invoker: Invoker,
        fallback: ASGIApp,
        sockets: ASGIApp,
        outages: dict[str, str] | None = None,
        cors_policy: cors.CorsPolicy = cors.OFF,
        max_body: int = MAX_BODY,
        schemas: StepSchemas | None = None,
        surfaces: Surfaces | None = None,
        on_request: Callable[[str, str, int, float], None] | None = None,
    ) -> None:
        self.registry = registry
        # (method, route pattern, status, seconds) of each answered request: /metrics.
        self.on_request = on_request
        self.schemas = schemas  # bodies checked against bodySchema (validate_schemas); None: not
        # The deployment APIs users already call (deployments_compat): they answer only paths
        # no api step serves, so a project's own routes always win.
        self.surfaces = surfaces
        self._surfaces_app: ASGIApp = surfaces or fallback  # what serves them (behind_proxies)
        self.max_body = max_body
        # language -> why its supervised sidecar is down (kept by the supervisor). While one
        # is, a path no live step serves may be one of its routes: 503 with the cause, not 404.
        self.outages = outages if outages is not None else {}
        self.invoker = invoker
        self.fallback = fallback
        self.sockets = sockets  # every WebSocket upgrade is a stream client (Motia's clients use "/")
        self.routes = RouteTable()
        self.unloaded = RouteTable()  # routes of steps whose file no longer loads
        self.cors_policy = cors_policy  # the project's; steps may override it
        self.cors = cors.CorsTable(cors_policy)
        self._version: tuple[str | None, tuple[bytes, bytes]] = (None, (b"", b""))  # _version_header
        registry.on_change(self.rebuild)

    def behind_proxies(self, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
        """Serve everything but the api steps through ``wrap`` (the proxy-headers middleware)."""
        self.fallback, self.sockets = wrap(self.fallback), wrap(self.sockets)
        self._surfaces_app = wrap(self._surfaces_app)

    def _outage(self) -> str:
        return "; ".join(self.outages[lang] for lang in sorted(self.outages))

    def _load_failure(self, method: str, path: str) -> str:
        """Why no step serves this path when step files fail to load: the file that last
        declared the route, else every broken file (the route may be one of theirs)."""
        errors = self.registry.load_errors()
        if not errors:
            return ""
        found = self.unloaded.match("GET" if method == "HEAD" else method, path)
        if found:
            step = found[0].step
            entry = next((e for e in self.registry.unloaded() if e.name == step), None)
            errors = [
                f for f in errors if entry and (f.file, f.language) == (entry.file, entry.language)
            ] or errors
            what = f"step {step!r} did not load"
        else:
            what = f"no step serves {method} {path}, and some step files did not load"
        files = "; ".join(f"{f.file} ({f.language}): {f.message}" for f in errors)
        return f"{what}: {files}. Fix the file; `stephost dev` reloads it"

    def rebuild(self) -> None:
        self.routes = RouteTable.build(self.registry)
        self.unloaded = RouteTable.of(self.registry.unloaded())
        problems: list[str] = []
        self.cors = cors.CorsTable.build(self.cors_policy, self.registry.of_type(ApiStep), problems)
        for problem in problems:
            log.error("%s", problem)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if self.surfaces is not None and self.surfaces.claims_socket(scope["path"]):
                await self._surfaces_app(scope, receive, send)
                return
            await self.sockets(scope, receive, send)
            return
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self._own(self.fallback, scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        cross = cors.read_request(scope) if self.cors.enabled else None  # a cross-origin fetch
        if cross is not None and cross.preflight_method and await self._preflight(send, cross, path):
            return
        if method == "HEAD":
            send = without_body(send)
        found = self.routes.match(method, path)
        if found is None and method == "HEAD":
            found = self.routes.match("GET", path)  # every GET route answers HEAD too
        if cross is not None:  # errors too: the page can read why it failed
            send = cors.with_headers(send, self.cors.policy(found[0].step if found else None), cross.origin)
        if found is None:
            trace = {TRACE_HEADER: new_trace_id()}
            allowed = self.routes.methods_for(path)
            if not allowed and self.surfaces is not None and self.surfaces.claims(path):
                await self._own(self._surfaces_app, scope, receive, send)
                return
            if "GET" in allowed:
                allowed.add("HEAD")
            if allowed:
                await send_json(
                    send,
                    405,
                    {"error": f"{method} is not allowed on {path}", "allowed": sorted(allowed)},
                    {"allow": ", ".join(sorted(allowed)), **trace},
                )
            elif broken := self._load_failure(method, path):
                await send_json(send, 503, {"error": broken}, trace)
            elif self.outages:
                problem = (
                    f"no step serves {method} {path} right now ({self._outage()}); "
                    "its routes return when it restarts"
                )
                await send_json(send, 503, {"error": problem}, trace)
            else:
                await send_json(send, 404, {"error": f"no step serves {method} {path}"}, trace)
            return
        route, params = found
        await self._serve(scope, receive, send, route.step, params)

    async def _own(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """The host's own endpoints (admin, deployment APIs): the body limit on the declared
        length first, since they read whole bodies."""
        if scope["type"] == "http":
            try:
                check_declared_length(request_headers(scope["headers"]), self.max_body)
            except BodyTooLarge as exc:
                await send_reply(send, too_large(exc, new_trace_id()))
                return
        await app(scope, receive, send)

    async def _preflight(self, send: Send, request: cors.CorsRequest, path: str) -> bool:
        """Answer a CORS preflight; False when CORS does not apply (an OPTIONS like any other)."""
        method = str(request.preflight_method)
        found = self.routes.match(method, path)
        if found is None and method == "HEAD":
            found = self.routes.match("GET", path)
        answer = self.cors.preflight(
            found[0].step if found else None, request.origin, method, path, request.requested_headers
        )
        if answer is None:
            return False
        if isinstance(answer, cors.Refusal):
            log.info("CORS preflight refused: %s", answer.message)
        await send_reply(send, cors.preflight_reply(answer))
        return True

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, step: str, params: dict[str, str]
    ) -> None:
        started = time.perf_counter()
        headers = request_headers(scope["headers"])
        trace_id, parent = _trace_of(headers)
        status = 500  # what the log line reports if not even an error reply could be made
        try:
            start, body = await self._reply(scope, receive, step, params, headers, trace_id, parent)
            status = start["status"]
            if isinstance(body, ResponseStream):
                await send_streamed(send, receive, start, body, step, trace_id)
            else:
                await send(start)
                await send({"type": "http.response.body", "body": body})
        except ClientGone:
            status = 499  # nginx's "client closed request": nothing left to answer
        finally:
            seconds = time.perf_counter() - started
            if log.isEnabledFor(logging.INFO):  # the arguments cost more than the check
                log.info(
                    "%s %s -> %d in %.1fms",
                    scope["method"],
                    scope["path"],
                    status,
                    seconds * 1000,
                    extra={"step": step, "trace_id": trace_id},
                )
            if self.on_request is not None:
                self.on_request(scope["method"], self._route_label(step), status, seconds)

    def _route_label(self, step: str) -> str:
        """The route pattern /metrics labels a step's requests with (never the raw path)."""
        entry = self.registry.steps.get(step)
        api = entry.config if entry is not None else None
        return api.path if isinstance(api, ApiStep) else step

    def _version_header(self) -> tuple[bytes, bytes]:
        """The serving version's header, encoded (and checked) once per version."""
        active = self.registry.active
        if active != self._version[0]:
            self._version = (active, encode_headers({VERSION_HEADER: active})[0])
        return self._version[1]

    async def _reply(
        self,
        scope: Scope,
        receive: Receive,
        step: str,
        params: dict[str, str],
        headers: dict[str, str | list[str]],
        trace_id: str,
        parent: str,
    ) -> Reply | StreamedReply:
        """Every outcome of one request as a fully encoded response (sent by the caller)."""
        # The host's headers, encoded: the trace id is valid by construction (checked against
        # _TRACE_OK, or made here); the serving version joins once the step is invoked.
        own = [(TRACE_NAME, trace_id.encode())]

        def error(status: int, exc: Exception) -> Reply:
            return encode_reply(status, {"error": str(exc), "traceId": trace_id}, own=own)

        try:
            check_declared_length(headers, self.max_body)
            raw = await read_body(receive, self.max_body)
            ctype = headers.get("content-type")
            body = bodies.parse(raw, ctype if isinstance(ctype, str) else None)
            if self.schemas is not None and body.kind in SCHEMA_CHECKED:
                self.schemas.check_body(step, body.value)
        except BodyTooLarge as exc:
            return too_large(exc, trace_id)
        except BodyInvalid as exc:
            return encode_reply(
                400,
                {"error": str(exc), "path": exc.path, "reason": exc.reason, "traceId": trace_id},
                own=own,
            )
        except ValueError as exc:
            return error(400, exc)
        query_string = scope.get("query_string")
        query = (
            multi_dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
            if query_string
            else {}
        )
        request = {
            "method": scope["method"],
            "path": scope["path"],
            "bodyKind": body.kind,
            "headers": headers,
            "pathParams": params,
            "queryParams": query,
        }
        if not body.in_raw:  # else the sidecar reads it from the raw bytes: sent once, not twice
            request["body"] = body.value
        # The version that serves: the invoker resolves the step in the active version when it
        # is called, with no await in between, and the call finishes there whatever flips meanwhile.
        own.append(self._version_header())
        try:
            result = await self.invoker.invoke(
                step,
                codec.dumps_parsed(request),  # its body went through loads_checked
                trace_id,
                raw=RawBody(raw, body.files, body.file_ranges, body.in_raw),
                parent=parent,
                cause="http",
            )
            return self._encode_result(result, own)
        except PayloadTooLarge as exc:
            return error(413, exc)
        except StepUnavailable as exc:
            return error(503, StepUnavailable(f"{exc} ({self._outage()})") if self.outages else exc)
        except InvocationTimeout as exc:
            return error(504, exc)
        except SidecarLost as exc:
            return error(502, exc)
        except StepFailed as exc:
            return self._internal(
                step, trace_id, f"handler raised {exc.type}: {exc.message}", stack=exc.stack
            )
        except BadReply as exc:
            return self._internal(step, trace_id, f"handler's response cannot be sent: {exc}")
        except Exception as exc:  # the client still gets JSON with the trace id; the log gets the rest
            return self._internal(
                step, trace_id, f"request failed: {type(exc).__name__}: {exc}", exc_info=exc
            )

    @staticmethod
    def _internal(
        step: str, trace_id: str, problem: str, stack: str = "", exc_info: Exception | None = None
    ) -> Reply:
        """A 500 that tells the client only its error id, and the log everything."""
        error_id = new_trace_id()[:12]
        log.error(
            "%s (error id %s)",
            problem,
            error_id,
            exc_info=exc_info,
            extra={"step": step, "trace_id": trace_id, "stack": stack},
        )
        return encode_reply(
            500,
            {"error": "Internal Server Error", "errorId": error_id, "traceId": trace_id},
            {TRACE_HEADER: trace_id},
        )

    @staticmethod
    def _encode_result(result: dict[str, Any], own: list[tuple[bytes, bytes]]) -> Reply | StreamedReply:
        body = result.get("body") if isinstance(result, dict) else None
        if isinstance(body, ResponseStream):
            try:
                return encode_stream_start(result, own), body
            except BadReply:
                body.cancel("its response cannot be sent")
                raise
        try:
            status = int(result["status"])
            headers = result.get("headers") or {}
            if not isinstance(headers, dict):
                raise TypeError(f"headers are a {type(headers).__name__}, not an object")
        except (KeyError, TypeError, ValueError) as exc:
            raise BadReply(f"status/headers missing or malformed ({type(exc).__name__}: {exc})") from None
        if status in NO_BODY:
            return encode_reply(status, None, headers, raw=b"", own=own)
        if isinstance(body, bytes):  # the handler returned bytes: exactly these, as its type says
            return encode_reply(
                status, None, {"content-type": "application/octet-stream", **headers}, raw=body, own=own
            )
        if isinstance(body, str) and headers:
            ctype = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
            if ctype and "json" not in ctype:
                # A handler that set e.g. text/html and returned a string means the text itself.
                return encode_reply(status, None, headers, raw=body, own=own)
        return encode_reply(status, body, headers, own=own)
