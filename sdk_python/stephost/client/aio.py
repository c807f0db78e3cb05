"""The ingress client, written once for asyncio; ``Client`` runs this same code for blocking use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from stephost.client import _wire as wire
from stephost.client.emit_stream import EmitStream, Unsupported
from stephost.client.values import Event, IngressError, Receipt, StepInfo, StreamChange
from stephost_wire.codec import dumps, loads
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc

DEFAULT_TARGET = "127.0.0.1:7070"
BATCH_SIZE = 500  # events per EmitBatch message
UPDATE_ATTEMPTS = 100  # update_state's tries before a lost compare-and-set goes up


class AsyncSubscription:
    """Changes of one stream group (or item) from an ``AsyncClient``; ``async for`` them,
    then ``cancel()`` or leave the ``async with`` block."""

    def __init__(self, call: Any) -> None:
        self._call = call
        self._cancelled = False

    async def __aiter__(self) -> AsyncIterator[StreamChange]:
        try:
            async for change in self._call:
                yield wire.change(change)
        except asyncio.CancelledError:
            self._call.cancel()
            task = asyncio.current_task()
            if self._cancelled and not (task and task.cancelling()):
                return  # cancel() ended the call: the iteration is over, nothing failed
            raise
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                raise wire.error(exc) from None

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()

    async def __aenter__(self) -> AsyncSubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cancel()


class AsyncClient:
    """The asyncio client; create and use it inside one event loop."""

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        token: str | None = None,
        stream_token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        tls_server_name: str | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        self._timeout = timeout
        # token: the host's ingress_token; stream_token: this client's own credential for the
        # project's stream auth hook (stream reads), as a browser passes it on the WebSocket.
        self._metadata = ((("authorization", f"Bearer {token}"),) if token else ()) + (
            (("stream-auth", stream_token),) if stream_token else ()
        )
        self._channel = wire.channel(target, tls, root_certificates, tls_server_name)
        self._stub = pb_grpc.IngressStub(self._channel)
        self._emits = EmitStream(self._stub, self._metadata)

    async def _call(self, method: Any, request: Any) -> Any:
        try:
            return await method(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.RpcError as exc:
            raise wire.error(exc) from None

    async def emit(
        self,
        topic: str,
        data: Any = None,
        *,
        message_group_id: str | None = None,
        idempotency_key: str | None = None,
        trace_id: str | None = None,
    ) -> Receipt:
        """Store one event durably; returns once JetStream has it. Concurrent emits share one
        ``EmitStream`` call (a unary ``Emit`` on a host without it)."""
        req = wire.emit_request(topic, data, message_group_id, idempotency_key, trace_id)
        if self._emits.supported:
            try:
                return wire.receipt(await self._emits.emit(req, self._timeout))
            except Unsupported:
                pass
        return wire.receipt(await self._call(self._stub.Emit, req))

    async def emit_batch(
        self, events: Iterable[Event | Mapping[str, Any]], *, batch_size: int = BATCH_SIZE
    ) -> list[Receipt]:
        """Many events over one stream, ``batch_size`` per message; receipts in order."""
        out: list[Receipt] = []
        call = self._stub.EmitBatch(metadata=self._metadata)

        async def write() -> None:
            for batch in wire.batches(events, batch_size):
                await call.write(batch)
            await call.done_writing()

        writer = asyncio.create_task(write())
        try:
            async for resp in call:
                out.extend(wire.receipt(r) for r in resp.receipts)
            await writer
        except grpc.RpcError as exc:
            raise wire.error(exc) from None
        finally:
            if not writer.done():
                writer.cancel()
                call.cancel()
        return out

    async def get_state(self, group: str, key: str) -> Any:
        resp = await self._call(self._stub.GetState, pb.GetStateRequest(group=group, key=key))
        return loads(resp.value_json)

    async def get_state_revision(self, group: str, key: str) -> tuple[Any, int]:
        """(value, revision); (None, 0) when there is no value. Pass the revision to
        ``set_state(..., expected_revision=)`` to write only if nobody wrote since."""
        resp = await self._call(self._stub.GetState, pb.GetStateRequest(group=group, key=key))
        return loads(resp.value_json), int(resp.revision)

    async def set_state(
        self, group: str, key: str, value: Any, *, expected_revision: int | None = None
    ) -> Any:
        """Store the value. With ``expected_revision`` (0: the key must have no value) the
        write happens only if the revision is still that one; otherwise it raises
        ``IngressError`` with code ``ABORTED`` and nothing is written."""
        req = pb.SetStateRequest(group=group, key=key, value_json=dumps(value))
        if expected_revision is not None:
            req.expected_revision = expected_revision
        return loads((await self._call(self._stub.SetState, req)).value_json)

    async def update_state(
        self, group: str, key: str, fn: Callable[[Any], Any], *, attempts: int = UPDATE_ATTEMPTS
    ) -> Any:
        """Atomically replace the value with ``fn(old)`` and return it; ``fn`` runs again on
        the fresh value when another writer got in between (up to ``attempts`` times, then
        the ``ABORTED`` ``IngressError`` goes up)."""
        for attempt in range(attempts):
            old, revision = await self.get_state_revision(group, key)
            try:
                return await self.set_state(group, key, fn(old), expected_revision=revision)
            except IngressError as exc:
                if exc.code != "ABORTED" or attempt + 1 == attempts:
                    raise
        raise ValueError(f"update_state needs attempts >= 1, got {attempts}")

    async def delete_state(self, group: str, key: str) -> Any:
        """Returns the value that was deleted, or None."""
        req = pb.DeleteStateRequest(group=group, key=key)
        return loads((await self._call(self._stub.DeleteState, req)).value_json)

    async def get_group(self, group: str) -> list[Any]:
        resp = await self._call(self._stub.GetGroup, pb.GetGroupRequest(group=group))
        return [loads(v) for v in resp.values_json]

    async def get_stream_item(self, stream: str, group_id: str, id: str) -> Any:
        req = pb.GetStreamItemRequest(stream=stream, group_id=group_id, id=id)
        return loads((await self._call(self._stub.GetStreamItem, req)).item_json)

    async def get_stream_group(self, stream: str, group_id: str) -> list[Any]:
        req = pb.GetStreamGroupRequest(stream=stream, group_id=group_id)
        return [loads(i) for i in (await self._call(self._stub.GetStreamGroup, req)).items_json]

    async def subscribe_stream(self, stream: str, group_id: str, id: str | None = None) -> AsyncSubscription:
        """Follow a stream group (or one item); returns once the host is subscribed."""
        req = pb.SubscribeStreamRequest(stream=stream, group_id=group_id, id=id or "")
        call = self._stub.SubscribeStream(req, metadata=self._metadata)
        try:
            metadata = await call.initial_metadata()
            if not wire.says(metadata, wire.SUBSCRIBED):
                code = await call.code()
                raise IngressError(code.name, await call.details() or "the subscription ended early")
        except grpc.RpcError as exc:
            raise wire.error(exc) from None
        return AsyncSubscription(call)

    async def list_steps(self) -> list[StepInfo]:
        resp = await self._call(self._stub.ListSteps, pb.ListStepsRequest())
        return [wire.step_info(s) for s in resp.steps]

    async def close(self) -> None:
        await self._emits.close()
        await self._channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
