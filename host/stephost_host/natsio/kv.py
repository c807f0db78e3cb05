"""JSON values on NATS KV: the reads state and streams both need."""

from __future__ import annotations

from typing import Any

from nats.js.errors import KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from stephost_wire import codec


async def get_json(kv: KeyValue, key: str) -> tuple[Any, int] | None:
    """(value, revision), or None when the key is missing or deleted."""
    try:
        entry = await kv.get(key)
    except (KeyNotFoundError, KeyDeletedError):
        return None
    if entry.value is None:
        return None
    return codec.loads(entry.value.decode()), int(entry.revision or 0)


async def values(kv: KeyValue, pattern: str) -> list[Any]:
    """Current values of every key matching the pattern (one watch, not one get per key)."""
    watcher = await kv.watch(pattern, ignore_deletes=True)
    out: list[Any] = []
    try:
        async for entry in watcher:
            if entry is None:  # the initial values are all delivered
                break
            if entry.value:
                out.append(codec.loads(entry.value.decode()))
            if entry.delta == 0:
                break
    finally:
        await watcher.stop()
    return out
