"""Dead letters: every event whose handler failed for good is kept, with its error, until
someone replays or discards it.

A record holds step, topic, data, messageGroupId, error (type, message, stack), attempts,
first and last failure time, and trace id; its id is its sequence in the DLQ stream.
Replay publishes the event again on a subject only the original step's consumer reads
(so other subscribers of the topic do not see it twice), then removes the dead letter.
"""

from __future__ import annotations

import time
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_wire import codec


class NoSuchDeadLetter(LookupError):
    pass


class DeadLetters:
    def __init__(self, js: JetStreamContext, failures: KeyValue) -> None:
        self.js = js
        self.failures = failures  # first failure time per (consumer, event), while it is retried

    # -- failures on the way to the DLQ --------------------------------------

    async def note_failure(self, consumer: str, seq: int) -> None:
        try:
            await self.failures.create(names.failure_key(consumer, seq), codec.dumps_bytes(time.time()))
        except KeyWrongLastSequenceError:
            pass  # not the first failure: keep the first time

    async def forget_failures(self, consumer: str, seq: int) -> float | None:
        """The first failure time (None if it never failed), forgetting it."""
        key = names.failure_key(consumer, seq)
        try:
            entry = await self.failures.get(key)
        except Exception:
            return None
        await self.failures.purge(key)
        return float(codec.loads(entry.value.decode())) if entry.value else None

    async def put(
        self,
        *,
        step: str,
        consumer: str,
        topic: str,
        msg: Msg,
        trace_id: str,
        attempts: int,
        error: dict[str, Any],
    ) -> None:
        """Store the dead letter (awaiting JetStream's ack) before the caller acks the event."""
        now = time.time()
        seq = msg.metadata.sequence.stream
        first = await self.forget_failures(consumer, seq)
        record = {
            "step": step,
            "topic": topic,
            "data": codec.loads(msg.data.decode()) if msg.data else None,
            "messageGroupId": (msg.headers or {}).get(names.HEADER_GROUP),
            "traceId": trace_id,
            "attempts": attempts,
            "error": error,
            "firstFailedAt": first or now,
            "lastFailedAt": now,
            "streamSequence": seq,
        }
        await self.js.publish(names.dlq_subject(step), codec.dumps_bytes(record), stream=names.DLQ_STREAM)

    # -- reading and acting on them ------------------------------------------

    async def records(self, step: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
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
                record = codec.loads(msg.data.decode())
                record["id"] = msg.metadata.sequence.stream
                out.append(record)
                if msg.metadata.num_pending == 0:
                    break
        finally:
            await sub.unsubscribe()
        return out

    async def show(self, dead_id: int) -> dict[str, Any]:
        try:
            raw = await self.js.get_msg(names.DLQ_STREAM, dead_id)
        except NotFoundError:
            raise NoSuchDeadLetter(f"no dead letter with id {dead_id}") from None
        record = codec.loads((raw.data or b"null").decode())
        record["id"] = dead_id
        return dict(record)

    async def select(self, ids: list[int] | None, step: str | None, everything: bool) -> list[dict[str, Any]]:
        if ids:
            return [await self.show(i) for i in ids]
        if step or everything:
            return await self.records(step, limit=100_000)
        raise ValueError("say which dead letters: ids, a step, or all")

    async def replay(self, records: list[dict[str, Any]]) -> list[int]:
        """Re-enqueue each to its original step only, then drop the dead letter."""
        done = []
        for record in records:
            headers = {names.HEADER_TRACE: record.get("traceId") or ""}
            if record.get("messageGroupId"):
                headers[names.HEADER_GROUP] = record["messageGroupId"]
            subject = names.replay_subject(names.consumer_name(record["topic"], record["step"]))
            await self.js.publish(
                subject, codec.dumps_bytes(record.get("data")), headers=headers, stream=names.EVENTS_STREAM
            )
            await self._drop(record["id"])
            done.append(record["id"])
        return done

    async def discard(self, records: list[dict[str, Any]]) -> list[int]:
        for record in records:
            await self._drop(record["id"])
        return [r["id"] for r in records]

    async def _drop(self, dead_id: int) -> None:
        try:
            await self.js.delete_msg(names.DLQ_STREAM, dead_id)
        except NotFoundError:
            pass  # removed meanwhile (another replay or discard)
