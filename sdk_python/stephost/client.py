"""A client for a host's public gRPC ingress, for services that are not steps.

    from stephost import Client

    with Client("127.0.0.1:7070", token="...") as client:
        receipt = client.emit("order.created", {"id": "1"}, idempotency_key="order-1")
        client.set_state("orders", "1", {"status": "new"})

``AsyncClient`` has the same methods as coroutines. Every call raises ``IngressError``
(with the gRPC status name in ``code``) when the host refuses it or cannot be reached.
Nothing here exposes generated protobuf types: arguments and results are plain Python
values and the dataclasses below.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from stephost.errors import StephostError
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc

DEFAULT_TARGET = "127.0.0.1:7070"
BATCH_SIZE = 500  # events per EmitBatch message
_SUBSCRIBED = "stephost-subscribed"
_MAX_MESSAGE = 64 * 1024 * 1024


class IngressError(StephostError):
    """The host refused a call, or could not be reached.

    ``code`` is the gRPC status name: ``INVALID_ARGUMENT``, ``UNAUTHENTICATED``,
    ``NOT_FOUND``, ``ALREADY_EXISTS``, ``UNAVAILABLE``, ...
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Receipt:
    """Where an emitted event was stored. ``duplicate``: a retried idempotency key (the
    receipt is the first emit's, and nothing new was stored)."""

    trace_id: str
    stream: str
    sequence: int
    duplicate: bool = False


@dataclass(frozen=True)
class Event:
    """One event for ``emit_batch`` (a mapping with the same keys, or Motia's camelCase
    ``messageGroupId``/``idempotencyKey``/``traceId``, works too)."""

    topic: str
    data: Any = None
    message_group_id: str | None = None
    idempotency_key: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True)
class StepInfo:
    name: str
    type: str
    language: str
    file: str
    live: bool
    flows: list[str] = field(default_factory=list)
    subscribes: list[str] = field(default_factory=list)
    emits: list[str] = field(default_factory=list)
    method: str = ""
    path: str = ""
    cron: str = ""
    description: str = ""


@dataclass(frozen=True)
class StreamChange:
    """``type`` is create, update, delete (``data``: the item) or event (``event_type``
    and ``data``: what streams.send sent)."""

    type: str
    id: str
    data: Any
    event_type: str = ""


# -- shared by both clients -----------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _loads(text: str) -> Any:
    return json.loads(text) if text else None


def _request(
    topic: str,
    data: Any,
    message_group_id: str | None,
    idempotency_key: str | None,
    trace_id: str | None,
) -> pb.EmitRequest:
    return pb.EmitRequest(
        topic=topic,
        data_json=_dumps(data),
        message_group_id=message_group_id or "",
        idempotency_key=idempotency_key or "",
        trace_id=trace_id or "",
    )


def _event_request(event: Event | Mapping[str, Any]) -> pb.EmitRequest:
    if isinstance(event, Event):
        return _request(
            event.topic, event.data, event.message_group_id, event.idempotency_key, event.trace_id
        )
    e = dict(event)
    return _request(
        e["topic"],
        e.get("data"),
        e.get("message_group_id", e.get("messageGroupId")),
        e.get("idempotency_key", e.get("idempotencyKey")),
        e.get("trace_id", e.get("traceId")),
    )


def _batches(events: Iterable[Event | Mapping[str, Any]], size: int) -> Iterator[pb.EmitBatchRequest]:
    batch: list[pb.EmitRequest] = []
    for event in events:
        batch.append(_event_request(event))
        if len(batch) >= size:
            yield pb.EmitBatchRequest(events=batch)
            batch = []
    if batch:
        yield pb.EmitBatchRequest(events=batch)


def _receipt(r: pb.EmitReceipt) -> Receipt:
    return Receipt(r.trace_id, r.stream, r.sequence, r.duplicate)


def _step(s: pb.StepInfo) -> StepInfo:
    return StepInfo(
        s.name,
        s.type,
        s.language,
        s.file,
        s.live,
        list(s.flows),
        list(s.subscribes),
        list(s.emits),
        s.method,
        s.path,
        s.cron,
        s.description,
    )


def _change(c: pb.StreamChange) -> StreamChange:
    return StreamChange(c.type, c.id, _loads(c.data_json), c.event_type)


def _error(exc: grpc.RpcError) -> IngressError:
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return IngressError(code.name if code is not None else "UNKNOWN", details or "")


def _credentials(tls: bool, root_certificates: bytes | str | Path | None) -> grpc.ChannelCredentials | None:
    if not tls and root_certificates is None:
        return None
    roots = root_certificates
    if isinstance(roots, str | Path):
        roots = Path(roots).read_bytes()
    return grpc.ssl_channel_credentials(root_certificates=roots)


