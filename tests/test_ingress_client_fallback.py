"""The Python client's emit() rides on EmitStream; against a host that predates it (its
Ingress has no EmitStream: UNIMPLEMENTED) it falls back to unary Emit, for good. The older
host is played by a gRPC server with only Emit: what such a host answers is exactly that."""

from __future__ import annotations

import asyncio

import grpc

from stephost import AsyncClient
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc


class _OlderIngress(pb_grpc.IngressServicer):
    def __init__(self) -> None:
        self.emits: list[str] = []

    async def Emit(self, request: pb.EmitRequest, context: grpc.aio.ServicerContext) -> pb.EmitReceipt:
        self.emits.append(request.topic)
        return pb.EmitReceipt(trace_id="t", stream="EVENTS", sequence=len(self.emits))


def test_emit_falls_back_to_unary_on_a_host_without_emit_stream() -> None:
    async def scenario() -> None:
        older = _OlderIngress()
        server = grpc.aio.server()
        pb_grpc.add_IngressServicer_to_server(older, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with AsyncClient(f"127.0.0.1:{port}") as client:
                first = await asyncio.gather(*(client.emit("a.b", i) for i in range(3)))
                assert not client._emits.supported
                later = await client.emit("a.b", 3)
            assert sorted(r.sequence for r in first) == [1, 2, 3] and later.sequence == 4
            assert older.emits == ["a.b"] * 4
        finally:
            await server.stop(None)

    asyncio.run(scenario())
