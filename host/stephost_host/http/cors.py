"""Cross-origin requests from browsers (CORS): which origins may call which api steps.

Off unless origins are configured: project-wide (``cors_*`` settings, stephost.toml's
``[cors]`` table) or per step (an api step's ``cors`` config key, whose keys replace the
project's one by one; ``cors: false`` turns it off for that step). When on, the host answers
preflights itself (204 with the Access-Control-* headers, or a 403 naming what is refused)
and every response to an allowed origin, including the host's own errors and streamed
responses, carries Access-Control-Allow-Origin so the page can read it.

CORS only tells the browser what a page may *read*: a request from an origin that is not
allowed still runs (as with any server); its response just carries no CORS headers.

The value checks here are shared by the settings (config.py) and the step config models,
so this module imports nothing from the rest of the host.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

ANY = "*"
DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_HEADERS = (ANY,)  # any request header the page asks for
DEFAULT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
# Headers a page may always send (the Fetch standard's CORS-safelisted request headers;
# content-type is listed when its value is e.g. application/json).
SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type"})
POLICY_FIELDS = ("origins", "methods", "headers", "expose_headers", "credentials", "max_age")

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an RFC 9110 token (method, header name)
_ORIGIN = re.compile(r"([a-z][a-z0-9+.-]*)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


# -- value checks (settings and step configs) -------------------------------------


def check_origins(values: Iterable[str]) -> tuple[str, ...]:
    """Origins as a browser sends them (scheme://host[:port]), or ["*"] alone for any origin."""
    out = tuple(_origin(v) for v in values)
    if ANY in out and len(out) > 1:
        raise ValueError("'*' allows every origin: give it alone, or list the origins without it")
    return out


def _origin(value: str) -> str:
    value = value.strip()
    if value == ANY:
        return ANY
    if value == "null":
        raise ValueError(
            "the 'null' origin is what sandboxed pages and file:// documents send; any page can "
            "claim it, so it cannot be allowed"
        )
    match = _ORIGIN.fullmatch(value.lower())
    if match is None:
        hint = " (no path, not even a trailing '/')" if value.count("/") > 2 else ""
        raise ValueError(f"{value!r} is not an origin: expected scheme://host[:port]{hint}")
    scheme, host, port = match.groups()
    if port == _DEFAULT_PORTS.get(scheme):  # browsers leave the default port out
        port = None
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def check_methods(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(_token(v, "method").upper() for v in values)


def check_headers(values: Iterable[str], *, wildcard: bool) -> tuple[str, ...]:
    out = tuple(ANY if v.strip() == ANY and wildcard else _token(v, "header name").lower() for v in values)
    if ANY in out and len(out) > 1:
        raise ValueError("'*' allows every header: give it alone, or list the headers without it")
    return out


def _token(value: str, what: str) -> str:
    value = value.strip()
    if not _TOKEN.fullmatch(value) or value == ANY:
        raise ValueError(f"{value!r} is not an HTTP {what}")
    return value


def check_credentials(credentials: bool, origins: Iterable[str]) -> None:
    if credentials and ANY in tuple(origins):
        raise ValueError(
            "credentials cannot be allowed for every origin ('*'): browsers refuse that; "
            "list the origins that may send credentials"
        )


# -- the policy ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """What one api step (or the project) allows; values are already checked and normalised."""

    origins: tuple[str, ...] = ()  # empty: CORS is off
    methods: tuple[str, ...] = DEFAULT_METHODS
    headers: tuple[str, ...] = DEFAULT_HEADERS
    expose_headers: tuple[str, ...] = ()
    credentials: bool = False
    max_age: int = DEFAULT_MAX_AGE

    def __post_init__(self) -> None:
        check_credentials(self.credentials, self.origins)

    @property
    def enabled(self) -> bool:
        return bool(self.origins)

    def with_overrides(self, override: object) -> CorsPolicy:
        """This policy with the keys a step's ``cors`` config sets (None: not set) replaced."""
        changes: dict[str, Any] = {}
        for field in POLICY_FIELDS:
            value = getattr(override, field, None)
            if value is not None:
                changes[field] = tuple(value) if isinstance(value, list) else value
        return dataclasses.replace(self, **changes)

    def allows(self, origin: str) -> bool:
        return self.origins == (ANY,) or origin.lower() in self.origins

    def _allow_origin(self, origin: str) -> list[tuple[str, str]]:
        if self.origins == (ANY,) and not self.credentials:
            return [("access-control-allow-origin", ANY)]
        out = [("access-control-allow-origin", origin), ("vary", "Origin")]
        if self.credentials:
            out.append(("access-control-allow-credentials", "true"))
        return out

    def response_headers(self, origin: str) -> list[tuple[str, str]]:
        """The CORS headers of an actual (non-preflight) response to a request from ``origin``."""
        if not self.enabled:
            return []
        if not self.allows(origin):
            return [("vary", "Origin")]  # a cache must not hand this answer to an allowed origin
        out = self._allow_origin(origin)
        if self.expose_headers:
            out.append(("access-control-expose-headers", ", ".join(self.expose_headers)))
        return out

    def refusal(self, origin: str, method: str, requested: list[str]) -> str | None:
        """Why a preflight is refused, or None when the browser may go ahead."""
        if not self.allows(origin):
            return f"origin {origin!r} is not allowed"
        if method not in self.methods:
            return f"method {method} is not allowed (allowed: {', '.join(self.methods)})"
        if self.headers != (ANY,):
            refused = [h for h in requested if h not in SAFELISTED and h not in self.headers]
            if refused:
                return f"request header(s) {', '.join(refused)} not allowed"
        return None

    def preflight_headers(self, origin: str, requested: list[str]) -> list[tuple[str, str]]:
        out = self._allow_origin(origin)
        out.append(("access-control-allow-methods", ", ".join(self.methods)))
        allowed = requested if self.headers == (ANY,) else list(self.headers)
        if allowed:
            out.append(("access-control-allow-headers", ", ".join(allowed)))
        out.append(("access-control-max-age", str(self.max_age)))
        return out


OFF = CorsPolicy()


# -- per step --------------------------------------------------------------------


class _StepEntry(Protocol):
    """A registered api step (router.registry's StepDef): its config may carry ``cors``."""

    @property
    def name(self) -> str: ...
    @property
    def config(self) -> object: ...


@dataclass(frozen=True)
class Refusal:
    """A preflight the host refuses: 403 with this message, and no CORS headers."""

    message: str


@dataclass(frozen=True)
class Allowed:
    headers: list[tuple[str, str]]


class CorsTable:
    """The project's policy and each api step's, rebuilt with the routes."""

    def __init__(self, project: CorsPolicy = OFF, steps: dict[str, CorsPolicy] | None = None) -> None:
        self.project = project
        self.steps = steps or {}
        self.turned_off: set[str] = {s for s, p in self.steps.items() if not p.enabled and project.enabled}
        # Only then does a request pay for looking at its Origin header.
        self.enabled = project.enabled or any(p.enabled for p in self.steps.values())

    @classmethod
    def build(
        cls, project: CorsPolicy, entries: Iterable[_StepEntry], problems: list[str] | None = None
    ) -> CorsTable:
        """Each step's policy; a step whose override cannot stand with the project's is shut.

        E.g. the project allows credentials and a step sets ``origins: ["*"]``: that step
        answers no cross-origin request (fail closed) and ``problems`` says why.
        """
        steps: dict[str, CorsPolicy] = {}
        for entry in entries:
            override = getattr(entry.config, "cors", None)
            if override is None:
                continue
            if getattr(override, "enabled", True) is False:  # cors: false
                steps[entry.name] = OFF
                continue
            try:
                steps[entry.name] = project.with_overrides(override)
            except ValueError as exc:
                steps[entry.name] = OFF
                if problems is not None:
                    problems.append(
                        f"step {entry.name!r}: its cors config and the project's cors settings "
                        f"together are refused ({exc}); CORS is off for this step until its config "
                        "sets 'credentials' or 'origins' itself"
                    )
        return cls(project, steps)

    def policy(self, step: str | None) -> CorsPolicy:
        return self.project if step is None else self.steps.get(step, self.project)

    def preflight(
        self, step: str | None, origin: str, method: str, path: str, requested: list[str]
    ) -> Allowed | Refusal | None:
        """The answer to a preflight for ``method path`` served by ``step`` (None: no step
        serves it); None means CORS does not apply and the request goes on as any OPTIONS."""
        if step is not None and step in self.turned_off:
            return Refusal(f"CORS is turned off for step {step!r} (its config says cors: false)")
        policy = self.policy(step)
        if not policy.enabled:
            return None
        if step is None:
            return Refusal(f"no step serves {method} {path}")
        problem = policy.refusal(origin, method, requested)
        if problem:
            return Refusal(
                f"CORS refuses {method} {path} from {origin!r}: {problem}; "
                "change the cors settings or the step's cors config to allow it"
            )
        return Allowed(policy.preflight_headers(origin, requested))


# -- the ASGI side -----------------------------------------------------------------

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class CorsRequest:
    origin: str
    preflight_method: str | None  # Access-Control-Request-Method of an OPTIONS request
    requested_headers: list[str]  # Access-Control-Request-Headers, lower case


def read_request(scope: dict[str, Any]) -> CorsRequest | None:
    """The CORS side of a request; None when it carries no Origin (not a cross-origin fetch)."""
    origin = method = None
    requested = ""
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"access-control-request-method":
            method = value.decode("latin-1").strip().upper()
        elif name == b"access-control-request-headers":
            requested += "," + value.decode("latin-1")
    if origin is None:
        return None
    if scope["method"] != "OPTIONS":
        method = None
    return CorsRequest(origin, method, [h.strip().lower() for h in requested.split(",") if h.strip()])


def preflight_reply(answer: Allowed | Refusal) -> tuple[dict[str, Any], bytes]:
    """The http.response.start message and body of a preflight answer."""
    if isinstance(answer, Allowed):
        status, body, headers = 204, b"", answer.headers
    else:
        status, body = 403, json.dumps({"error": answer.message}).encode()
        headers = [("content-type", "application/json")]
    raw = [(b"content-length", str(len(body)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    return {"type": "http.response.start", "status": status, "headers": raw}, body


def with_headers(send: Send, policy: CorsPolicy, origin: str) -> Send:
    """``send`` that adds the policy's CORS headers to the response start.

    The policy decides alone: a handler's own Access-Control-* headers are dropped, and its
    Vary is kept with Origin added.
    """
    extra = policy.response_headers(origin)
    if not extra:
        return send

    async def send_with_cors(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": _merge(message.get("headers") or [], extra)}
        await send(message)

    return send_with_cors


def _merge(headers: list[tuple[bytes, bytes]], extra: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    vary = [v.decode("latin-1") for k, v in headers if k.lower() == b"vary"]
    out = [
        (k, v) for k, v in headers if k.lower() != b"vary" and not k.lower().startswith(b"access-control-")
    ]
    for name, value in extra:
        if name == "vary":
            if not any(p.strip().lower() in ("origin", "*") for v in vary for p in v.split(",")):
                vary.append(value)
        else:
            out.append((name.encode("latin-1"), value.encode("latin-1")))
    if vary:
        out.append((b"vary", ", ".join(vary).encode("latin-1")))
    return out
