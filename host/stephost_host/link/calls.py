"""The sidecar link's door onto the host operations: the calls a running handler makes.

A ``pb.HostCall`` becomes an operation call; an operation's refusal goes back as the
call's error (its ``error_type`` and message, which the handler sees as
``HostCallError``). The invocation the call belongs to supplies the trace id and the
emitting step, so a trace flows from the HTTP request or cron tick through every emit.
"""

from __future__ import annotations

from typing import Any

from stephost_host.link.session import InFlight, Session
from stephost_host.operations import Fields, InvalidArgument, Operations, ids
from stephost_wire.v1 import sidecar_pb2 as pb

# Fields as a handler names them (ctx.emit({topic, data, messageGroupId}), ...).
CTX_FIELDS = Fields(
    {
        "data": "emit data",
        "message_group_id": "messageGroupId",
        "value": "state value",
        "group_id": "groupId",
        "item": "stream item",
        "event": "stream event",
    }
)


class Calls:
    def __init__(self, operations: Operations) -> None:
        self.ops = operations

    async def __call__(self, session: Session, owner: InFlight | None, call: pb.HostCall) -> Any:
        if owner is None:
            raise InvalidArgument(
                "the invocation this call belongs to is no longer running (timed out or cancelled)"
            )
        op = call.WhichOneof("op")
        if op == "emit":
            return await self._emit(owner, call.emit)
        if op == "state":
            return await self._state(call.state)
        if op == "stream":
            return await self._stream(call.stream)
        raise InvalidArgument(f"this host does not support {op or 'empty'} calls")

    async def _emit(self, owner: InFlight, emit: pb.EmitCall) -> None:
        span = owner.span
        event = self.ops.emits.event(
            emit.topic,
            emit.data_json,
            CTX_FIELDS,
            group=emit.message_group_id,
            trace_id=owner.trace_id,
            # A redelivered event re-runs its handler: the same emits get the same ids.
            msg_id=ids.redelivered(owner.origin, owner.emits),
            source=owner.step,
            parent=span.span_id if span else "",
        )
        owner.emits += 1
        if span is not None:
            span.emits.append(emit.topic)
        await self.ops.emits.publish(event)

    async def _state(self, call: pb.StateCall) -> Any:
        op, state = call.op, self.ops.state
        if op == pb.StateCall.GET:
            return await state.get(call.group, call.key, CTX_FIELDS)
        if op == pb.StateCall.SET:
            return await state.set(call.group, call.key, call.value_json, CTX_FIELDS)
        if op == pb.StateCall.DELETE:
            return await state.delete(call.group, call.key, CTX_FIELDS)
        if op == pb.StateCall.GET_GROUP:
            return await state.get_group(call.group, CTX_FIELDS)
        if op == pb.StateCall.CLEAR:
            return await state.clear(call.group, CTX_FIELDS)
        if op == pb.StateCall.GET_REVISION:
            value, revision = await state.get_revision(call.group, call.key, CTX_FIELDS)
            return {"value": value, "revision": revision}
        if op == pb.StateCall.SET_IF_REVISION:
            value, revision = await state.set_if(
                call.group, call.key, call.value_json, call.expected_revision, CTX_FIELDS
            )
            return {"value": value, "revision": revision}
        raise InvalidArgument(f"unknown state operation {op}")

    async def _stream(self, call: pb.StreamCall) -> Any:
        op, streams = call.op, self.ops.streams
        if op == pb.StreamCall.GET:
            return await streams.get(call.stream, call.group_id, call.id, CTX_FIELDS)
        if op == pb.StreamCall.SET:
            return await streams.set(call.stream, call.group_id, call.id, call.data_json, CTX_FIELDS)
        if op == pb.StreamCall.DELETE:
            return await streams.delete(call.stream, call.group_id, call.id, CTX_FIELDS)
        if op == pb.StreamCall.GET_GROUP:
            return await streams.get_group(call.stream, call.group_id, CTX_FIELDS)
        if op == pb.StreamCall.SEND:
            return await streams.send(call.stream, call.group_id, call.id, call.data_json, CTX_FIELDS)
        raise InvalidArgument(f"unknown stream operation {op}")
