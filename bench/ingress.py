"""Ingress throughput: emits/s through the gRPC ingress (unary Emit, and EmitBatch streams)
into a topic with one Python subscriber, beside raw nats-py JetStream publishes onto the same
topic of the same stream, on the same server, with the same host and subscriber running.

Every figure counts acknowledged (stored) events; the subscriber drains between runs so
each one starts from an idle host.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import nats

from bench.events import WINDOW, Rate
from bench.procs import Code, start_host, state_dir
from stephost import AsyncClient
from stephost_host import names
from stephost_host.natsio.embedded import EmbeddedNats
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc

TOPIC = "bench.sink"
STEP = "sink"
BODY = {"n": 1, "payload": "0123456789abcdef"}  # the same body the raw publishes carry
BATCH = 500


async def windowed(what: str, n: int, one: Callable[[], Awaitable[object]]) -> Rate:
    """``n`` calls of ``one``, WINDOW in flight at a time: every one-event-per-call row. The
    rate carries this process's CPU time meanwhile (its gRPC threads included): what the
    calls cost the caller."""
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, n, WINDOW):
        await asyncio.gather(*(one() for _ in range(min(WINDOW, n - start))))
    return Rate(what, n, time.perf_counter() - started, time.process_time() - cpu)


async def raw_publish(url: str, n: int) -> Rate:
    """nats-py publishes straight into the events stream, each awaiting its PubAck."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    subject = names.topic_subject(TOPIC)
    body = json.dumps(BODY, separators=(",", ":")).encode()
    headers = {names.HEADER_TRACE: "bench"}
    rate = await windowed(
        "raw nats-py JetStream publish",
        n,
        lambda: js.publish(subject, body, headers=headers, stream=names.EVENTS_STREAM),
    )
    await nc.close()
    return rate


async def one_by_one(address: str, n: int) -> Rate:
    """The client's emit(), one event per call, WINDOW calls in flight (the raw publishes'
    window). They share one EmitStream call (a host without it: a unary Emit each)."""
    async with AsyncClient(address) as client:
        await client.emit(TOPIC, BODY)  # connect before the clock starts
        return await windowed("ingress emit()", n, lambda: client.emit(TOPIC, BODY))


async def unary(address: str, n: int) -> Rate:
    """A unary Emit gRPC call per event, WINDOW in flight: what a client in another language
    that calls Emit directly gets."""
    async with grpc.aio.insecure_channel(address) as channel:
        emit = pb_grpc.IngressStub(channel).Emit
        data = json.dumps(BODY, separators=(",", ":"))
        await emit(pb.EmitRequest(topic=TOPIC, data_json=data))
        return await windowed(
            "ingress Emit (unary)", n, lambda: emit(pb.EmitRequest(topic=TOPIC, data_json=data))
        )


async def batched(address: str, n: int) -> Rate:
    """One EmitBatch stream, BATCH events per message."""
    async with AsyncClient(address) as client:
        await client.emit(TOPIC, BODY)
        started = time.perf_counter()
        receipts = await client.emit_batch(
            ({"topic": TOPIC, "data": BODY} for _ in range(n)), batch_size=BATCH
        )
        elapsed = time.perf_counter() - started
    assert len(receipts) == n
    return Rate(f"ingress EmitBatch ({BATCH}/message)", n, elapsed)


async def drained(url: str, timeout: float = 300.0) -> None:
    """Wait until the subscriber has acknowledged everything on its topic."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    consumer = names.consumer_name(TOPIC, STEP)
    deadline = time.monotonic() + timeout
    try:
        while True:
            info = await js.consumer_info(names.EVENTS_STREAM, consumer)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the subscriber still has {info.num_pending} events after {timeout}s")
            await asyncio.sleep(0.05)
    finally:
        await nc.close()


def _one_server(project: Path, tmp: Path, url: str, n: int, code: Code) -> list[Rate]:
    """[raw baseline, emit(), unary, batched] with one host and its subscriber on the server at ``url``."""
    host, _ = start_host(project, tmp, url, live=1, code=code)
    loop = asyncio.new_event_loop()
    try:
        address = json.loads((state_dir(tmp, project, code) / "runtime.json").read_text())["ingress"]
        rows = []
        for run in (raw_publish(url, n), one_by_one(address, n), unary(address, n), batched(address, n)):
            loop.run_until_complete(drained(url))
            rows.append(loop.run_until_complete(run))
        loop.run_until_complete(drained(url))
    finally:
        loop.close()
        host.stop()
    return rows


def bench_ingress(project: Path, tmp: Path, n: int, code: Code) -> dict[str, list[Rate]]:
    """On a server with sync_interval: always (the host's default: every emit waits for a disk
    flush, whoever sends it) and on one with JetStream's default fsync (where CPU decides):
    [raw, emit(), unary, batched] per setting."""
    out: dict[str, list[Rate]] = {}
    for sync in (True, False):
        label = "fsync always" if sync else "NATS default fsync"
        server = EmbeddedNats(
            tmp / f"nats-ingress-{sync}-{code.label}", sync_always=sync, server_name=f"ingress-{sync}"
        )
        loop = asyncio.new_event_loop()
        url = loop.run_until_complete(server.start())
        try:
            out[label] = _one_server(project, tmp, url, n, code)
        finally:
            loop.run_until_complete(server.stop())
            loop.close()
    return out
