"""Stream items on NATS KV, and their changes fanned out to every host.

An item is stored under (stream, group, id). Whether a ``set`` creates or updates is
decided by the KV itself (create, else compare-and-set on the revision we read), so two
concurrent sets cannot both announce "create". After each write the change is published
on a core NATS subject; every host subscribes to all of them and hands each change to
its local subscribers (WebSocket clients, gRPC SubscribeStream calls). Ephemeral
``send`` events take the same path without being stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import KeyDeletedError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_host.natsio.kv import get_json, keys, values
from stephost_host.streams.definitions import ItemInvalid, SchemaMode, StreamDef
from stephost_wire import codec

log = logging.getLogger("stephost.streams")
CAS_ATTEMPTS = 20


class UnknownStream(LookupError):
    error_type = "NotFound"


@dataclass(frozen=True)
class Change:
    """One change as every subscriber sees it (also the shape of a WebSocket frame's event)."""

    stream: str
    group: str
    id: str | None
    type: str  # create | update | delete | event
    data: Any
    timestamp: int

    def event(self) -> dict[str, Any]:
        if self.type == "event":
            return {"type": "event", "event": self.data}
        return {"type": self.type, "data": self.data}


class Synced:
    """What a sync sent (a group's items, or one item), to tell a change that only restates it.

    Subscribers watch first and read after, so no change falls in between; but a change made
    before the read can still arrive after it (it travels through NATS), and the sync already
    has it. Such a change (a create or update whose item is the synced one) is not passed on;
    once an item really changed, every later change to it is.
    """

    def __init__(self, state: Any) -> None:
        items = state if isinstance(state, list) else [state]
        self.items: dict[Any, Any] = {i.get("id"): i for i in items if isinstance(i, dict)}

    def passes(self, change: Change) -> bool:
        if change.id not in self.items:
            return True
        if change.type in ("create", "update") and change.data == self.items[change.id]:
            return False
        del self.items[change.id]
        return True


@dataclass(eq=False)
class Subscription:
    stream: str
    group: str
    item: str | None  # None: the whole group
    deliver: Callable[[Change], None]
    index: dict[tuple[str, str], list[Subscription]] = field(repr=False, default_factory=dict)

    def matches(self, change: Change) -> bool:
        return self.item is None or self.item == change.id

    def close(self) -> None:
        subs = self.index.get((self.stream, self.group))
        if subs and self in subs:
            subs.remove(self)
            if not subs:
                del self.index[(self.stream, self.group)]


class Subscribers:
    """This host's subscribers, by (stream, group): who is handed a change (the host-owned
    streams of deployments_compat keep theirs the same way)."""

    def __init__(self) -> None:
        self._subs: dict[tuple[str, str], list[Subscription]] = {}
        self._everywhere: list[Callable[[Change], None]] = []  # handed every change (watch_all)

    def watch(
        self, stream: str, group: str, item: str | None, deliver: Callable[[Change], None]
    ) -> Subscription:
        """Call ``deliver`` with every change to the group (or to one item) from now on."""
        sub = Subscription(stream, group, item, deliver, self._subs)
        self._subs.setdefault((stream, group), []).append(sub)
        return sub

    def watch_all(self, deliver: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``deliver`` with every change to any group from now on; returns the undo."""
        self._everywhere.append(deliver)
        return lambda: self._everywhere.remove(deliver)

    def deliver(self, change: Change) -> None:
        for every in self._everywhere:
            every(change)
        for sub in list(self._subs.get((change.stream, change.group), ())):
            if sub.matches(change):
                try:
                    sub.deliver(change)
                except Exception:
                    log.exception("a stream subscriber failed; dropping it")
                    sub.close()


class Streams:
    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        kv: KeyValue,
        definitions: Mapping[str, StreamDef],
        schema_mode: SchemaMode = "warn",
    ) -> None:
        self.schema_mode = schema_mode
        self.nc = nc
        self.js = js
        self.kv = kv
        self.definitions = definitions
        self.subscribers = Subscribers()
        self._last_ts = 0

    async def start(self) -> None:
        await self.nc.subscribe(names.STREAM_CHANGES, cb=self._received)

    def names(self) -> set[str]:
        return set(self.definitions)

    def definition(self, stream: str) -> StreamDef:
        found = self.definitions.get(stream)
        if found is None:
            known = ", ".join(sorted(self.definitions)) or "none"
            raise UnknownStream(
                f"no stream named {stream!r} is defined (defined streams: {known}; define one in a "
                "*.stream.ts, *_stream.py or *.stream.rb file)"
            )
        return found

    @staticmethod
    def _need_id(item: str) -> str:
        if not item:
            raise ItemInvalid("a stream item id must be a non-empty string")
        return item

    def _timestamp(self) -> int:
        # Motia's clients drop an update whose timestamp is not newer than the last one.
        self._last_ts = max(int(time.time() * 1000), self._last_ts + 1)
        return self._last_ts

    # -- reads ---------------------------------------------------------------

    async def get(self, stream: str, group: str, item: str) -> Any:
        self.definition(stream)
        found = await get_json(self.kv, names.stream_item_key(stream, group, self._need_id(item)))
        return found[0] if found else None

    async def get_group(self, stream: str, group: str) -> list[Any]:
        self.definition(stream)
        return await values(self.nc, self.js, names.STREAMS_BUCKET, names.stream_group_filter(stream, group))

    async def groups(self) -> dict[str, list[str]]:
        """Every defined stream and the groups that hold items (for the Workbench)."""
        found: dict[str, set[str]] = {name: set() for name in self.definitions}
        for key in await keys(self.nc, self.js, names.STREAMS_BUCKET, "*.*.*"):
            stream, group, _ = key.split(".", 2)
            found.setdefault(names.untoken(stream), set()).add(names.untoken(group))
        return {stream: sorted(groups) for stream, groups in sorted(found.items())}

    # -- writes --------------------------------------------------------------

    async def set(self, stream: str, group: str, item: str, data: Any) -> Any:
        definition = self.definition(stream)
        self._need_id(item)
        if not isinstance(data, dict):
            raise ItemInvalid(f"stream {stream!r}: an item must be an object, got {type(data).__name__}")
        definition.check(data, self.schema_mode)
        stored = {**data, "id": item}
        key = names.stream_item_key(stream, group, item)
        value = codec.dumps_bytes(stored)
        kind = await self._create_or_update(key, value)
        await self._announce(Change(stream, group, item, kind, stored, self._timestamp()))
        return stored

    async def _create_or_update(self, key: str, value: bytes) -> str:
        for _ in range(CAS_ATTEMPTS):
            try:
                await self.kv.create(key, value)
                return "create"
            except KeyWrongLastSequenceError:
                pass
            try:
                entry = await self.kv.get(key)
                await self.kv.update(key, value, last=entry.revision)
                return "update"
            except (KeyNotFoundError, KeyDeletedError, KeyWrongLastSequenceError):
                continue  # deleted or changed in between: decide again
        raise RuntimeError(f"stream item {key} changed too often to write it")

    async def delete(self, stream: str, group: str, item: str) -> Any:
        self.definition(stream)
        key = names.stream_item_key(stream, group, self._need_id(item))
        for _ in range(CAS_ATTEMPTS):
            found = await get_json(self.kv, key)
            if found is None:
                return None
            old, revision = found
            try:
                await self.kv.delete(key, last=revision)
            except KeyWrongLastSequenceError:
                continue
            await self._announce(Change(stream, group, item, "delete", old, self._timestamp()))
            return old
        raise RuntimeError(f"stream item {key} changed too often to delete it")

    async def send(self, stream: str, group: str, item: str | None, event: Any) -> None:
        """An ephemeral event for the group's (or one item's) subscribers; nothing is stored."""
        self.definition(stream)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str) or not event["type"]:
            raise ItemInvalid("stream send needs an event like {type: string, data: any}")
        payload = {"type": event["type"], "data": event.get("data")}
        await self._announce(Change(stream, group, item or None, "event", payload, self._timestamp()))

    async def _announce(self, change: Change) -> None:
        doc = {
            "stream": change.stream,
            "group": change.group,
            "id": change.id,
            "type": change.type,
            "data": change.data,
            "timestamp": change.timestamp,
        }
        await self.nc.publish(
            names.stream_changes_subject(change.stream, change.group), codec.dumps_bytes(doc)
        )

    # -- fan-out -------------------------------------------------------------

    async def _received(self, msg: Msg) -> None:
        try:
            doc = codec.loads(msg.data.decode())
            change = Change(
                doc["stream"],
                doc["group"],
                doc.get("id"),
                doc["type"],
                doc.get("data"),
                int(doc["timestamp"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring a malformed stream change on %s: %s", msg.subject, exc)
            return
        self.subscribers.deliver(change)

    def watch(
        self, stream: str, group: str, item: str | None, deliver: Callable[[Change], None]
    ) -> Subscription:
        """Call ``deliver`` with every change to the group (or to one item) from now on."""
        return self.subscribers.watch(stream, group, item, deliver)

    async def subscribe(
        self, stream: str, group: str, item: str | None = None, *, sync: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        """Changes as dicts until the caller stops iterating: ``{"type", "id", "timestamp"}`` plus
        ``"data"`` (create/update/delete: the item) or ``"event"`` (event: ``{type, data}``).
        With ``sync``, first ``{"type": "sync", "data": [the group's items]}``, read after the
        subscription started (so no change falls in between). A change made before the read
        can still arrive after it (it travels through NATS); one that only restates an item as
        the sync has it is not passed on."""
        self.definition(stream)
        queue: asyncio.Queue[Change] = asyncio.Queue()
        sub = self.watch(stream, group, item, queue.put_nowait)
        synced = Synced([])
        try:
            if sync:
                items = await self.get_group(stream, group)
                synced = Synced(items)
                yield {"type": "sync", "data": items, "timestamp": self._timestamp()}
            while True:
                change = await queue.get()
                if synced.passes(change):
                    yield {**change.event(), "id": change.id, "timestamp": change.timestamp}
        finally:
            sub.close()
