"""Endpoints the testing helpers of every language share (only with ``testing_endpoints``).

The Python, Node and Ruby testers talk to their host over HTTP alone, so none of them
needs a NATS client: ``idle`` says whether every queued event was handled (``wait_events``
polls it), ``events`` reads one topic's events from the events stream (``watch``), and
``emit`` stores an event through the same operation a step's ``ctx.emit`` uses.
Behind the admin secret like the rest of /__stephost; never registered by default.
"""

from __future__ import annotations

import json
from typing import Any

import nats.js.errors
from fastapi import APIRouter, HTTPException, Query
from nats.js import JetStreamContext
from pydantic import BaseModel

from stephost_host import names
from stephost_host.operations import Fields, OperationError, Operations, Unavailable

# How the emit endpoint's JSON body spells the fields a refusal names.
EMIT_FIELDS = Fields({"trace_id": "traceId", "message_group_id": "messageGroupId"})
# The most events one read returns; a watcher asks again from the last one it got.
MAX_EVENTS = 1000


class EmitBody(BaseModel):
    topic: str
    data: Any = None
    traceId: str = ""
    messageGroupId: str = ""


class Testing:
    """What the endpoints read and write: the JetStream context and the host's operations."""

    def __init__(self, js: JetStreamContext, operations: Operations) -> None:
        self.js = js
        self.operations = operations

    async def pending(self) -> int:
        """Events stored but not yet handled (or dead-lettered), over every step's consumer."""
        consumers = await self.js.consumers_info(names.EVENTS_STREAM)
        return sum((c.num_pending or 0) + (c.num_ack_pending or 0) for c in consumers)

    async def last_sequence(self) -> int:
        info = await self.js.stream_info(names.EVENTS_STREAM)
        return info.state.last_seq

    async def events(self, topic: str, after: int) -> list[dict[str, Any]]:
        """The topic's events with a sequence above ``after``, oldest first."""
        subject = names.topic_subject(topic)
        found: list[dict[str, Any]] = []
        seq = after + 1
        while len(found) < MAX_EVENTS:
            try:
                msg = await self.js.get_msg(names.EVENTS_STREAM, seq, subject=subject, next=True)
            except nats.js.errors.NotFoundError:  # no later event on the subject
                break
            headers = msg.headers or {}
            found.append(
                {
                    "seq": msg.seq,
                    "topic": topic,
                    "data": json.loads(msg.data) if msg.data else None,
                    "traceId": headers.get(names.HEADER_TRACE, ""),
                }
            )
            seq = (msg.seq or seq) + 1
        return found


def router(testing: Testing) -> APIRouter:
    api = APIRouter(prefix="/testing")

    @api.get("/idle")
    async def idle() -> dict[str, Any]:
        pending = await testing.pending()
        return {"idle": pending == 0, "pending": pending}

    @api.get("/events")
    async def events(topic: str, after: int | None = Query(None, ge=0)) -> dict[str, Any]:
        """Without ``after``: no events, only ``last`` (where a new watcher starts)."""
        last = await testing.last_sequence()
        found = [] if after is None else await testing.events(topic, after)
        return {"events": found, "last": found[-1]["seq"] if found else max(last, after or 0)}

    @api.post("/emit")
    async def emit(body: EmitBody) -> dict[str, Any]:
        emits = testing.operations.emits
        try:
            event = emits.event(
                body.topic,
                json.dumps(body.data),
                EMIT_FIELDS,
                group=body.messageGroupId,
                trace_id=body.traceId,
            )
            receipt = await emits.publish(event)
        except Unavailable as exc:
            raise HTTPException(503, str(exc)) from None
        except OperationError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"traceId": receipt.trace_id, "seq": receipt.sequence}

    return api
