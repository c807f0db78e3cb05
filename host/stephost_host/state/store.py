"""ctx.state on a NATS KV bucket: any JSON value under any (group, key) strings.

Group and key are encoded into KV-safe tokens (see names.py), so a whole group is one
subject wildcard: get_group is one short-lived reader (natsio/kv.py), clear is one purge.
"""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_host.natsio.kv import get_json, keys, values
from stephost_host.natsio.publish import store
from stephost_wire import codec


class StateStore:
    def __init__(self, nc: NATS, js: JetStreamContext, kv: KeyValue) -> None:
        self.nc = nc
        self.js = js
        self.kv = kv

    async def get(self, group: str, key: str) -> Any:
        found = await get_json(self.kv, names.state_key(group, key))
        return found[0] if found else None

    async def set(self, group: str, key: str, value: Any) -> Any:
        await self._put(names.state_key(group, key), codec.dumps_bytes(value))
        return value

    async def _put(self, name: str, data: bytes) -> int:
        """``kv.put`` on the host's lean write path (natsio/publish.py): a put is a plain
        publish to the key's subject. ``state_key`` names are KV-safe by construction."""
        # nats-py keeps the bucket's subject prefix and the timeout private.
        stored = await store(self.nc, f"{self.kv._pre}{name}", data, timeout=self.kv._js._timeout)
        return stored.seq

    async def get_revision(self, group: str, key: str) -> tuple[Any, int]:
        """(value, revision); (None, 0) when the key has no value."""
        return await get_json(self.kv, names.state_key(group, key)) or (None, 0)

    async def set_if(self, group: str, key: str, value: Any, expected: int | None) -> int | None:
        """Store ``value`` if the key's revision is still ``expected`` (0: it has no value;
        None: whatever it is). The new revision, or None when the revision moved."""
        name, data = names.state_key(group, key), codec.dumps_bytes(value)
        try:
            if expected is None:
                return await self._put(name, data)
            if expected == 0:  # create also takes over a deleted key's place
                return int(await self.kv.create(name, data))
            return int(await self.kv.update(name, data, last=expected))
        except KeyWrongLastSequenceError:
            return None

    async def delete(self, group: str, key: str) -> Any:
        old = await self.get(group, key)
        if old is not None:
            await self.kv.delete(names.state_key(group, key))
        return old

    async def get_group(self, group: str) -> list[Any]:
        return await values(self.nc, self.js, names.STATE_BUCKET, names.state_group_filter(group))

    async def keys(self) -> list[tuple[str, str]]:
        """Every (group, key) holding a value (for the Workbench; handlers read by name)."""
        found = await keys(self.nc, self.js, names.STATE_BUCKET, "*.*")
        return [(names.untoken(g), names.untoken(k)) for g, k in (name.split(".", 1) for name in found)]

    async def clear(self, group: str) -> None:
        await self.js.purge_stream(
            f"KV_{names.STATE_BUCKET}", subject=f"$KV.{names.STATE_BUCKET}.{names.state_group_filter(group)}"
        )
