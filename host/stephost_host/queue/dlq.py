"""Dead letters: every event whose handler failed for good is kept here with its error."""

from __future__ import annotations

import time
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from stephost import _wire
from stephost_host import names


class DeadLetters:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def put(
        self, *, step: str, topic: str, msg: Msg, trace_id: str, attempts: int, error: dict[str, Any]
    ) -> None:
        """Store the dead letter (awaiting JetStream's ack) before the caller acks the event."""
        record = {
            "step": step,
            "topic": topic,
            "data": _wire.loads(msg.data.decode()) if msg.data else None,
            "messageGroupId": (msg.headers or {}).get(names.HEADER_GROUP),
            "traceId": trace_id,
            "attempts": attempts,
            "error": error,
            "failedAt": time.time(),
            "streamSequence": msg.metadata.sequence.stream,
        }
        await self.js.publish(names.dlq_subject(step), _wire.dumps(record).encode(), stream=names.DLQ_STREAM)

    async def list(self, step: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The dead letters kept so far, oldest first (optionally for one step)."""
        subject = names.dlq_subject(step) if step else names.DLQ_SUBJECTS
        info = await self.js.stream_info(names.DLQ_STREAM)
        out: list[dict[str, Any]] = []
        if not info.state.messages:
            return out
        sub = await self.js.subscribe(subject, ordered_consumer=True, stream=names.DLQ_STREAM)
        try:
            while len(out) < limit:
                try:
                    msg = await sub.next_msg(timeout=0.5)
                except TimeoutError:
                    break
                record = _wire.loads(msg.data.decode())
                record["id"] = msg.metadata.sequence.stream
                out.append(record)
                if msg.metadata.num_pending == 0:
                    break
        finally:
            await sub.unsubscribe()
        return out
