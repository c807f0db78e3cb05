"""Streams: set() in a handler -> receipt by a WebSocket client; and fan-out to 100 clients."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import httpx
from websockets.asyncio.client import ClientConnection, connect


@dataclass
class Latency:
    samples: list[float]

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def _joined(ws_url: str, group: str) -> ClientConnection:
    ws = await connect(ws_url)
    await ws.send(
        json.dumps(
            {"type": "join", "data": {"streamName": "ticker", "groupId": group, "subscriptionId": "bench"}}
        )
    )
    await ws.recv()  # the sync
    return ws


async def set_to_socket_latency(http_url: str, n: int) -> Latency:
    ws = await _joined(http_url.replace("http://", "ws://"), "latency")
    samples = []
    async with httpx.AsyncClient(base_url=http_url) as http:
        for i in range(n):
            await http.post(f"/tick/latency/item-{i % 10}", json={})
            frame = json.loads(await ws.recv())
            samples.append(time.time() - frame["event"]["data"]["sentAt"])
    await ws.close()
    return Latency(samples)


async def fan_out(http_url: str, clients: int, updates: int, writers: int = 4) -> tuple[float, float]:
    """(updates/s delivered in total across all clients, seconds) for `updates` sets."""
    sockets = await asyncio.gather(
        *(_joined(http_url.replace("http://", "ws://"), "fan") for _ in range(clients))
    )

    async def drain(ws: ClientConnection) -> None:
        for _ in range(updates):
            await ws.recv()

    per_writer = updates // writers
    started = time.perf_counter()
    receivers = [asyncio.create_task(drain(ws)) for ws in sockets]
    async with httpx.AsyncClient(base_url=http_url, timeout=120) as http:
        await asyncio.gather(
            *(http.post(f"/burst/fan/{per_writer}", json={"prefix": f"w{w}"}) for w in range(writers))
        )
    await asyncio.wait_for(asyncio.gather(*receivers), timeout=120)
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(ws.close() for ws in sockets))
    return clients * per_writer * writers / elapsed, elapsed
