"""Answers the calls a running handler makes into the host: emit and state.

The invocation the call belongs to supplies the trace id (and the emitting step), so
a trace id flows from the HTTP request or cron tick through every emit.
"""

from __future__ import annotations

import logging
from typing import Any

from stephost_host.link.session import InFlight, Session
from stephost_host.queue.publisher import Publisher
from stephost_host.router.registry import Registry
from stephost_host.state.store import StateStore
from stephost_host.steps.models import EventStep
from stephost_host.streams.store import Streams
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb

log = logging.getLogger("stephost.calls")


class CallRejected(ValueError):
    error_type = "InvalidArgument"


def fifo_subscribers(registry: Registry, topic: str) -> list[str]:
    """Steps that take this topic in order per messageGroupId."""
    return sorted(
        e.name
        for e in registry.of_type(EventStep)
        if isinstance(e.config, EventStep)
        and e.config.infrastructure.queue.type == "fifo"
        and topic in e.config.subscribes
    )


PAYLOAD_HEADROOM = 4096


class Calls:
    def __init__(
        self, publisher: Publisher, state: StateStore, streams: Streams, registry: Registry, max_payload: int
    ) -> None:
        self.registry = registry
        # NATS counts headers against max_payload and drops the connection past it, so
        # refuse oversized values here, with an error the handler can read.
        self.max_payload = max_payload - PAYLOAD_HEADROOM
        self.publisher = publisher
        self.state = state
        self.streams = streams

    def _fits(self, what: str, payload: str) -> str:
        size = len(payload.encode())
        if size > self.max_payload:
            raise CallRejected(
                f"{what} is {size} bytes; the NATS server takes at most {self.max_payload} "
                "(its max_payload, less room for headers)"
            )
        return payload

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
        if op == "stream":
            return await self._stream(call.stream)
        raise CallRejected(f"this host does not support {op or 'empty'} calls")

    async def _emit(self, owner: InFlight, emit: pb.EmitCall) -> Any:
        if not emit.topic:
            raise CallRejected("emit needs a non-empty topic")
        if not emit.message_group_id:
            fifo = fifo_subscribers(self.registry, emit.topic)
            if fifo:
                raise CallRejected(
                    f"topic {emit.topic!r} has FIFO subscribers ({', '.join(fifo)}): emit needs a messageGroupId"
                )
        try:
            codec.loads(emit.data_json)
        except ValueError as exc:
            raise CallRejected(f"emit data is not valid JSON: {exc}") from None
        # A redelivered event re-runs its handler; the same emits get the same ids, and
        # JetStream drops the repeats within its duplicate window.
        msg_id = f"{owner.origin}:{owner.emits}" if owner.origin else ""
        owner.emits += 1
        await self.publisher.emit(
            emit.topic,
            self._fits("emit data", emit.data_json or "null"),
            owner.trace_id,
            group=emit.message_group_id,
            source=owner.step,
            msg_id=msg_id,
        )
        return None

    async def _state(self, call: pb.StateCall) -> Any:
        op = call.op
        if op == pb.StateCall.GET:
            return await self.state.get(call.group, call.key)
        if op == pb.StateCall.SET:
            return await self.state.set(
                call.group, call.key, codec.loads(self._fits("state value", call.value_json))
            )
        if op == pb.StateCall.DELETE:
            return await self.state.delete(call.group, call.key)
        if op == pb.StateCall.GET_GROUP:
            return await self.state.get_group(call.group)
        if op == pb.StateCall.CLEAR:
            return await self.state.clear(call.group)
        raise CallRejected(f"unknown state operation {op}")

    async def _stream(self, call: pb.StreamCall) -> Any:
        op, s = call.op, self.streams
        if not call.group_id:
            raise CallRejected("stream calls need a groupId")
        if op == pb.StreamCall.GET:
            return await s.get(call.stream, call.group_id, call.id)
        if op == pb.StreamCall.SET:
            return await s.set(
                call.stream, call.group_id, call.id, codec.loads(self._fits("stream item", call.data_json))
            )
        if op == pb.StreamCall.DELETE:
            return await s.delete(call.stream, call.group_id, call.id)
        if op == pb.StreamCall.GET_GROUP:
            return await s.get_group(call.stream, call.group_id)
        if op == pb.StreamCall.SEND:
            return await s.send(call.stream, call.group_id, call.id or None, codec.loads(call.data_json))
        raise CallRejected(f"unknown stream operation {op}")
