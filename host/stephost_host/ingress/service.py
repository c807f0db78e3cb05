"""The public Ingress servicer: emits, state, streams and the step list for non-step services.

Every call checks the token (when one is configured) and every argument before it
writes anything, and answers with a gRPC status whose message names the problem.
Emits go through the same Publisher a step's ``ctx.emit`` uses, so an event from here
is indistinguishable downstream from one a step emitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

import grpc
import nats.errors

from stephost_host import names
from stephost_host.ingress.checks import (
    Event,
    Refused,
    TokenCheck,
    check_batch,
    check_event,
    check_json,
    check_name,
    invalid,
)
from stephost_host.link.calls import fifo_subscribers
from stephost_host.queue.publisher import Publisher
from stephost_host.router.registry import Registry
from stephost_host.state.store import StateStore
from stephost_wire import codec
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc

log = logging.getLogger("stephost.ingress")
R = TypeVar("R")
# Batches of one EmitBatch stream being stored at once (answers still go out in order).
BATCHES_IN_FLIGHT = 4
# Initial metadata a SubscribeStream call sends once its subscription is in place.
SUBSCRIBED = (("stephost-subscribed", "1"),)
_ERROR_CODES = {
    "NotFound": grpc.StatusCode.NOT_FOUND,
    "InvalidArgument": grpc.StatusCode.INVALID_ARGUMENT,
    "PermissionDenied": grpc.StatusCode.PERMISSION_DENIED,
}


class StreamSource(Protocol):
    """What ingress needs from the host's real-time streams (``host.streams``)."""

    def names(self) -> set[str]: ...

    async def get(self, stream: str, group: str, item: str) -> Any: ...

    async def get_group(self, stream: str, group: str) -> list[Any]: ...

    def subscribe(
        self, stream: str, group: str, item: str | None = None
    ) -> AsyncIterator[dict[str, Any]]: ...


def _unavailable(exc: BaseException, stored: str = "nothing was stored") -> Refused:
    return Refused(
        grpc.StatusCode.UNAVAILABLE,
        f"NATS did not acknowledge the write ({type(exc).__name__}: {exc or 'no detail'}); {stored}. "
        "Retry; an idempotency key makes a retried emit safe",
    )


