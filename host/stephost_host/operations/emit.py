"""Emit: check an event against every rule, then store it on the events stream.

Whoever emits (a handler's ctx.emit, an ingress client), the event goes through the
same checks and the same Publisher, so downstream it is the same kind of event.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import nats.errors

from stephost_host import names
from stephost_host.operations import ids
from stephost_host.operations.errors import AlreadyExists, InvalidArgument, OperationError, unavailable
from stephost_host.operations.fifo import FifoSubscribers
from stephost_host.operations.rules import (
    MAX_GROUP_ID,
    MAX_IDEMPOTENCY_KEY,
    MAX_TRACE_ID,
    Fields,
    Limit,
    check_fifo_group,
    check_header_value,
    check_json,
    check_topic,
)
from stephost_host.queue.publisher import Publisher
from stephost_host.router.registry import Registry


@dataclass(frozen=True, slots=True)
class Event:
    """An event that passed every check (``Emits.event`` makes them)."""

    topic: str
    data: str  # JSON text
    group: str
    trace_id: str
    msg_id: str  # Nats-Msg-Id, "" for none
    idempotency_key: str
    source: str  # the emitting step, "" from outside


@dataclass(frozen=True, slots=True)
class Receipt:
    trace_id: str
    stream: str
    sequence: int
    duplicate: bool = False  # an earlier emit with the same id was stored; this one was not


class Emits:
    def __init__(self, publisher: Publisher, registry: Registry, limit: Limit) -> None:
        self.publisher = publisher
        self.fifo = FifoSubscribers(registry)
        self.limit = limit  # the NATS server's, unless a door passes a smaller one

    def event(
        self,
        topic: str,
        data_json: str,
        fields: Fields,
        *,
        group: str = "",
        trace_id: str = "",
        idempotency_key: str = "",
        msg_id: str = "",
        source: str = "",
        limit: Limit | None = None,
    ) -> Event:
        """Check everything about one event; writes nothing.

        Without a trace id the event starts a new trace. An idempotency key names the
        event's id; otherwise ``msg_id`` (from ``ids``) does, if given.
        """
        check_topic(topic, fields)
        data = check_json(data_json, "data", fields, limit or self.limit)
        check_header_value(group, "message_group_id", fields, MAX_GROUP_ID)
        check_header_value(idempotency_key, "idempotency_key", fields, MAX_IDEMPOTENCY_KEY)
        check_header_value(trace_id, "trace_id", fields, MAX_TRACE_ID)
        check_fifo_group(topic, group, self.fifo(topic), fields)
        return Event(
            topic=topic,
            data=data,
            group=group,
            trace_id=trace_id or uuid.uuid4().hex,
            msg_id=ids.idempotent(idempotency_key) if idempotency_key else msg_id,
            idempotency_key=idempotency_key,
            source=source,
        )

    async def publish(self, e: Event) -> Receipt:
        """Store the event; returns once JetStream has it (or already had it)."""
        try:
            ack = await self.publisher.emit(
                e.topic, e.data, e.trace_id, group=e.group, source=e.source, msg_id=e.msg_id
            )
        except nats.errors.MaxPayloadError as exc:
            raise InvalidArgument(f"the event is larger than the NATS server accepts ({exc})") from None
        except (TimeoutError, nats.errors.Error) as exc:
            raise unavailable(exc, "nothing was stored") from None
        if ack.duplicate and e.idempotency_key:
            return await self._first(e, ack.stream, ack.seq)
        return Receipt(e.trace_id, ack.stream, ack.seq, bool(ack.duplicate))

    async def _first(self, e: Event, stream: str, seq: int) -> Receipt:
        """A repeated idempotency key: JetStream stored nothing and named the first message."""
        try:
            first = await self.publisher.js.get_msg(stream, seq)
        except nats.errors.Error:  # already gone (age limit): the receipt still holds
            return Receipt(e.trace_id, stream, seq, duplicate=True)
        if first.subject and first.subject != names.topic_subject(e.topic):
            raise AlreadyExists(
                f"idempotency key {e.idempotency_key!r} was already used for another topic "
                f"(stored as {stream} sequence {seq}); use a new key for a different event"
            )
        first_trace = (first.headers or {}).get(names.HEADER_TRACE) or e.trace_id
        return Receipt(first_trace, stream, seq, duplicate=True)

    async def publish_all(self, events: list[Event]) -> list[Receipt]:
        """Store checked events in list order; the first failure is the answer."""
        # Publishes go out in list order on one NATS connection (each task writes its
        # message before its first suspension), so the events are stored in order.
        results = await asyncio.gather(*(self.publish(e) for e in events), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if not failed:
            return [r for r in results if isinstance(r, Receipt)]
        first = failed[0]
        if isinstance(first, OperationError) and first.error_type != "Unavailable":
            raise first
        raise unavailable(
            first, f"{len(events) - len(failed)} of the batch's {len(events)} events were stored"
        )
