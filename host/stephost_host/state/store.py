"""ctx.state on a NATS KV bucket: any JSON value under any (group, key) strings.

Group and key are encoded into KV-safe tokens (see names.py), so a whole group is one
subject wildcard: get_group is one watch, clear is one purge.
"""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from stephost import _wire
from stephost_host import names


class StateStore:
    def __init__(self, js: JetStreamContext, kv: KeyValue) -> None:
        self.js = js
        self.kv = kv

    async def get(self, group: str, key: str) -> Any:
        try:
            entry = await self.kv.get(names.state_key(group, key))
        except (KeyNotFoundError, KeyDeletedError):
            return None
        return _wire.loads(entry.value.decode()) if entry.value else None

    async def set(self, group: str, key: str, value: Any) -> Any:
        await self.kv.put(names.state_key(group, key), _wire.dumps(value).encode())
        return value

    async def delete(self, group: str, key: str) -> Any:
        old = await self.get(group, key)
        if old is not None:
            await self.kv.delete(names.state_key(group, key))
        return old

    async def get_group(self, group: str) -> list[Any]:
        watcher = await self.kv.watch(names.state_group_filter(group), ignore_deletes=True)
        values: list[Any] = []
        try:
            async for entry in watcher:
                if entry is None:  # the initial values are all delivered
                    break
                if entry.value:
                    values.append(_wire.loads(entry.value.decode()))
                if entry.delta == 0:
                    break
        finally:
            await watcher.stop()
        return values

    async def clear(self, group: str) -> None:
        await self.js.purge_stream(
            f"KV_{names.STATE_BUCKET}", subject=f"$KV.{names.STATE_BUCKET}.{names.state_group_filter(group)}"
        )
