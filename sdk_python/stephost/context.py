"""What a handler receives: ``ctx.emit``, ``ctx.state``, ``ctx.streams``, ``ctx.logger``, ``ctx.trace_id``,
``ctx.step``, ``ctx.topic`` and ``ctx.attempt``.

The context talks to the host through a ``Channel`` supplied by the sidecar. Its
methods are coroutines inside ``async def`` handlers; called from a plain ``def``
handler (which runs on a worker thread) they block and return the result, so both
styles of handler use the same API.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from stephost.errors import HostCallError

T = TypeVar("T")
# state.update tries this many times before it gives up with a StateConflict error.
UPDATE_ATTEMPTS = 100


class Channel(Protocol):
    """The sidecar's side of the wire, as the context needs it."""

    loop: asyncio.AbstractEventLoop

    def emit(
        self, invocation_id: str, topic: str, data: Any, message_group_id: str | None
    ) -> Awaitable[Any]: ...

    def state(
        self, invocation_id: str, op: str, group: str, key: str = "", value: Any = None, revision: int = 0
    ) -> Awaitable[Any]: ...

    def stream(
        self, invocation_id: str, op: str, stream: str, group_id: str, item_id: str = "", data: Any = None
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

    def __init__(self, channel: Channel, invocation_id: str, fields: dict[str, Any] | None = None) -> None:
        self._channel = channel
        self._invocation_id = invocation_id
        self._fields = dict(fields or {})

    def child(self, fields: dict[str, Any]) -> Logger:
        """A logger whose records always carry ``fields``; a call's own fields win on a clash."""
        return Logger(self._channel, self._invocation_id, {**self._fields, **fields})

    def _log(self, level: str, message: Any, fields: dict[str, Any] | None) -> None:
        merged = {**self._fields, **fields} if self._fields and fields else (fields or self._fields or None)
        self._channel.log(self._invocation_id, level, str(message), merged)

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

    def update(self, group: str, key: str, fn: Callable[[Any], Any]) -> Any:
        """Atomically replace the value with ``fn(old)`` (``old`` is None when there is none)
        and return the new value. ``fn`` may run more than once: when another writer changed
        the value in between, the write is refused and ``fn`` runs again on the fresh value,
        up to UPDATE_ATTEMPTS times before a ``HostCallError`` of type ``StateConflict``.
        ``fn`` runs on the sidecar's event loop (also for a plain ``def`` handler), so keep it
        a quick computation of the new value: no I/O, no side effects."""

        async def run() -> Any:
            for attempt in range(UPDATE_ATTEMPTS):
                read = await self._channel.state(self._invocation_id, "get_revision", group, key)
                new = fn(read["value"])
                if inspect.isawaitable(new):
                    new = await new
                try:
                    await self._channel.state(
                        self._invocation_id, "set_if_revision", group, key, new, read["revision"]
                    )
                    return new
                except HostCallError as exc:
                    if exc.type != "StateConflict":
                        raise
                # A short random pause lets colliding writers fall out of step.
                await asyncio.sleep(random.uniform(0, 0.001 * min(attempt + 1, 10)))
            raise HostCallError(
                "StateConflict",
                f"state.update({group!r}, {key!r}) lost to other writers {UPDATE_ATTEMPTS} times in a row; "
                "the key is too contended: retry later or spread the writes over more keys",
            )

        return _bridge(self._channel, run)


class Stream:
    """``ctx.streams.<name>``: items pushed live to every subscribed client."""

    def __init__(self, channel: Channel, invocation_id: str, name: str) -> None:
        self._channel = channel
        self._invocation_id = invocation_id
        self.name = name

    def _call(self, op: str, group_id: str, item_id: str = "", data: Any = None) -> Any:
        async def run() -> Any:
            return await self._channel.stream(self._invocation_id, op, self.name, group_id, item_id, data)

        return _bridge(self._channel, run)

    def get(self, group_id: str, id: str) -> Any:
        return self._call("get", group_id, id)

    def set(self, group_id: str, id: str, data: dict[str, Any]) -> Any:
        """Store the item (replacing it); returns it with its ``id``."""
        return self._call("set", group_id, id, data)

    def delete(self, group_id: str, id: str) -> Any:
        return self._call("delete", group_id, id)

    def get_group(self, group_id: str) -> Any:
        return self._call("get_group", group_id)

    getGroup = get_group

    def send(self, channel: dict[str, Any], event: dict[str, Any]) -> Any:
        """An ephemeral ``{type, data}`` event to ``{groupId, id?}``'s subscribers; not stored."""
        group_id = channel.get("groupId", channel.get("group_id"))
        if not group_id:
            raise ValueError("send needs a channel like {'groupId': ..., 'id': ...}")
        return self._call("send", group_id, channel.get("id") or "", event)


class Streams:
    """``ctx.streams``: one attribute per stream name (``ctx.streams.todo``), or ``ctx.streams["todo"]``."""

    def __init__(self, channel: Channel, invocation_id: str) -> None:
        self._channel = channel
        self._invocation_id = invocation_id

    def __getitem__(self, name: str) -> Stream:
        return Stream(self._channel, self._invocation_id, name)

    def __getattr__(self, name: str) -> Stream:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]


class Context:
    """The second argument of every handler (the only one for cron handlers)."""

    def __init__(
        self,
        channel: Channel,
        invocation_id: str,
        step: str,
        trace_id: str,
        attempt: int = 1,
        topic: str | None = None,
        flows: list[str] | None = None,
        traceparent: str = "",
    ) -> None:
        self._channel = channel
        self._invocation_id = invocation_id
        self.step = step  # the step's config name
        self.trace_id = trace_id
        self.attempt = attempt  # 1 on the first delivery, 2 on the first retry, ...
        self.topic = topic  # the topic an event step's input arrived on; None for api and cron
        self.flows = list(flows or [])  # the step config's `flows`, as Motia's context has them
        # W3C traceparent of this invocation's span ("" when the host records none): send it
        # on outgoing calls so they join the trace.
        self.traceparent = traceparent
        self.logger = Logger(channel, invocation_id)
        self.state = State(channel, invocation_id)
        self.streams = Streams(channel, invocation_id)

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
