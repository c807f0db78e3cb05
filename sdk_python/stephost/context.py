"""What a handler receives: ``ctx.emit``, ``ctx.state``, ``ctx.logger``, ``ctx.trace_id``.

The context talks to the host through a ``Channel`` supplied by the sidecar. Its
methods are coroutines inside ``async def`` handlers; called from a plain ``def``
handler (which runs on a worker thread) they block and return the result, so both
styles of handler use the same API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Channel(Protocol):
    """The sidecar's side of the wire, as the context needs it."""

    loop: asyncio.AbstractEventLoop

    def emit(
        self, invocation_id: str, topic: str, data: Any, message_group_id: str | None
    ) -> Awaitable[Any]: ...

    def state(
        self, invocation_id: str, op: str, group: str, key: str = "", value: Any = None
    ) -> Awaitable[Any]: ...

    def log(self, invocation_id: str, level: str, message: str, fields: dict[str, Any] | None) -> None: ...


def _bridge(channel: Channel, make: Callable[[], Coroutine[Any, Any, T]]) -> Any:
    """Return an awaitable on the sidecar's loop, or block when called from a worker thread."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is channel.loop:
        return make()
    return asyncio.run_coroutine_threadsafe(make(), channel.loop).result()


class Logger:
    """``ctx.logger``: records reach the host log tagged with step and trace id."""

    def __init__(self, channel: Channel, invocation_id: str) -> None:
        self._channel = channel
        self._invocation_id = invocation_id

    def _log(self, level: str, message: Any, fields: dict[str, Any] | None) -> None:
        self._channel.log(self._invocation_id, level, str(message), fields)

    def debug(self, message: Any, fields: dict[str, Any] | None = None) -> None:
        self._log("debug", message, fields)

    def info(self, message: Any, fields: dict[str, Any] | None = None) -> None:
        self._log("info", message, fields)

    def warn(self, message: Any, fields: dict[str, Any] | None = None) -> None:
        self._log("warn", message, fields)

    warning = warn

    def error(self, message: Any, fields: dict[str, Any] | None = None) -> None:
        self._log("error", message, fields)


class State:
    """``ctx.state``: a JSON key/value store shared by every step in every language."""

    def __init__(self, channel: Channel, invocation_id: str) -> None:
        self._channel = channel
        self._invocation_id = invocation_id

    def _call(self, op: str, group: str, key: str = "", value: Any = None) -> Any:
        async def run() -> Any:
            return await self._channel.state(self._invocation_id, op, group, key, value)

        return _bridge(self._channel, run)

    def get(self, group: str, key: str) -> Any:
        return self._call("get", group, key)

    def set(self, group: str, key: str, value: Any) -> Any:
        return self._call("set", group, key, value)

    def delete(self, group: str, key: str) -> Any:
        return self._call("delete", group, key)

    def get_group(self, group: str) -> Any:
        return self._call("get_group", group)

    getGroup = get_group

    def clear(self, group: str) -> Any:
        return self._call("clear", group)


class Context:
    """The second argument of every handler (the only one for cron handlers)."""

    def __init__(
        self, channel: Channel, invocation_id: str, step: str, trace_id: str, attempt: int = 1
    ) -> None:
        self._channel = channel
        self._invocation_id = invocation_id
        self.step = step
        self.trace_id = trace_id
        self.attempt = attempt
        self.logger = Logger(channel, invocation_id)
        self.state = State(channel, invocation_id)

    @property
    def traceId(self) -> str:
        return self.trace_id

    def emit(self, event: dict[str, Any]) -> Any:
        """Publish ``{"topic", "data", "messageGroupId"?}``; done once the queue has stored it."""
        if not isinstance(event, dict) or not event.get("topic"):
            raise ValueError("emit takes a dict with a non-empty 'topic', e.g. {'topic': 'x', 'data': {...}}")
        group = event.get("messageGroupId", event.get("message_group_id"))

        async def run() -> Any:
            await self._channel.emit(self._invocation_id, event["topic"], event.get("data"), group)
            return None

        return _bridge(self._channel, run)
