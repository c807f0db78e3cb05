"""``emit()`` over one long-lived ``EmitStream`` call instead of a gRPC call per event.

A unary call costs both ends far more than the emit it carries, and a producer emitting one
event at a time with many in flight pays it for every event. Each ``emit()`` here queues its
event; whatever is queued when the call can take more goes out in one message, and each
receipt (or refusal, with the status a unary ``Emit`` would fail with) settles its own
``emit()``. A host without ``EmitStream`` (older) answers UNIMPLEMENTED: the client then
uses unary ``Emit`` for good.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import grpc

from stephost.client import _wire as wire
from stephost.client.values import IngressError
from stephost_wire import codec
from stephost_wire.v1 import ingress_pb2 as pb

CLOSE_WAIT = 5.0  # seconds close() lets receipts on their way arrive


class Unsupported(Exception):
    """The host has no EmitStream: send this event (and every later one) with unary Emit."""


class _Call:
    """One open EmitStream call: what it still has to send, and who waits for what."""

    def __init__(self) -> None:
        self.outgoing: asyncio.Queue[pb.StreamedEmit | None] = asyncio.Queue()
        self.waiting: dict[int, asyncio.Future[pb.StreamedReceipt]] = {}
        self.tasks: list[asyncio.Task[None]] = []  # its writer and its reader


class EmitStream:
    def __init__(self, stub: Any, metadata: tuple[tuple[str, str], ...]) -> None:
        self._stub = stub
        self._metadata = metadata
        self._call: _Call | None = None
        self._ids = itertools.count(1)
        self.supported = True

    async def emit(self, event: pb.EmitRequest, timeout: float | None) -> pb.EmitReceipt:
        """The event's receipt once stored; IngressError as a unary Emit would raise it."""
        call = self._call or self._open()
        emit_id = next(self._ids)
        answer: asyncio.Future[pb.StreamedReceipt] = asyncio.get_running_loop().create_future()
        call.waiting[emit_id] = answer
        call.outgoing.put_nowait(pb.StreamedEmit(id=emit_id, event=event))
        try:
            got = await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise IngressError(
                "DEADLINE_EXCEEDED",
                f"no receipt within {timeout:g}s; the event may have been stored "
                "(send it again with the same idempotency_key to be sure it is stored once)",
            ) from None
        finally:
            call.waiting.pop(emit_id, None)
        if got.error_code:
            raise IngressError(got.error_code, got.error_message)
        return got.receipt

    def _open(self) -> _Call:
        call = self._call = _Call()
        stream = self._stub.EmitStream(metadata=self._metadata)
        loop = asyncio.get_running_loop()
        call.tasks = [loop.create_task(_write(call, stream)), loop.create_task(self._read(call, stream))]
        return call

    async def _read(self, call: _Call, stream: Any) -> None:
        failure: Exception = IngressError("UNAVAILABLE", "the emit stream ended before answering")
        try:
            async for response in stream:
                for receipt in response.receipts:
                    answer = call.waiting.get(receipt.id)
                    if answer is not None and not answer.done():
                        answer.set_result(receipt)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                self.supported = False
                failure = Unsupported()
            else:
                failure = wire.error(exc)
        finally:
            if self._call is call:
                self._call = None  # the next emit opens a new call
            for task in call.tasks:
                if task is not asyncio.current_task():
                    task.cancel()  # the writer: nothing it still holds can be answered
            for answer in call.waiting.values():
                if not answer.done():
                    answer.set_exception(failure)

    async def close(self, timeout: float = CLOSE_WAIT) -> None:
        """End the call's sending side and let receipts on their way settle their emits (for
        up to ``timeout`` seconds); then stop."""
        call, self._call = self._call, None
        if call is None:
            return
        call.outgoing.put_nowait(None)
        _, late = await asyncio.wait(call.tasks, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


async def _write(call: _Call, stream: Any) -> None:
    """Everything queued when the call can take more, in one message; None ends the sending.

    Nothing is written before the host says the call is open: grpc.aio can report a write
    into a call the server has already ended as INTERNAL, hiding its real status (an older
    host's UNIMPLEMENTED, a refused token's UNAUTHENTICATED), which the reader reports."""
    try:
        metadata = await stream.initial_metadata()
        if not wire.says(metadata, wire.EMIT_STREAM_OPEN):
            return
        async for request in codec.batches(call.outgoing, _request, lambda e, exc: _too_big(call, e, exc)):
            await stream.write(request)
        await stream.done_writing()
    except (grpc.RpcError, asyncio.InvalidStateError):
        pass  # the call ended: the reader fails what was waiting


def _request(emits: list[pb.StreamedEmit]) -> pb.EmitStreamRequest:
    return pb.EmitStreamRequest(emits=emits)


def _too_big(call: _Call, emit: pb.StreamedEmit, exc: codec.MessageTooLarge) -> None:
    """An event no gRPC message can carry fails alone, as a unary call would."""
    answer = call.waiting.get(emit.id)
    if answer is not None and not answer.done():
        answer.set_exception(IngressError("RESOURCE_EXHAUSTED", f"the event is {exc}"))
