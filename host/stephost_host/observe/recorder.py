"""The span and log recorder: off the hot path, bounded, batched, dropped and counted.

An invocation that ends, or a log record, is put on a bounded asyncio queue without waiting
(``put_nowait``); a background task takes what is there in one go and publishes it on core
NATS subjects that the observe stream keeps (limits: max records and max age). Nothing a
step does ever waits on recording: when the queue is full the record is dropped and counted
(``stephost_observe_dropped_total``), and when NATS is away the batch is dropped the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from stephost_host import names
from stephost_host.errors import InvocationTimeout, SidecarLost, StepFailed, StepUnavailable
from stephost_host.logs import rfc3339
from stephost_host.natsio.jetstream import ensure_stream
from stephost_host.observe.metrics import Metrics
from stephost_host.observe.otlp import OtlpExport
from stephost_host.observe.spans import Span

log = logging.getLogger("stephost.observe")
QUEUE_SIZE = 10_000  # records waiting to be published; past it new ones are dropped
BATCH = 512  # records published per turn of the drain task
HOUR = 3600.0


def outcome_of(exc: BaseException | None) -> tuple[str, dict[str, str] | None]:
    """How an invocation ended, as the span says it: (outcome, error or None)."""
    if exc is None:
        return "ok", None
    if isinstance(exc, StepFailed):
        return "error", {"type": exc.type, "message": exc.message, "stack": exc.stack}
    if isinstance(exc, InvocationTimeout):
        return "timeout", {"type": "TimeoutError", "message": str(exc), "stack": ""}
    if isinstance(exc, SidecarLost):
        return "lost", {"type": "SidecarLost", "message": str(exc), "stack": ""}
    if isinstance(exc, StepUnavailable):
        return "unavailable", {"type": "StepUnavailable", "message": str(exc), "stack": ""}
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled", None
    return "error", {"type": type(exc).__name__, "message": str(exc), "stack": ""}


class _LogTap(logging.Handler):
    """Hands the host's log records (step logs from the sidecars among them) to the recorder."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(logging.INFO)
        self.recorder = recorder

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("stephost") and not record.name.startswith("stephost.observe"):
            self.recorder.log_record(record)


class Recorder:
    """A host component: the stream (made if missing), the drain task, the log tap."""

    name = "observe"
    stop_timeout = 5.0

    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        *,
        max_records: int,
        max_age_hours: float,
        replicas: int = 1,
        queue_size: int = QUEUE_SIZE,
        otlp: OtlpExport | None = None,
    ) -> None:
        self.nc = nc
        self.js = js
        self.config = StreamConfig(
            name=names.OBSERVE_STREAM,
            subjects=[names.OBSERVE_SUBJECTS],
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            storage=StorageType.FILE,
            max_msgs=max_records,
            max_age=max_age_hours * HOUR,
            num_replicas=replicas,
        )
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(queue_size)
        self.metrics = Metrics(self.queue.qsize)
        self.otlp = otlp
        self._task: asyncio.Task[None] | None = None
        self._tap = _LogTap(self)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0

    # -- the hot path: never awaits ------------------------------------------------

    def ended(self, span: Span, duration_ms: float, exc: BaseException | None) -> None:
        outcome, error = outcome_of(exc)
        self._put(names.observe_span_subject(span.trace_id), span.record(duration_ms, outcome, error))

    def log_record(self, record: logging.LogRecord) -> None:
        doc: dict[str, Any] = {
            "time": rfc3339(record.created),
            "ts": record.created,
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for attr, key in (("step", "step"), ("trace_id", "trace"), ("language", "language")):
            value = getattr(record, attr, None)
            if value:
                doc[key] = value
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            doc["fields"] = fields
        stack = getattr(record, "stack", None)
        if stack:
            doc["stack"] = str(stack)
        subject = names.observe_log_subject(doc.get("trace", ""))
        if threading.get_ident() == self._thread:
            self._put(subject, doc)
        elif self._loop is not None:  # a record logged from another thread
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._put, subject, doc)

    def _put(self, subject: str, doc: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait((subject, doc))
        except asyncio.QueueFull:
            self.metrics.dropped.inc()

    # -- the background side -------------------------------------------------------

    async def start(self) -> None:
        await ensure_stream(self.js, self.config)
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._task = self._loop.create_task(self._drain())
        logging.getLogger().addHandler(self._tap)

    async def stop(self) -> None:
        logging.getLogger().removeHandler(self._tap)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._publish(self._take([]))  # what was still queued, if NATS takes it
        if self.otlp is not None:
            await asyncio.to_thread(self.otlp.shutdown)

    async def _drain(self) -> None:
        while True:
            first = await self.queue.get()
            await self._publish(self._take([first]))

    def _take(self, batch: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        while len(batch) < BATCH and not self.queue.empty():
            batch.append(self.queue.get_nowait())
        return batch

    async def _publish(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        spans = [doc for _, doc in batch if "span" in doc]
        for doc in spans:
            self.metrics.span(doc)
        for i, (subject, doc) in enumerate(batch):
            try:
                await self.nc.publish(subject, json.dumps(doc, default=str).encode())
            except Exception as exc:  # NATS away or closing: these records are lost, and counted
                self.metrics.dropped.inc(len(batch) - i)
                log.debug("observe records dropped: %s", exc)
                break
        if self.otlp is not None and spans:
            try:
                exported = await self.otlp.export(spans)
            except Exception as exc:
                exported = False
                log.debug("OTLP export failed: %s", exc)
            if not exported:
                self.metrics.unexported.inc(len(spans))
