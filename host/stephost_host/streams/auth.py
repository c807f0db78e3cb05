"""Who may read which stream, the one rule for every door that reads streams from outside.

Both checks are project code run by a sidecar: the project's ``stream_authenticate``
hook (a stream auth file) turns a client's credentials into an auth context, and a
stream's ``canAccess`` decides each read of a (stream, group[, item]). The WebSocket
authenticates once per connection and checks each join; HTTP reads and the gRPC
ingress do both per call (``authorize``). With no hook anyone may read; with a hook
whose sidecar is not connected, nobody may (fail closed, never open by accident).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stephost_host.errors import HostError
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.streams.definitions import StreamDef
from stephost_wire import codec

log = logging.getLogger("stephost.streams")
AUTHENTICATE = "stream_authenticate"
CAN_ACCESS = "stream_can_access"
HOOK_TIMEOUT = 10.0


class Denied(Exception):
    """The project's auth hook refused the client's credentials (or could not be asked)."""


class Forbidden(Exception):
    """The stream's access check refused this client this (stream, group[, item])."""


@dataclass(frozen=True)
class Credentials:
    """What a client presents, as the project's ``authenticate(request)`` receives it."""

    token: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)


def subscription(stream: str, group: str, item: str | None = None) -> dict[str, Any]:
    """What ``canAccess`` receives: Motia's subscription shape."""
    return {"streamName": stream, "groupId": group, **({"id": item} if item is not None else {})}


class StreamAuth:
    def __init__(self, registry: Registry, invoker: Invoker) -> None:
        self.registry = registry
        self.invoker = invoker

    @property
    def required(self) -> bool:
        return AUTHENTICATE in self.registry.hooks

    async def authorize(self, definition: StreamDef, sub: dict[str, Any], credentials: Credentials) -> Any:
        """The client's auth context if it may read ``sub``; raises Denied or Forbidden."""
        context = await self.authenticate(credentials)
        await self.check(definition, sub, context)
        return context

    async def authenticate(self, credentials: Credentials) -> Any:
        """The auth context for a client (None when the project has no hook); raises Denied."""
        if not self.required:
            return None
        payload = codec.dumps(
            {
                "token": credentials.token,
                "headers": dict(credentials.headers),
                "query": dict(credentials.query),
            }
        )
        try:
            context = await self.invoker.hook(
                AUTHENTICATE, payload, uuid.uuid4().hex, HOOK_TIMEOUT, what="the stream auth hook"
            )
        except HostError as exc:
            log.error("stream auth hook failed: %s", exc)
            raise Denied("authentication failed") from None
        if context is None or context is False:
            raise Denied("not authenticated")
        return context

    async def check(self, definition: StreamDef, sub: dict[str, Any], context: Any) -> None:
        """Raises Forbidden unless the stream's access check lets ``context`` read ``sub``."""
        if not await self.can_access(definition, sub, context):
            raise Forbidden(f"access to stream {sub['streamName']!r} group {sub['groupId']!r} denied")

    async def can_access(self, definition: StreamDef, sub: dict[str, Any], context: Any) -> bool:
        if not definition.can_access:
            return True
        payload = codec.dumps({"subscription": sub, "authContext": context})
        try:
            allowed = await self.invoker.hook(
                CAN_ACCESS,
                payload,
                uuid.uuid4().hex,
                HOOK_TIMEOUT,
                what=f"stream {definition.name!r} access check",
                stream=definition.name,
            )
        except HostError as exc:
            log.error("access check for stream %s failed: %s", definition.name, exc)
            return False
        return allowed is True
