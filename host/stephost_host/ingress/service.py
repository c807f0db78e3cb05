"""The public Ingress servicer: the gRPC door onto the host operations, for non-step services.

Every call checks the token (when one is configured), then turns its request into
operation calls (``stephost_host.operations``), which check every argument before
anything is written, and their refusals into the call's gRPC status. Emits go through
the same operation a step's ``ctx.emit`` uses, so an event from here is
indistinguishable downstream from one a step emitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from stephost_host import names
from stephost_host.ingress import emit_stream
from stephost_host.ingress.auth import Refused, TokenCheck
from stephost_host.observe.spans import parse_traceparent
from stephost_host.operations import Event, Fields, OperationError, Operations, Receipt, ids
from stephost_host.operations.rules import MAX_BATCH_ID, check_batch, check_header_value, payload_limit
from stephost_host.streams.auth import Credentials
from stephost_wire import codec
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc

R = TypeVar("R")
log = logging.getLogger("stephost.ingress")
# Batches of one EmitBatch stream being stored at once (answers still go out in order).
BATCHES_IN_FLIGHT = 4
# Initial metadata a SubscribeStream call sends once its subscription is in place.
SUBSCRIBED = (("stephost-subscribed", "1"),)
# Metadata carrying a stream reader's own credential: the token the project's stream auth
# hook receives, as the WebSocket's Authorization subprotocol carries it.
STREAM_AUTH = "stream-auth"
HOW_STREAM_AUTH = f"send the client's stream token as the call's metadata '{STREAM_AUTH}: <token>'"
# Fields as ingress.proto names them.
PROTO_FIELDS = Fields({"data": "data_json", "value": "value_json"})
_STATUS = {
    "InvalidArgument": grpc.StatusCode.INVALID_ARGUMENT,
    "NotFound": grpc.StatusCode.NOT_FOUND,
    "PermissionDenied": grpc.StatusCode.PERMISSION_DENIED,
    "Unauthenticated": grpc.StatusCode.UNAUTHENTICATED,
    "AlreadyExists": grpc.StatusCode.ALREADY_EXISTS,
    "Unavailable": grpc.StatusCode.UNAVAILABLE,
    "StateConflict": grpc.StatusCode.ABORTED,  # gRPC's code for a lost compare-and-set
}
LIMIT_SETTING = "ingress_max_payload_bytes"
BATCH_SETTING = "ingress_max_batch_events"


def refusal(exc: Refused | OperationError) -> Refused:
    """The gRPC status and message a refused call ends with."""
    if isinstance(exc, Refused):
        return exc
    return Refused(_STATUS.get(exc.error_type, grpc.StatusCode.INTERNAL), exc.message)


def progress_trailers(exc: Refused | OperationError) -> tuple[tuple[str, str], ...]:
    """How far a refused batch got, for clients that act on it without reading the message."""
    p = getattr(exc, "progress", None)
    if p is None:
        return ()
    return (
        ("stephost-stored", str(p.stored)),
        ("stephost-first-unstored", str(p.first_unstored)),
        ("stephost-batch-id", p.batch_id),
    )


class IngressService(pb_grpc.IngressServicer):
    def __init__(
        self, operations: Operations, *, token: str, max_payload_bytes: int, max_batch_events: int = 1000
    ) -> None:
        self.ops = operations
        self.max_batch_events = max_batch_events
        self.registry = operations.registry
        self.token = token
        self.auth = TokenCheck(token)
        # External clients may get a smaller payload limit than handlers (never a larger one).
        self.limit = payload_limit(max_payload_bytes, LIMIT_SETTING, operations.max_payload)

    # -- plumbing ---------------------------------------------------------------

    def _authenticate(self, context: grpc.aio.ServicerContext) -> None:
        if self.auth:
            self.auth.check(context.invocation_metadata())

    async def _answer(self, context: grpc.aio.ServicerContext, work: Callable[[], Awaitable[R]]) -> R:
        """Authenticate, run, and turn a refusal into the call's status."""
        try:
            self._authenticate(context)
            return await work()
        except (Refused, OperationError) as exc:
            refused = refusal(exc)
            await context.abort(refused.code, refused.message)
            raise  # unreachable: abort raises

    def _event(
        self,
        req: pb.EmitRequest,
        fields: Fields = PROTO_FIELDS,
        msg_id: str = "",
        outside: tuple[str, str] | None = None,
    ) -> Event:
        """``outside``: the call's W3C ``traceparent`` (trace id, parent span), if it sent one;
        the event continues that trace unless it names a trace id of its own."""
        trace_id, parent = req.trace_id, ""
        if outside is not None and trace_id in ("", outside[0]):
            trace_id, parent = outside
        return self.ops.emits.event(
            req.topic,
            req.data_json,
            fields,
            group=req.message_group_id,
            trace_id=trace_id,
            idempotency_key=req.idempotency_key,
            msg_id=msg_id,
            parent=parent,
            limit=self.limit,
        )

    def _batch(self, batch: pb.EmitBatchRequest) -> tuple[str, list[Event]]:
        """The batch's id (the client's, or a new one) and its checked events.

        Every event gets an id from the batch id and its index (its idempotency key wins),
        so the same batch sent again after a failure stores nothing twice.
        """
        check_batch(len(batch.events), self.max_batch_events, BATCH_SETTING, PROTO_FIELDS)
        batch_id = (
            check_header_value(batch.batch_id, "batch_id", PROTO_FIELDS, MAX_BATCH_ID) or ids.new_batch()
        )
        return batch_id, [
            self._event(e, PROTO_FIELDS.at(f"events[{i}]."), ids.batch_event(batch_id, i))
            for i, e in enumerate(batch.events)
        ]

    # -- emits ------------------------------------------------------------------

    async def Emit(self, request: pb.EmitRequest, context: grpc.aio.ServicerContext) -> pb.EmitReceipt:
        async def work() -> pb.EmitReceipt:
            return _receipt(await self._emit(request, _metadata(context, names.HEADER_TRACEPARENT)))

        return await self._answer(context, work)

    async def _emit(self, request: pb.EmitRequest, traceparent: str | None) -> Receipt:
        """One event, checked and stored: an Emit call's, or one of an EmitStream call."""
        return await self.ops.emits.publish(self._event(request, outside=parse_traceparent(traceparent)))

    async def _open_stream(self, context: grpc.aio.ServicerContext) -> None:
        """A streaming emit call starts here: authenticated, or ended with the refusal."""
        try:
            self._authenticate(context)
        except Refused as exc:
            await context.abort(exc.code, exc.message)

    async def EmitStream(
        self, request_iterator: AsyncIterator[pb.EmitStreamRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.EmitStreamResponse]:
        await self._open_stream(context)
        await context.send_initial_metadata(emit_stream.OPEN)
        async for response in emit_stream.answers(request_iterator, self._streamed):
            yield response

    async def _streamed(self, emit: pb.StreamedEmit) -> pb.StreamedReceipt:
        """One event of an EmitStream call: stored, or refused with the status Emit would end with."""
        try:
            stored = await self._emit(emit.event, emit.traceparent)
        except OperationError as exc:
            refused = refusal(exc)
            return pb.StreamedReceipt(id=emit.id, error_code=refused.code.name, error_message=refused.message)
        except Exception as exc:  # what a unary call would end with as UNKNOWN
            log.exception("an EmitStream event failed")
            return pb.StreamedReceipt(id=emit.id, error_code="UNKNOWN", error_message=str(exc))
        return pb.StreamedReceipt(id=emit.id, receipt=_receipt(stored))

    async def EmitBatch(
        self, request_iterator: AsyncIterator[pb.EmitBatchRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.EmitBatchResponse]:
        await self._open_stream(context)
        # The reader checks each batch and starts storing it at once; the answers go out
        # in request order. A refused batch ends the call after the ones before it.
        pending: asyncio.Queue[asyncio.Future[list[Receipt]] | OperationError | None] = asyncio.Queue(
            BATCHES_IN_FLIGHT
        )
        in_turn = asyncio.Lock()  # the call's batches are stored in the order they came

        async def read() -> None:
            try:
                async for batch in request_iterator:
                    try:
                        batch_id, events = self._batch(batch)
                    except OperationError as exc:
                        await pending.put(exc)
                        return
                    await pending.put(
                        asyncio.ensure_future(self.ops.emits.publish_all(events, batch_id, in_turn))
                    )
            finally:
                await pending.put(None)

        reader = asyncio.create_task(read())
        try:
            while (item := await pending.get()) is not None:
                try:
                    if isinstance(item, OperationError):
                        raise item
                    receipts = await item
                except OperationError as exc:
                    refused = refusal(exc)
                    await context.abort(refused.code, refused.message, progress_trailers(exc))
                yield pb.EmitBatchResponse(receipts=[_receipt(r) for r in receipts])
        finally:
            reader.cancel()
            while not pending.empty():
                left = pending.get_nowait()
                if isinstance(left, asyncio.Future):
                    left.add_done_callback(_consume)  # stored anyway; nobody is left to tell

    # -- state ------------------------------------------------------------------

    async def GetState(self, request: pb.GetStateRequest, context: grpc.aio.ServicerContext) -> pb.StateValue:
        async def work() -> pb.StateValue:
            value, revision = await self.ops.state.get_revision(request.group, request.key, PROTO_FIELDS)
            return pb.StateValue(found=value is not None, value_json=codec.dumps(value), revision=revision)

        return await self._answer(context, work)

    async def SetState(self, request: pb.SetStateRequest, context: grpc.aio.ServicerContext) -> pb.StateValue:
        async def work() -> pb.StateValue:
            # Without expected_revision the write is unconditional, as before the field existed.
            expected = request.expected_revision if request.HasField("expected_revision") else None
            value, revision = await self.ops.state.set_if(
                request.group, request.key, request.value_json, expected, PROTO_FIELDS, self.limit
            )
            return pb.StateValue(found=True, value_json=codec.dumps(value), revision=revision)

        return await self._answer(context, work)

    async def DeleteState(
        self, request: pb.DeleteStateRequest, context: grpc.aio.ServicerContext
    ) -> pb.StateValue:
        async def work() -> pb.StateValue:
            old = await self.ops.state.delete(request.group, request.key, PROTO_FIELDS)
            return pb.StateValue(found=old is not None, value_json=codec.dumps(old))

        return await self._answer(context, work)

    async def GetGroup(self, request: pb.GetGroupRequest, context: grpc.aio.ServicerContext) -> pb.StateGroup:
        async def work() -> pb.StateGroup:
            values = await self.ops.state.get_group(request.group, PROTO_FIELDS)
            return pb.StateGroup(values_json=[codec.dumps(v) for v in values])

        return await self._answer(context, work)

    # -- streams ----------------------------------------------------------------

    async def _readable(self, context: grpc.aio.ServicerContext, stream: str, group: str, item: str) -> None:
        """The project's stream auth, as the WebSocket and HTTP reads apply it: the ingress
        token admits a caller to the ingress, not to every stream."""
        await self.ops.streams.authorized(
            stream, group, item, _stream_credentials(context), PROTO_FIELDS, HOW_STREAM_AUTH
        )

    async def GetStreamItem(
        self, request: pb.GetStreamItemRequest, context: grpc.aio.ServicerContext
    ) -> pb.StreamItem:
        async def work() -> pb.StreamItem:
            await self._readable(context, request.stream, request.group_id, request.id)
            found = await self.ops.streams.get(request.stream, request.group_id, request.id, PROTO_FIELDS)
            return pb.StreamItem(found=found is not None, item_json=codec.dumps(found))

        return await self._answer(context, work)

    async def GetStreamGroup(
        self, request: pb.GetStreamGroupRequest, context: grpc.aio.ServicerContext
    ) -> pb.StreamGroup:
        async def work() -> pb.StreamGroup:
            await self._readable(context, request.stream, request.group_id, "")
            items = await self.ops.streams.get_group(request.stream, request.group_id, PROTO_FIELDS)
            return pb.StreamGroup(items_json=[codec.dumps(i) for i in items])

        return await self._answer(context, work)

    async def SubscribeStream(
        self, request: pb.SubscribeStreamRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamChange]:
        try:
            self._authenticate(context)
            await self._readable(context, request.stream, request.group_id, request.id)
            changes = self.ops.streams.subscribe(request.stream, request.group_id, request.id, PROTO_FIELDS)
            first = asyncio.ensure_future(anext(changes))
            await asyncio.sleep(0)  # the subscription runs up to its first wait: it is in place now
        except (Refused, OperationError) as exc:
            refused = refusal(exc)
            await context.abort(refused.code, refused.message)
        await context.send_initial_metadata(SUBSCRIBED)
        try:
            yield _change(await first)
            async for change in changes:
                yield _change(change)
        finally:
            # The client went away (or the host is stopping): end the subscription. While
            # ``first`` still waits inside the generator, cancelling it is what closes it.
            if not first.done():
                first.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await first
            await changes.aclose()  # type: ignore[attr-defined]

    # -- steps ------------------------------------------------------------------

    async def ListSteps(
        self, request: pb.ListStepsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListStepsResponse:
        async def work() -> pb.ListStepsResponse:
            return pb.ListStepsResponse(steps=[_step_info(d) for d in self.registry.describe()])

        return await self._answer(context, work)


def _receipt(r: Receipt) -> pb.EmitReceipt:
    return pb.EmitReceipt(trace_id=r.trace_id, stream=r.stream, sequence=r.sequence, duplicate=r.duplicate)


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


def _stream_credentials(context: grpc.aio.ServicerContext) -> Credentials:
    """The ``stream-auth`` token, and the call's other text metadata as the hook's headers.
    ``authorization`` (the host's ingress token) never reaches project code."""
    headers: dict[str, str] = {}
    for key, value in context.invocation_metadata() or ():
        if key != "authorization" and not key.endswith("-bin") and isinstance(value, str):
            headers.setdefault(key, value)
    token = headers.get(STREAM_AUTH, "").strip().removeprefix("Bearer ").strip()
    return Credentials(token or None, headers, {})


def _change(change: dict[str, Any]) -> pb.StreamChange:
    kind = str(change.get("type", ""))
    if kind == "event":
        event = change.get("event") or {}
        return pb.StreamChange(
            type=kind,
            id=change.get("id") or "",
            event_type=str(event.get("type", "")),
            data_json=codec.dumps(event.get("data")),
        )
    return pb.StreamChange(type=kind, id=change.get("id") or "", data_json=codec.dumps(change.get("data")))


_STEP_INFO_FIELDS = set(pb.StepInfo.DESCRIPTOR.fields_by_name)


def _step_info(described: dict[str, Any]) -> pb.StepInfo:
    """The registry's own description of a step, in the fields the proto carries."""
    return pb.StepInfo(**{k: v for k, v in described.items() if k in _STEP_INFO_FIELDS})


def _metadata(context: grpc.aio.ServicerContext, key: str) -> str | None:
    return next((str(v) for k, v in context.invocation_metadata() or () if k == key), None)
