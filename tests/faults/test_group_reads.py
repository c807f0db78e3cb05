"""Group reads leave nothing behind on the NATS server.

A state or stream group read used to be a KV watch, whose consumer stays on the server
for five minutes after the read; enough reads in a row exhaust the server's consumers
and then every group read fails. Here a real host serves 10,000 state group reads over
the ingress and 5,000 WebSocket joins (each one a stream group read), and afterwards a
read still works and the state and streams buckets have no consumers left.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import httpx
import nats
import pytest
from websockets.asyncio.client import connect

from stephost_host import names
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "group_reads"
STATE_READS = 10_000
WS_JOINS = 5_000
READERS = 16  # group reads in flight at once
SOCKETS = 16  # WebSocket connections sharing the joins
KEYS = 5


async def state_reads(address: str, group: str) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.IngressStub(channel)
        await stub.SetState(pb.SetStateRequest(group=group, key="seed", value_json="0"))
        for i in range(1, KEYS):
            await stub.SetState(pb.SetStateRequest(group=group, key=f"k{i}", value_json=str(i)))
        todo = iter(range(STATE_READS))

        async def reader() -> None:
            for _ in todo:
                got = await stub.GetGroup(pb.GetGroupRequest(group=group), timeout=30)
                assert len(got.values_json) == KEYS

        await asyncio.gather(*(reader() for _ in range(READERS)))


async def ws_joins(http_url: str, group: str) -> None:
    todo = iter(range(WS_JOINS))

    async def socket() -> None:
        async with connect(http_url.replace("http://", "ws://") + "/") as ws:
            for n in todo:
                room = {"streamName": "board", "groupId": group, "subscriptionId": f"s{n}"}
                await ws.send(json.dumps({"type": "join", "data": room}))
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert frame["event"]["type"] == "sync" and len(frame["event"]["data"]) == 1, frame
                await ws.send(json.dumps({"type": "leave", "data": room}))

    await asyncio.gather(*(socket() for _ in range(SOCKETS)))


@pytest.mark.timeout(300)  # ~45 s on an idle 2-core machine; the full counts are what the issue asks
def test_thousands_of_group_reads_leave_no_consumers(tmp_path: Path, nats_server: NatsServer) -> None:
    host = HostProcess(PROJECT, tmp_path / "host", nats_server.url).wait_ready(1)
    try:
        group = uuid.uuid4().hex[:8]
        r = httpx.post(f"{host.url}/pin/{group}/a", json={"title": "pinned"}, timeout=10)
        assert r.status_code == 200, r.text

        started = time.monotonic()
        asyncio.run(state_reads(str(host.info["ingress"]), group))
        halfway = time.monotonic()
        asyncio.run(ws_joins(host.url, group))
        print(
            f"{STATE_READS} state group reads in {halfway - started:.1f}s, "
            f"{WS_JOINS} WebSocket joins in {time.monotonic() - halfway:.1f}s"
        )

        async def consumers() -> dict[str, int]:
            nc = await nats.connect(nats_server.url)
            try:
                js = nc.jetstream()
                return {
                    bucket: (await js.stream_info(f"KV_{bucket}")).state.consumer_count
                    for bucket in (names.STATE_BUCKET, names.STREAMS_BUCKET)
                }
            finally:
                await nc.close()

        def none_left() -> dict[str, int]:
            left = nats_server.loop.run_until_complete(consumers())
            assert left == {names.STATE_BUCKET: 0, names.STREAMS_BUCKET: 0}, left
            return left

        # Well inside the readers' inactivity backstop: the reads deleted their own consumers.
        eventually(none_left, timeout=3, what="no consumers left on the state and streams buckets")

        async def one_more() -> Any:
            async with grpc.aio.insecure_channel(str(host.info["ingress"])) as channel:
                return await pb_grpc.IngressStub(channel).GetGroup(pb.GetGroupRequest(group=group))

        assert len(asyncio.run(one_more()).values_json) == KEYS
        assert httpx.get(f"{host.url}/__stephost/streams/board/{group}", timeout=10).json() == [
            {"title": "pinned", "id": "a"}
        ]
    finally:
        host.stop()
