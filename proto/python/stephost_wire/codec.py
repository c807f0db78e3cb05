"""The sidecar protocol's codec shared by every Python peer: JSON, batching, gRPC options."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

PROTOCOL_VERSION = 1
MAX_BATCH = 512
M = TypeVar("M")
B = TypeVar("B")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    return json.loads(text) if text else None


async def batches(queue: asyncio.Queue[M | None], make_batch: Callable[[list[M]], B]) -> AsyncIterator[B]:
    """Drain everything queued into one batch per write; a None in the queue ends the stream.

    One gRPC message per batch instead of per item is what keeps a busy stream cheap.
    """
    while True:
        first = await queue.get()
        if first is None:
            return
        items = [first]
        while len(items) < MAX_BATCH:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if item is None:
                yield make_batch(items)
                return
            items.append(item)
        yield make_batch(items)


def grpc_options(max_message_mb: int = 64) -> list[tuple[str, int]]:
    # No gRPC keepalive: in-band heartbeats on the stream detect a dead peer, and
    # mismatched keepalive settings make servers drop clients with GOAWAY.
    size = max_message_mb * 1024 * 1024
    return [("grpc.max_send_message_length", size), ("grpc.max_receive_message_length", size)]
