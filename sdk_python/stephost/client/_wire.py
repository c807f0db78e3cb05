"""Between the clients' plain values and the generated ingress messages, and the channel."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc

from stephost.client.values import Event, IngressError, Receipt, StepInfo, StreamChange
from stephost_wire.codec import dumps, grpc_options, loads
from stephost_wire.v1 import ingress_pb2 as pb

# Initial metadata the host sends once a SubscribeStream call is subscribed.
SUBSCRIBED = "stephost-subscribed"
# Initial metadata the host sends once an EmitStream call is open.
EMIT_STREAM_OPEN = "stephost-emit-stream"


def says(metadata: Any, key: str) -> bool:
    """Whether a call's initial metadata carries ``key`` (how the host says a streaming call is
    in place: SUBSCRIBED, EMIT_STREAM_OPEN)."""
    return any(k == key for k, _ in metadata or ())


def channel(
    target: str, tls: bool, root_certificates: bytes | str | Path | None, tls_server_name: str | None
) -> grpc.aio.Channel:
    options: list[tuple[str, Any]] = list(grpc_options())
    if tls_server_name:
        options.append(("grpc.ssl_target_name_override", tls_server_name))
    if not tls and root_certificates is None:
        return grpc.aio.insecure_channel(target, options=options)
    roots = root_certificates
    if isinstance(roots, str | Path):
        roots = Path(roots).read_bytes()
    return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(roots), options=options)


def emit_request(
    topic: str,
    data: Any,
    message_group_id: str | None,
    idempotency_key: str | None,
    trace_id: str | None,
) -> pb.EmitRequest:
    return pb.EmitRequest(
        topic=topic,
        data_json=dumps(data),
        message_group_id=message_group_id or "",
        idempotency_key=idempotency_key or "",
        trace_id=trace_id or "",
    )


def _event_request(event: Event | Mapping[str, Any]) -> pb.EmitRequest:
    if isinstance(event, Event):
        return emit_request(
            event.topic, event.data, event.message_group_id, event.idempotency_key, event.trace_id
        )
    e = dict(event)
    return emit_request(
        e["topic"],
        e.get("data"),
        e.get("message_group_id", e.get("messageGroupId")),
        e.get("idempotency_key", e.get("idempotencyKey")),
        e.get("trace_id", e.get("traceId")),
    )


def batches(events: Iterable[Event | Mapping[str, Any]], size: int) -> Iterator[pb.EmitBatchRequest]:
    batch: list[pb.EmitRequest] = []
    for event in events:
        batch.append(_event_request(event))
        if len(batch) >= size:
            yield pb.EmitBatchRequest(events=batch)
            batch = []
    if batch:
        yield pb.EmitBatchRequest(events=batch)


def receipt(r: pb.EmitReceipt) -> Receipt:
    return Receipt(r.trace_id, r.stream, r.sequence, r.duplicate)


def step_info(s: pb.StepInfo) -> StepInfo:
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


def change(c: pb.StreamChange) -> StreamChange:
    return StreamChange(c.type, c.id, loads(c.data_json), c.event_type)


def error(exc: grpc.RpcError) -> IngressError:
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return IngressError(code.name if code is not None else "UNKNOWN", details or "")
