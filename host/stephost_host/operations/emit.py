"""Emit: check an event against every rule, then store it on the events stream.

Whoever emits (a handler's ctx.emit, an ingress client), the event goes through the
same checks and the same Publisher, so downstream it is the same kind of event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass

import nats.errors

from stephost_host import names
from stephost_host.operations import ids
from stephost_host.operations.errors import (
    AlreadyExists,
    BatchProgress,
    InvalidArgument,
    OperationError,
    StoreProblem,
    Unavailable,
    no_problem,
    unavailable,
    writable,
)
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
from stephost_host.operations.schemas import StepSchemas
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
    parent: str = ""  # the span that emitted it (a W3C parent id), "" for none


@dataclass(frozen=True, slots=True)
class Receipt:
    trace_id: str
    stream: str
    sequence: int
    duplicate: bool = False  # an earlier emit with the same id was stored; this one was not


log = logging.getLogger("stephost.emit")

# Batch events awaiting JetStream's ack at once, across the host (see ``publish_all``).
BATCH_PUBLISHES_IN_FLIGHT = 256


class Emits:
    def __init__(
        self, publisher: Publisher, registry: Registry, limit: Limit, problem: StoreProblem = no_problem
    ) -> None:
        self.publisher = publisher
        self.registry = registry
        # A step emitting a topic its config does not declare in ``emits``: refused when
        # strict (the strict_emits setting), else one warning per (step, topic).
        self.strict = False
        self._warned: set[tuple[str, str]] = set()
        # Subscribers' `input` schemas, checked against emitted data (the validate_schemas
        # setting); None: not checked.
        self.schemas: StepSchemas | None = None
        self.fifo = FifoSubscribers(registry)
        self.limit = limit  # the NATS server's, unless a door passes a smaller one
        self.problem = problem
        self._in_flight = asyncio.Semaphore(BATCH_PUBLISHES_IN_FLIGHT)

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
        parent: str = "",
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
        if self.schemas is not None:
            self.schemas.check_input(topic, data, fields)
        if source:
            self._check_declared(source, topic)
        return Event(
            topic=topic,
            data=data,
            group=group,
            trace_id=trace_id or uuid.uuid4().hex,
            msg_id=ids.idempotent(idempotency_key) if idempotency_key else msg_id,
            idempotency_key=idempotency_key,
            source=source,
            parent=parent,
        )

    def _check_declared(self, step: str, topic: str) -> None:
        """The step's ``emits`` is its contract (flows and docs are drawn from it)."""
        entry = self.registry.steps.get(step)
        if entry is None or topic in entry.config.emit_topics:
            return
        declared = ", ".join(sorted(entry.config.emit_topics)) or "none"
        problem = (
            f"step {step!r} ({entry.file}) emits topic {topic!r}, which its config does not declare "
            f"(emits: {declared}); add it to the step's `emits`"
        )
        if self.strict:
            raise InvalidArgument(f"{problem} (strict_emits is on)")
        if (step, topic) not in self._warned:
            self._warned.add((step, topic))
            log.warning("%s; this warning is shown once", problem, extra={"step": step})

    async def publish(self, e: Event) -> Receipt:
        """Store the event; returns once JetStream has it (or already had it)."""
        writable(self.problem)
        try:
            ack = await self.publisher.emit(
                e.topic,
                e.data,
                e.trace_id,
                group=e.group,
                source=e.source,
                msg_id=e.msg_id,
                parent=e.parent,
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

    async def publish_all(
        self, events: list[Event], batch_id: str = "", in_turn: asyncio.Lock | None = None
    ) -> list[Receipt]:
        """Store checked events in list order; after a failure, send no more of them.

        Publishes go out in list order on one NATS connection (each task writes its
        message before its first suspension), so the events are stored in order. At most
        ``BATCH_PUBLISHES_IN_FLIGHT`` of all batches' events await their acks at once, so
        a bulk producer cannot bury the FIFO lease renewals, acks and handler emits that
        share the connection. Batches sharing ``in_turn`` send one after another (each
        may wait for acks while the next sends), so they are stored in the order they
        came. A refusal carries ``progress``: exactly what was stored.
        """
        receipts: list[Receipt | None] = [None] * len(events)
        failures: dict[int, OperationError] = {}

        async def one(i: int, e: Event) -> None:
            try:
                receipts[i] = await self.publish(e)
            except OperationError as exc:
                failures[i] = exc
            finally:
                self._in_flight.release()

        sent: list[asyncio.Task[None]] = []
        async with in_turn or contextlib.nullcontext():
            for i, e in enumerate(events):
                await self._in_flight.acquire()
                if failures:  # NATS is failing: what is not sent yet is not stored either
                    self._in_flight.release()
                    break
                sent.append(asyncio.create_task(one(i, e)))
        await asyncio.gather(*sent)
        if not failures:
            return [r for r in receipts if r is not None]
        first = min(failures)
        progress = BatchProgress(batch_id, len(events), sum(r is not None for r in receipts), first)
        refused = failures[first]
        if isinstance(refused, Unavailable):
            refused = unavailable(refused, str(progress), retry="")
        else:  # the event itself was refused (too large for NATS, a reused key): say where
            refused = type(refused)(f"events[{first}]: {refused.message}; {progress}")
        refused.progress = progress
        raise refused
