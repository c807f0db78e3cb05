"""The span and log recorder: off the hot path, bounded, batched, dropped and counted.

An invocation that ends, or a log record, is put on a bounded queue without waiting
(``put_nowait``); a background task takes what is there in one go, turns it into documents
and publishes them, up to ``PER_MESSAGE`` of one kind to a message, on core NATS subjects
(one for spans, one for logs) that the observe stream keeps (limits: max messages, bytes and
age). Nothing a
step does ever waits on recording: when the queue is full the record is dropped and counted
(``stephost_observe_dropped_total``), and when NATS is away the batch is dropped the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import deque
from typing import Any

import nats.errors
import orjson
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
BATCH = 2048  # records published per turn of the drain task (so at most BATCH / LINGER a second)
LINGER = 0.05  # seconds the drain task lets records gather before publishing them
PER_MESSAGE = 64  # records per NATS message (the reader's windows count messages)
SUBJECTS = {"spans": names.OBSERVE_SPANS, "logs": names.OBSERVE_LOGS}
HOUR = 3600.0
REFRESH = 1.0  # with workers: seconds between writes of this worker's metrics for its siblings' scrapes
MAX_BYTES = 256 * 1024 * 1024  # the observe stream's memory, whatever max_messages says
# What the hot path queues: a finished span (span, duration ms, exception or None), or a log
# record; both are turned into documents by the background task.
Item = tuple[Span, float, BaseException | None] | logging.LogRecord


class Pending:
    """The records waiting for the drain task: a bounded FIFO. Nothing ever waits on it (the
    hot path drops a record when it is full, the drain task is woken by an event), so it
    needs none of asyncio.Queue's waiter and task bookkeeping on every put and get."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.items: deque[Item] = deque()

    def qsize(self) -> int:
        return len(self.items)

    def empty(self) -> bool:
        return not self.items

    def put_nowait(self, item: Item) -> bool:
        """False, and the item not kept, when full."""
        if len(self.items) >= self.maxsize:
            return False
        self.items.append(item)
        return True

    def get_nowait(self) -> Item:
        return self.items.popleft()

    def take(self, most: int) -> list[Item]:
        take = self.items.popleft
        return [take() for _ in range(min(most, len(self.items)))]


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
        max_messages: int,
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
            # In memory: recent diagnostics, not data; a file store would fsync every record
            # (nats_sync_always) and compete with the events for the disk.
            storage=StorageType.MEMORY,
            max_msgs=max_messages,
            max_bytes=MAX_BYTES,
            max_age=max_age_hours * HOUR,
            num_replicas=replicas,
        )
        self.queue = Pending(queue_size)
        self.metrics = Metrics(self.queue.qsize)
        self.otlp = otlp
        self._task: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()  # something is queued
        self._tap = _LogTap(self)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0

    # -- the hot path: never awaits, and defers all the work it can ------------------

    def ended(self, span: Span, duration_ms: float, exc: BaseException | None) -> None:
        self._put((span, duration_ms, exc))

    def log_record(self, record: logging.LogRecord) -> None:
        if threading.get_ident() == self._thread:
            self._put(record)
        elif self._loop is not None:  # a record logged from another thread
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._put, record)

    def _put(self, item: Item) -> None:
        if not self.queue.put_nowait(item):
            self.metrics.dropped.inc()
            return
        if not self._ready.is_set():
            self._ready.set()

    # -- the background side -------------------------------------------------------

    async def start(self) -> None:
        try:
            await ensure_stream(self.js, self.config)
        except nats.errors.Error as exc:  # e.g. a store kind NATS cannot change in place
            # Recent diagnostics only: made again rather than keeping the host from starting.
            log.warning("the observe stream cannot be updated (%s); making it again, empty", exc)
            await self.js.delete_stream(names.OBSERVE_STREAM)
            await self.js.add_stream(self.config)
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._task = self._loop.create_task(self._drain())
        if self.metrics.shared_dir is not None:
            self._refresher = self._loop.create_task(self._refresh())
        logging.getLogger().addHandler(self._tap)

    async def stop(self) -> None:
        logging.getLogger().removeHandler(self._tap)
        for task in (self._task, self._refresher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        while not self.queue.empty():  # what was still queued, if NATS takes it
            await self._publish(self.queue.take(BATCH))
        if self.otlp is not None:
            await asyncio.to_thread(self.otlp.shutdown)

    async def _drain(self) -> None:
        while True:
            await self._ready.wait()
            # Let a batch gather: under load one wake-up and a few messages per LINGER, not a
            # wake-up, an encode and a socket write per invocation.
            await asyncio.sleep(LINGER)
            self._ready.clear()
            await self._publish(self.queue.take(BATCH))
            if not self.queue.empty():
                self._ready.set()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH)
            try:
                self.metrics.refresh()
            except Exception:  # a gauge's reader failed: its siblings' scrapes keep its last value
                log.exception("writing this worker's metrics failed; trying again in %gs", REFRESH)

    async def _publish(self, batch: list[Item]) -> None:
        records: dict[str, list[dict[str, Any]]] = {"spans": [], "logs": []}
        for item in batch:
            kind, doc = _record(item)
            records[kind].append(doc)
        spans = records["spans"]
        self.metrics.spans(spans)
        # A few records per message: far fewer messages for NATS to carry and keep under load.
        # Each kind on its subject: the live log tail never receives (or skips) the spans.
        left = len(batch)
        try:
            for kind, docs in records.items():
                for start in range(0, len(docs), PER_MESSAGE):
                    chunk = docs[start : start + PER_MESSAGE]
                    await self.nc.publish(SUBJECTS[kind], encode(kind, chunk))
                    left -= len(chunk)
        except Exception as exc:  # NATS away or closing: these records are lost, and counted
            self.metrics.dropped.inc(left)
            log.debug("observe records dropped: %s", exc)
        if self.otlp is not None and spans:
            try:
                exported = await self.otlp.export(spans)
            except Exception as exc:
                exported = False
                log.debug("OTLP export failed: %s", exc)
            if not exported:
                self.metrics.unexported.inc(len(spans))


def encode(kind: str, docs: list[dict[str, Any]]) -> bytes:
    """One message of records of one kind: {"spans": [...]} or {"logs": [...]}, on one line
    (JSON escapes every newline), so the live tail hands it to a page as one event. orjson:
    a tenth of the standard encoder's time per span, the biggest part of recording's cost."""
    try:
        return orjson.dumps({kind: docs}, default=str, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # what orjson cannot write (an integer past 64 bits in a log's fields)
        return json.dumps({kind: docs}, default=str).encode()


def _record(item: Item) -> tuple[str, dict[str, Any]]:
    """("spans" or "logs", document) of a queued span or log record."""
    if isinstance(item, logging.LogRecord):
        return "logs", _log_doc(item)
    span, duration_ms, exc = item
    outcome, error = outcome_of(exc)
    return "spans", span.record(duration_ms, outcome, error)


def _log_doc(record: logging.LogRecord) -> dict[str, Any]:
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
    return doc