class IngressService(pb_grpc.IngressServicer):
    def __init__(
        self,
        registry: Registry,
        publisher: Publisher,
        state: StateStore,
        *,
        streams: StreamSource | None,
        token: str,
        max_payload_bytes: int,
    ) -> None:
        self.registry = registry
        self.publisher = publisher
        self.state = state
        self.streams = streams
        self.token = token
        self.auth = TokenCheck(token)
        self.limit = max_payload_bytes
        self._fifo: dict[str, list[str]] = {}  # topic -> its FIFO subscribers, until the steps change
        registry.on_change(self._fifo.clear)

    # -- plumbing ---------------------------------------------------------------

    async def _answer(self, context: grpc.aio.ServicerContext, work: Callable[[], Awaitable[R]]) -> R:
        """Authenticate, run, and turn a refusal into the call's status."""
        try:
            if self.auth:
                self.auth.check(context.invocation_metadata())
            return await work()
        except Refused as exc:
            await context.abort(exc.code, exc.message)
            raise  # unreachable: abort raises

    def _checked(self, e: Event, where: str = "") -> Event:
        """The rule ctx.emit follows too: a topic with FIFO subscribers needs a group."""
        if not e.group:
            fifo = self._fifo.get(e.topic)
            if fifo is None:
                fifo = self._fifo[e.topic] = fifo_subscribers(self.registry, e.topic)
            if fifo:
                raise invalid(
                    f"{where}message_group_id is empty, but topic {e.topic!r} has FIFO subscribers "
                    f"({', '.join(fifo)}), which take events in order per message group"
                )
        return e

    async def _store(self, e: Event) -> pb.EmitReceipt:
        trace_id = e.trace_id or uuid.uuid4().hex
        try:
            ack = await self.publisher.emit(
                e.topic,
                e.data,
                trace_id,
                group=e.group,
                msg_id=names.ingress_msg_id(e.idempotency_key) if e.idempotency_key else "",
            )
        except nats.errors.MaxPayloadError as exc:
            raise invalid(f"the event is larger than the NATS server accepts ({exc})") from None
        except (TimeoutError, nats.errors.Error) as exc:
            raise _unavailable(exc) from None
        if ack.duplicate:
            return await self._first_receipt(e, ack.stream, ack.seq, trace_id)
        return pb.EmitReceipt(trace_id=trace_id, stream=ack.stream, sequence=ack.seq)

    async def _first_receipt(self, e: Event, stream: str, seq: int, trace_id: str) -> pb.EmitReceipt:
        """A retried idempotency key: JetStream stored nothing and named the first message."""
        try:
            first = await self.publisher.js.get_msg(stream, seq)
        except nats.errors.Error:  # already gone (age limit): the receipt still holds
            return pb.EmitReceipt(trace_id=trace_id, stream=stream, sequence=seq, duplicate=True)
        if first.subject and first.subject != names.topic_subject(e.topic):
            raise Refused(
                grpc.StatusCode.ALREADY_EXISTS,
                f"idempotency_key {e.idempotency_key!r} was already used for another topic "
                f"(stored as {stream} sequence {seq}); use a new key for a different event",
            )
        first_trace = (first.headers or {}).get(names.HEADER_TRACE) or trace_id
        return pb.EmitReceipt(trace_id=first_trace, stream=stream, sequence=seq, duplicate=True)

    async def _store_all(self, events: list[Event]) -> list[pb.EmitReceipt]:
        # Publishes go out in list order on one NATS connection (each task writes its
        # message before its first suspension), so a batch is stored in batch order.
        results = await asyncio.gather(*(self._store(e) for e in events), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            first = failed[0]
            if isinstance(first, Refused) and first.code != grpc.StatusCode.UNAVAILABLE:
                raise first
            raise _unavailable(
                first,
                f"{len(events) - len(failed)} of the batch's {len(events)} events were stored",
            )
        return results  # type: ignore[return-value]

    # -- emits ------------------------------------------------------------------

    async def Emit(self, request: pb.EmitRequest, context: grpc.aio.ServicerContext) -> pb.EmitReceipt:
        return await self._answer(
            context, lambda: self._store(self._checked(check_event(request, self.limit)))
        )

    async def EmitBatch(
        self, request_iterator: AsyncIterator[pb.EmitBatchRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.EmitBatchResponse]:
        try:
            if self.auth:
                self.auth.check(context.invocation_metadata())
        except Refused as exc:
            await context.abort(exc.code, exc.message)
        # The reader checks each batch and starts storing it at once; the answers go out
        # in request order. A refused batch ends the call after the ones before it.
        pending: asyncio.Queue[asyncio.Future[list[pb.EmitReceipt]] | Refused | None] = asyncio.Queue(
            BATCHES_IN_FLIGHT
        )

        async def read() -> None:
            try:
                async for batch in request_iterator:
                    try:
                        events = [
                            self._checked(e, f"events[{i}].")
                            for i, e in enumerate(check_batch(batch.events, self.limit))
                        ]
                    except Refused as exc:
                        await pending.put(exc)
                        return
                    await pending.put(asyncio.ensure_future(self._store_all(events)))
            finally:
                await pending.put(None)

        reader = asyncio.create_task(read())
        try:
            while (item := await pending.get()) is not None:
                try:
                    if isinstance(item, Refused):
                        raise item
                    receipts = await item
                except Refused as exc:
                    await context.abort(exc.code, exc.message)
                yield pb.EmitBatchResponse(receipts=receipts)
        finally:
            reader.cancel()
            while not pending.empty():
                left = pending.get_nowait()
                if isinstance(left, asyncio.Future):
                    left.add_done_callback(_consume)  # stored anyway; nobody is left to tell

    # -- state ------------------------------------------------------------------

    async def GetState(self, request: pb.GetStateRequest, context: grpc.aio.ServicerContext) -> pb.StateValue:
        async def work() -> pb.StateValue:
            value = await self._nats(
                self.state.get(check_name(request.group, "group"), check_name(request.key, "key"))
            )
            return pb.StateValue(found=value is not None, value_json=codec.dumps(value))

        return await self._answer(context, work)

    async def SetState(self, request: pb.SetStateRequest, context: grpc.aio.ServicerContext) -> pb.StateValue:
        async def work() -> pb.StateValue:
            group, key = check_name(request.group, "group"), check_name(request.key, "key")
            text = check_json(request.value_json, "value_json", self.limit)
            value = await self._nats(self.state.set(group, key, codec.loads(text)))
            return pb.StateValue(found=True, value_json=codec.dumps(value))

        return await self._answer(context, work)

    async def DeleteState(
        self, request: pb.DeleteStateRequest, context: grpc.aio.ServicerContext
    ) -> pb.StateValue:
        async def work() -> pb.StateValue:
            old = await self._nats(
                self.state.delete(check_name(request.group, "group"), check_name(request.key, "key"))
            )
            return pb.StateValue(found=old is not None, value_json=codec.dumps(old))

        return await self._answer(context, work)

    async def GetGroup(self, request: pb.GetGroupRequest, context: grpc.aio.ServicerContext) -> pb.StateGroup:
        async def work() -> pb.StateGroup:
            values = await self._nats(self.state.get_group(check_name(request.group, "group")))
            return pb.StateGroup(values_json=[codec.dumps(v) for v in values])

        return await self._answer(context, work)

    @staticmethod
    async def _nats(op: Awaitable[R]) -> R:
        try:
            return await op
        except (TimeoutError, nats.errors.Error) as exc:
            raise _unavailable(exc, "nothing was changed") from None

    # -- streams ----------------------------------------------------------------

    def _stream_source(self, stream: str) -> StreamSource:
        if self.streams is None:
            raise Refused(grpc.StatusCode.UNIMPLEMENTED, "this host has no real-time streams support yet")
        check_name(stream, "stream")
        if stream not in self.streams.names():
            known = ", ".join(sorted(self.streams.names())) or "none"
            raise Refused(
                grpc.StatusCode.NOT_FOUND,
                f"no stream named {stream!r} is defined (defined streams: {known})",
            )
        return self.streams

    @staticmethod
    async def _streams_op(op: Awaitable[R]) -> R:
        try:
            return await op
        except (TimeoutError, nats.errors.Error) as exc:
            raise _unavailable(exc, "nothing was changed") from None
        except Exception as exc:
            code = _ERROR_CODES.get(getattr(exc, "error_type", ""))
            if code is None:
                raise
            raise Refused(code, str(exc)) from None

    async def GetStreamItem(
        self, request: pb.GetStreamItemRequest, context: grpc.aio.ServicerContext
    ) -> pb.StreamItem:
        async def work() -> pb.StreamItem:
            source = self._stream_source(request.stream)
            group, item = check_name(request.group_id, "group_id"), check_name(request.id, "id")
            found = await self._streams_op(source.get(request.stream, group, item))
            return pb.StreamItem(found=found is not None, item_json=codec.dumps(found))

        return await self._answer(context, work)

    async def GetStreamGroup(
        self, request: pb.GetStreamGroupRequest, context: grpc.aio.ServicerContext
    ) -> pb.StreamGroup:
        async def work() -> pb.StreamGroup:
            source = self._stream_source(request.stream)
            group = check_name(request.group_id, "group_id")
            items = await self._streams_op(source.get_group(request.stream, group))
            return pb.StreamGroup(items_json=[codec.dumps(i) for i in items])

        return await self._answer(context, work)

    async def SubscribeStream(
        self, request: pb.SubscribeStreamRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamChange]:
        try:
            if self.auth:
                self.auth.check(context.invocation_metadata())
            source = self._stream_source(request.stream)
            group = check_name(request.group_id, "group_id")
            changes = source.subscribe(request.stream, group, request.id or None)
            first = asyncio.ensure_future(anext(changes))
            await asyncio.sleep(0)  # the subscription runs up to its first wait: it is in place now
            if first.done():
                await self._streams_op(first)
        except Refused as exc:
            await context.abort(exc.code, exc.message)
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


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


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
