"""A context for unit-testing one handler without a host: it records what the handler did.

``ctx.emit.calls`` holds every emitted event and ``ctx.logger.calls`` every
``(level, message, fields)``; ``ctx.state`` and ``ctx.streams`` keep data in memory.
Inside an ``async def`` handler the methods return awaitables, like the real context;
called with no event loop running in the thread (a plain ``def`` handler called from a
test), they return the result directly. Run a plain ``def`` handler from an async test with
``await asyncio.to_thread(handler, ...)``, as the sidecar does.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from typing import Any

from stephost.context import Logger


def _answer(value: Any) -> Any:
    """The result, made awaitable when the caller is a coroutine (the real context's shape)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return value

    async def done() -> Any:
        return value

    return done()


class RecordingEmit:
    """``ctx.emit``: keeps each event in ``calls`` (and hands it to ``on_emit`` if given)."""

    def __init__(self, on_emit: Any = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self._on_emit = on_emit

    def __call__(self, event: dict[str, Any]) -> Any:
        if not isinstance(event, dict) or not event.get("topic"):
            raise ValueError("emit takes a dict with a non-empty 'topic', e.g. {'topic': 'x', 'data': {...}}")
        self.calls.append(copy.deepcopy(event))
        if self._on_emit is not None:
            self._on_emit(event)
        return _answer(None)


class _LogRecorder:
    """The one channel call a ``Logger`` makes (``log``), kept instead of sent to a host."""

    def __init__(self, calls: list[tuple[str, str, dict[str, Any] | None]]) -> None:
        self.calls = calls

    def log(self, invocation_id: str, level: str, message: str, fields: dict[str, Any] | None) -> None:
        self.calls.append((level, message, fields))


class RecordingLogger(Logger):
    """``ctx.logger``: the SDK's own logger (same levels, same field merging), keeping each
    record in ``calls`` as ``(level, message, fields)``."""

    def __init__(self, fields: dict[str, Any] | None = None, calls: list[Any] | None = None) -> None:
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = [] if calls is None else calls
        super().__init__(_LogRecorder(self.calls), "mock", fields)  # type: ignore[arg-type]

    def child(self, fields: dict[str, Any]) -> RecordingLogger:
        return RecordingLogger({**self._fields, **fields}, self.calls)

    def messages(self, level: str | None = None) -> list[str]:
        """The messages logged (at ``level`` only, if given)."""
        return [m for lv, m, _ in self.calls if level is None or lv == level]


class MemoryState:
    """``ctx.state`` in memory: ``data[group][key]``; values are copied in and out like JSON."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def get(self, group: str, key: str) -> Any:
        return _answer(copy.deepcopy(self.data.get(group, {}).get(key)))

    def set(self, group: str, key: str, value: Any) -> Any:
        self.data.setdefault(group, {})[key] = copy.deepcopy(value)
        return _answer(copy.deepcopy(value))

    def delete(self, group: str, key: str) -> Any:
        return _answer(self.data.get(group, {}).pop(key, None))

    def get_group(self, group: str) -> Any:
        return _answer(copy.deepcopy(list(self.data.get(group, {}).values())))

    getGroup = get_group

    def clear(self, group: str) -> Any:
        self.data.pop(group, None)
        return _answer(None)


class MemoryStream:
    """One ``ctx.streams.<name>`` in memory; ``sent`` records ephemeral ``send`` calls."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.groups: dict[str, dict[str, Any]] = {}
        self.sent: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def get(self, group_id: str, id: str) -> Any:
        return _answer(copy.deepcopy(self.groups.get(group_id, {}).get(id)))

    def set(self, group_id: str, id: str, data: dict[str, Any]) -> Any:
        item = {**copy.deepcopy(data), "id": id}
        self.groups.setdefault(group_id, {})[id] = item
        return _answer(copy.deepcopy(item))

    def delete(self, group_id: str, id: str) -> Any:
        return _answer(self.groups.get(group_id, {}).pop(id, None))

    def get_group(self, group_id: str) -> Any:
        return _answer(copy.deepcopy(list(self.groups.get(group_id, {}).values())))

    getGroup = get_group

    def send(self, channel: dict[str, Any], event: dict[str, Any]) -> Any:
        self.sent.append((dict(channel), copy.deepcopy(event)))
        return _answer(None)


class MemoryStreams:
    """``ctx.streams``: a stream per name, made on first use (``ctx.streams.todo`` or ``["todo"]``)."""

    def __init__(self) -> None:
        self._streams: dict[str, MemoryStream] = {}

    def __getitem__(self, name: str) -> MemoryStream:
        return self._streams.setdefault(name, MemoryStream(name))

    def __getattr__(self, name: str) -> MemoryStream:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]


class MockContext:
    """What a handler receives, with nothing behind it but memory."""

    def __init__(
        self,
        *,
        trace_id: str | None = None,
        step: str = "test-step",
        topic: str | None = None,
        attempt: int = 1,
        flows: list[str] | None = None,
        on_emit: Any = None,
    ) -> None:
        self.trace_id = trace_id or uuid.uuid4().hex
        self.step = step
        self.topic = topic
        self.attempt = attempt
        self.flows = list(flows or [])
        self.emit = RecordingEmit(on_emit)
        self.logger = RecordingLogger()
        self.state = MemoryState()
        self.streams = MemoryStreams()

    @property
    def traceId(self) -> str:
        return self.trace_id


def create_mock_context(**options: Any) -> MockContext:
    """A fresh ``MockContext``; options: trace_id, step, topic, attempt, flows, on_emit."""
    return MockContext(**options)
