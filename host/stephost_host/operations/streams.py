"""Streams: items under (stream, group, id) and their live changes, checked before the store.

The stream must be defined; the store's own refusals (an item its schema rejects,
a send without a type) come back as the same typed refusals. A door that serves
clients outside the project (the ingress) asks ``authorized`` first: the project's
stream auth, the rule the WebSocket and HTTP reads apply (``streams/auth.py``).
Handlers (the sidecar link) are the project's own code and are not asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from stephost_host.operations.errors import (
    NotFound,
    PermissionDenied,
    StoreProblem,
    Unauthenticated,
    acknowledged,
    answered,
    no_problem,
    translated,
    writable,
)
from stephost_host.operations.rules import Fields, Limit, check_name, parse_json
from stephost_host.streams.auth import Credentials, Denied, Forbidden, StreamAuth, subscription
from stephost_host.streams.store import Streams, UnknownStream

R = TypeVar("R")


async def _stored(op: Awaitable[R], read: bool = False) -> R:
    try:
        return await (answered(op) if read else acknowledged(op))
    except Exception as exc:
        refused = translated(exc)
        if refused is None:
            raise
        raise refused from None


class StreamOps:
    def __init__(
        self, streams: Streams, auth: StreamAuth, limit: Limit, problem: StoreProblem = no_problem
    ) -> None:
        self.streams = streams
        self.auth = auth
        self.limit = limit  # the NATS server's, unless a door passes a smaller one
        self.problem = problem

    def defined(self, stream: str, fields: Fields) -> str:
        check_name(stream, "stream", fields)
        try:
            self.streams.definition(stream)  # the one rule (and message) for an unknown stream
        except UnknownStream as exc:
            raise NotFound(str(exc)) from None
        return stream

    def _group(self, stream: str, group: str, fields: Fields) -> tuple[str, str]:
        return self.defined(stream, fields), check_name(group, "group_id", fields)

    async def authorized(
        self, stream: str, group: str, item: str, credentials: Credentials, fields: Fields, how: str
    ) -> None:
        """Refuses unless the project's stream auth lets these credentials read the group (or
        item); ``how`` tells the caller how its door passes credentials."""
        stream, group = self._group(stream, group, fields)
        if item:
            check_name(item, "id", fields)
        try:
            await self.auth.authorize(
                self.streams.definition(stream), subscription(stream, group, item or None), credentials
            )
        except Denied as exc:
            raise Unauthenticated(f"the project's stream auth refused this client ({exc}); {how}") from None
        except Forbidden as exc:
            raise PermissionDenied(str(exc)) from None

    async def get(self, stream: str, group: str, item: str, fields: Fields) -> Any:
        stream, group = self._group(stream, group, fields)
        return await _stored(self.streams.get(stream, group, check_name(item, "id", fields)), read=True)

    async def get_group(self, stream: str, group: str, fields: Fields) -> list[Any]:
        stream, group = self._group(stream, group, fields)
        return await _stored(self.streams.get_group(stream, group), read=True)

    async def set(
        self, stream: str, group: str, item: str, data_json: str, fields: Fields, limit: Limit | None = None
    ) -> Any:
        """The stored item (the data with its ``id``)."""
        stream, group = self._group(stream, group, fields)
        item = check_name(item, "id", fields)
        data = parse_json(data_json, "item", fields, limit or self.limit)
        writable(self.problem)
        return await _stored(self.streams.set(stream, group, item, data))

    async def delete(self, stream: str, group: str, item: str, fields: Fields) -> Any:
        """The deleted item (None if there was none)."""
        stream, group = self._group(stream, group, fields)
        writable(self.problem)
        return await _stored(self.streams.delete(stream, group, check_name(item, "id", fields)))

    async def send(
        self, stream: str, group: str, item: str, event_json: str, fields: Fields, limit: Limit | None = None
    ) -> None:
        """An ephemeral ``{type, data}`` event to the group's (or one item's) subscribers."""
        stream, group = self._group(stream, group, fields)
        if item:
            check_name(item, "id", fields)
        event = parse_json(event_json, "event", fields, limit or self.limit)
        await _stored(self.streams.send(stream, group, item or None, event))

    def subscribe(self, stream: str, group: str, item: str, fields: Fields) -> AsyncIterator[dict[str, Any]]:
        """Changes from now on (see ``Streams.subscribe``); checked before it is returned."""
        stream, group = self._group(stream, group, fields)
        if item:
            check_name(item, "id", fields)
        return self.streams.subscribe(stream, group, item or None)
