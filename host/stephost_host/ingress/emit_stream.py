"""EmitStream: many independent emits on one call, each answered on its own.

A gRPC call per event costs grpc.aio far more host CPU than the emit it carries. Here a
client keeps one call open and sends its events as it has them; each is checked and stored
exactly as a unary Emit would be, concurrently with the others, and its receipt or refusal
goes back as soon as it is known, all that are ready in one message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from stephost_wire import codec
from stephost_wire.v1 import ingress_pb2 as pb

# Events of one call being stored at once; past it the call is not read until one is done
# (gRPC's flow control then holds the client back).
IN_FLIGHT = 1024
# Initial metadata once the call is authenticated: clients write after it (see ingress.proto).
OPEN = (("stephost-emit-stream", "1"),)


async def answers(
    requests: AsyncIterator[pb.EmitStreamRequest],
    emit_one: Callable[[pb.StreamedEmit], Awaitable[pb.StreamedReceipt]],
) -> AsyncIterator[pb.EmitStreamResponse]:
    """The call's response side: receipts as their events are stored, until the client has
    ended its side and every event of it is answered."""
    done: asyncio.Queue[pb.StreamedReceipt | None] = asyncio.Queue()
    room = asyncio.Semaphore(IN_FLIGHT)
    running: set[asyncio.Task[None]] = set()

    async def one(emit: pb.StreamedEmit) -> None:
        try:
            done.put_nowait(await emit_one(emit))
        finally:
            room.release()

    async def read() -> None:
        try:
            async for request in requests:
                for emit in request.emits:
                    await room.acquire()
                    task = asyncio.create_task(one(emit))
                    running.add(task)
                    task.add_done_callback(running.discard)
            while running:  # the client is done sending: answer what is still being stored
                await asyncio.wait(set(running))
        finally:
            done.put_nowait(None)

    reader = asyncio.create_task(read())
    try:
        async for batch in codec.batches(done, _response, lambda _receipt, _exc: None):
            yield batch
    finally:
        # A client that went away: its events in flight are still stored (as a cancelled
        # unary Emit's may be), only nobody is told.
        reader.cancel()


def _response(receipts: list[pb.StreamedReceipt]) -> pb.EmitStreamResponse:
    return pb.EmitStreamResponse(receipts=receipts)