def _options(tls_server_name: str | None) -> list[tuple[str, Any]]:
    opts: list[tuple[str, Any]] = [
        ("grpc.max_send_message_length", _MAX_MESSAGE),
        ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ]
    if tls_server_name:
        opts.append(("grpc.ssl_target_name_override", tls_server_name))
    return opts


class _Base:
    def __init__(
        self,
        target: str,
        token: str | None,
        tls: bool,
        root_certificates: bytes | str | Path | None,
        tls_server_name: str | None,
        timeout: float | None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._creds = _credentials(tls, root_certificates)
        self._options = _options(tls_server_name)


# -- sync -----------------------------------------------------------------------


class Subscription:
    """Changes of one stream group (or item) from a ``Client``; iterate, then ``cancel()``
    or leave the ``with`` block. The host is subscribed by the time you hold this."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def __iter__(self) -> Iterator[StreamChange]:
        try:
            for change in self._call:
                yield _change(change)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                raise _error(exc) from None

    def cancel(self) -> None:
        self._call.cancel()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


class Client:
    """Blocking client; safe to share between threads."""

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        tls_server_name: str | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        b = _Base(target, token, tls, root_certificates, tls_server_name, timeout)
        self._b = b
        self._channel = (
            grpc.secure_channel(target, b._creds, options=b._options)
            if b._creds
            else grpc.insecure_channel(target, options=b._options)
        )
        self._stub = pb_grpc.IngressStub(self._channel)

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request, metadata=self._b._metadata, timeout=self._b.timeout)
        except grpc.RpcError as exc:
            raise _error(exc) from None

    def emit(
        self,
        topic: str,
        data: Any = None,
        *,
        message_group_id: str | None = None,
        idempotency_key: str | None = None,
        trace_id: str | None = None,
    ) -> Receipt:
        """Store one event durably; returns once JetStream has it."""
        req = _request(topic, data, message_group_id, idempotency_key, trace_id)
        return _receipt(self._call(self._stub.Emit, req))

    def emit_batch(
        self, events: Iterable[Event | Mapping[str, Any]], *, batch_size: int = BATCH_SIZE
    ) -> list[Receipt]:
        """Many events over one stream, ``batch_size`` per message; receipts in order."""
        out: list[Receipt] = []
        try:
            for resp in self._stub.EmitBatch(_batches(events, batch_size), metadata=self._b._metadata):
                out.extend(_receipt(r) for r in resp.receipts)
        except grpc.RpcError as exc:
            raise _error(exc) from None
        return out

    def get_state(self, group: str, key: str) -> Any:
        return _loads(self._call(self._stub.GetState, pb.GetStateRequest(group=group, key=key)).value_json)

    def set_state(self, group: str, key: str, value: Any) -> Any:
        req = pb.SetStateRequest(group=group, key=key, value_json=_dumps(value))
        return _loads(self._call(self._stub.SetState, req).value_json)

    def delete_state(self, group: str, key: str) -> Any:
        """Returns the value that was deleted, or None."""
        req = pb.DeleteStateRequest(group=group, key=key)
        return _loads(self._call(self._stub.DeleteState, req).value_json)

    def get_group(self, group: str) -> list[Any]:
        resp = self._call(self._stub.GetGroup, pb.GetGroupRequest(group=group))
        return [_loads(v) for v in resp.values_json]

    def get_stream_item(self, stream: str, group_id: str, id: str) -> Any:
        req = pb.GetStreamItemRequest(stream=stream, group_id=group_id, id=id)
        return _loads(self._call(self._stub.GetStreamItem, req).item_json)

    def get_stream_group(self, stream: str, group_id: str) -> list[Any]:
        req = pb.GetStreamGroupRequest(stream=stream, group_id=group_id)
        return [_loads(i) for i in self._call(self._stub.GetStreamGroup, req).items_json]

    def subscribe_stream(self, stream: str, group_id: str, id: str | None = None) -> Subscription:
        """Follow a stream group (or one item); returns once the host is subscribed."""
        req = pb.SubscribeStreamRequest(stream=stream, group_id=group_id, id=id or "")
        call = self._stub.SubscribeStream(req, metadata=self._b._metadata)
        try:
            ready = any(k == _SUBSCRIBED for k, _ in call.initial_metadata() or ())
            if not ready:
                next(call)  # the call ended without subscribing: raise its status
                raise IngressError("UNKNOWN", "the host ended the subscription before it began")
        except grpc.RpcError as exc:
            raise _error(exc) from None
        except StopIteration:
            raise IngressError("UNKNOWN", "the host ended the subscription before it began") from None
        return Subscription(call)

    def list_steps(self) -> list[StepInfo]:
        return [_step(s) for s in self._call(self._stub.ListSteps, pb.ListStepsRequest()).steps]

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -- async ----------------------------------------------------------------------


class AsyncSubscription:
    """Changes of one stream group (or item) from an ``AsyncClient``; ``async for`` them,
    then ``cancel()`` or leave the ``async with`` block."""

    def __init__(self, call: Any) -> None:
        self._call = call

    async def __aiter__(self) -> AsyncIterator[StreamChange]:
        try:
            async for change in self._call:
                yield _change(change)
        except asyncio.CancelledError:
            self._call.cancel()
            raise
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                raise _error(exc) from None

    def cancel(self) -> None:
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
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        tls_server_name: str | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        b = _Base(target, token, tls, root_certificates, tls_server_name, timeout)
        self._b = b
        self._channel = (
            grpc.aio.secure_channel(target, b._creds, options=b._options)
            if b._creds
            else grpc.aio.insecure_channel(target, options=b._options)
        )
        self._stub = pb_grpc.IngressStub(self._channel)

    async def _call(self, method: Any, request: Any) -> Any:
        try:
            return await method(request, metadata=self._b._metadata, timeout=self._b.timeout)
        except grpc.RpcError as exc:
            raise _error(exc) from None

    async def emit(
        self,
        topic: str,
        data: Any = None,
        *,
        message_group_id: str | None = None,
        idempotency_key: str | None = None,
        trace_id: str | None = None,
    ) -> Receipt:
        """Store one event durably; returns once JetStream has it."""
        req = _request(topic, data, message_group_id, idempotency_key, trace_id)
        return _receipt(await self._call(self._stub.Emit, req))

    async def emit_batch(
        self, events: Iterable[Event | Mapping[str, Any]], *, batch_size: int = BATCH_SIZE
    ) -> list[Receipt]:
        """Many events over one stream, ``batch_size`` per message; receipts in order."""
        out: list[Receipt] = []
        call = self._stub.EmitBatch(metadata=self._b._metadata)

        async def write() -> None:
            for batch in _batches(events, batch_size):
                await call.write(batch)
            await call.done_writing()

        writer = asyncio.create_task(write())
        try:
            async for resp in call:
                out.extend(_receipt(r) for r in resp.receipts)
            await writer
        except grpc.RpcError as exc:
            raise _error(exc) from None
        finally:
            if not writer.done():
                writer.cancel()
                call.cancel()
        return out

    async def get_state(self, group: str, key: str) -> Any:
        resp = await self._call(self._stub.GetState, pb.GetStateRequest(group=group, key=key))
        return _loads(resp.value_json)

    async def set_state(self, group: str, key: str, value: Any) -> Any:
        req = pb.SetStateRequest(group=group, key=key, value_json=_dumps(value))
        return _loads((await self._call(self._stub.SetState, req)).value_json)

    async def delete_state(self, group: str, key: str) -> Any:
        """Returns the value that was deleted, or None."""
        req = pb.DeleteStateRequest(group=group, key=key)
        return _loads((await self._call(self._stub.DeleteState, req)).value_json)

    async def get_group(self, group: str) -> list[Any]:
        resp = await self._call(self._stub.GetGroup, pb.GetGroupRequest(group=group))
        return [_loads(v) for v in resp.values_json]

    async def get_stream_item(self, stream: str, group_id: str, id: str) -> Any:
        req = pb.GetStreamItemRequest(stream=stream, group_id=group_id, id=id)
        return _loads((await self._call(self._stub.GetStreamItem, req)).item_json)

    async def get_stream_group(self, stream: str, group_id: str) -> list[Any]:
        req = pb.GetStreamGroupRequest(stream=stream, group_id=group_id)
        return [_loads(i) for i in (await self._call(self._stub.GetStreamGroup, req)).items_json]

    async def subscribe_stream(self, stream: str, group_id: str, id: str | None = None) -> AsyncSubscription:
        """Follow a stream group (or one item); returns once the host is subscribed."""
        req = pb.SubscribeStreamRequest(stream=stream, group_id=group_id, id=id or "")
        call = self._stub.SubscribeStream(req, metadata=self._b._metadata)
        try:
            metadata = await call.initial_metadata()
            if not any(k == _SUBSCRIBED for k, _ in metadata or ()):
                code = await call.code()
                raise IngressError(code.name, await call.details() or "the subscription ended early")
        except grpc.RpcError as exc:
            raise _error(exc) from None
        return AsyncSubscription(call)

    async def list_steps(self) -> list[StepInfo]:
        resp = await self._call(self._stub.ListSteps, pb.ListStepsRequest())
        return [_step(s) for s in resp.steps]

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
