"""Answers the calls a running handler makes into the host: emit and state.

The invocation the call belongs to supplies the trace id (and the emitting step), so
a trace id flows from the HTTP request or cron tick through every emit.
"""

from __future__ import annotations

import logging
from typing import Any

from stephost import _wire
from stephost.v1 import sidecar_pb2 as pb
from stephost_host.queue.publisher import Publisher
from stephost_host.rpc.session import InFlight, Session
from stephost_host.state.store import StateStore

log = logging.getLogger("stephost.calls")


class CallRejected(ValueError):
    error_type = "InvalidArgument"


class Calls:
    def __init__(self, publisher: Publisher, state: StateStore) -> None:
        self.publisher = publisher
        self.state = state

    async def __call__(self, session: Session, owner: InFlight | None, call: pb.HostCall) -> Any:
        if owner is None:
            raise CallRejected(
                "the invocation this call belongs to is no longer running (timed out or cancelled)"
            )
        op = call.WhichOneof("op")
        if op == "emit":
            return await self._emit(owner, call.emit)
        if op == "state":
            return await self._state(call.state)
        raise CallRejected(f"this host does not support {op or 'empty'} calls")

    async def _emit(self, owner: InFlight, emit: pb.EmitCall) -> Any:
        if not emit.topic:
            raise CallRejected("emit needs a non-empty topic")
        try:
            _wire.loads(emit.data_json)
        except ValueError as exc:
            raise CallRejected(f"emit data is not valid JSON: {exc}") from None
        await self.publisher.emit(
            emit.topic,
            emit.data_json or "null",
            owner.trace_id,
            group=emit.message_group_id,
            source=owner.step,
        )
        return None

    async def _state(self, call: pb.StateCall) -> Any:
        op = call.op
        if op == pb.StateCall.GET:
            return await self.state.get(call.group, call.key)
        if op == pb.StateCall.SET:
            return await self.state.set(call.group, call.key, _wire.loads(call.value_json))
        if op == pb.StateCall.DELETE:
            return await self.state.delete(call.group, call.key)
        if op == pb.StateCall.GET_GROUP:
            return await self.state.get_group(call.group)
        if op == pb.StateCall.CLEAR:
            return await self.state.clear(call.group)
        raise CallRejected(f"unknown state operation {op}")
