"""Who may connect to the stream WebSocket, and who may join which stream.

Both checks are project code run by a sidecar: the project's ``stream_authenticate``
hook (a stream auth file) turns a token into an auth context, and a stream's
``canAccess`` decides each join. With no hook the socket is open; with a hook whose
sidecar is not connected, the socket is closed (fail closed, never open by accident).
"""

from __future__ import annotations

import logging
import uuid
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
    pass


class StreamAuth:
    def __init__(self, registry: Registry, invoker: Invoker) -> None:
        self.registry = registry
        self.invoker = invoker

    @property
    def required(self) -> bool:
        return AUTHENTICATE in self.registry.hooks

    async def authenticate(self, token: str | None, headers: dict[str, Any], query: dict[str, Any]) -> Any:
        """The auth context for a client (None when the project has no hook); raises Denied."""
        if not self.required:
            return None
        payload = codec.dumps({"token": token, "headers": headers, "query": query})
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

    async def can_access(self, definition: StreamDef, subscription: dict[str, Any], context: Any) -> bool:
        if not definition.can_access:
            return True
        payload = codec.dumps({"subscription": subscription, "authContext": context})
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
