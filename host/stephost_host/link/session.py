"""One connected sidecar: its outgoing queue, its in-flight invocations, its calls.

The session is the only thing that knows about the wire for one sidecar. Invocations
are futures keyed by id; results resolve them. Calls a handler makes (emit, state)
are answered by the ``CallHandler`` the host wires in.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from stephost_host.errors import PayloadTooLarge, SidecarLost, StepFailed
from stephost_host.link.raw_body import RawBody
from stephost_host.link.response_stream import ResponseStream
from stephost_host.logs import LEVELS
from stephost_host.observe.spans import Span, traceparent
from stephost_host.router.versions import version_of
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb

log = logging.getLogger("stephost.sidecar")
step_log = logging.getLogger("stephost.step")
_ids = itertools.count(1)
# Ids are unique across host restarts too: a sidecar that reconnects to a new host must
# never mistake a new invocation for one it abandoned.
_ID_PREFIX = uuid.uuid4().hex[:8]
# Streamed responses whose client went away: their handlers' clean-up calls (a state.set
# in a finally block) are still answered. Bounded: only the most recent are remembered.
_ENDING_KEPT = 256


@dataclass
class InFlight:
    step: str
    trace_id: str
    future: asyncio.Future[Any]
    origin: str = ""  # the queued event being handled, if any
    emits: int = 0  # emits made so far by this invocation
    stream: ResponseStream | None = None  # set by its first ResponseChunk
    span: Span | None = None  # its span, when the host records them: emits are noted on it


CallHandler = Callable[["Session", InFlight | None, pb.HostCall], Awaitable[Any]]


class Session:
    def __init__(self, hello: pb.Hello, peer: str, calls: CallHandler) -> None:
        self.sidecar_id = hello.sidecar_id
        self.language = hello.language
        self.version = version_of(hello.version)  # what it serves: a deployed version, or "fs"
        self.capacity = max(1, hello.capacity)
        self.protocol = hello.protocol_version
        self.hooks = list(hello.hooks)
        self.peer = peer
        self.out: asyncio.Queue[pb.HostMessage | None] = asyncio.Queue()
        self.inflight: dict[str, InFlight] = {}
        self.ending: OrderedDict[str, InFlight] = OrderedDict()  # see _ENDING_KEPT
        self.last_seen = time.monotonic()
        self.closed = False
        self._calls = calls
        # Invokers waiting for a free slot here (the same waiter may queue on every replica).
        # A freed slot is held for the longest waiting (``_slot_freed``) until it takes it: a
        # call arriving meanwhile queues behind it. (Taking it instead left the woken invoker
        # to queue again at the back, over and over: under load, host CPU spent on waking
        # and re-queueing, and calls that waited for seconds.)
        self.waiters: deque[asyncio.Future[Session | None]] = deque()
        self.held = 0  # slots freed for a woken waiter that has not taken them yet
        self._idle: list[asyncio.Future[None]] = []  # settled(): woken when nothing is in flight
        # An agent's events (build output, worker states) go to the host's agent pool.
        self.on_agent: Callable[[pb.AgentEvent], None] | None = None

    def __repr__(self) -> str:
        return f"<Session {self.language} {self.sidecar_id} {self.version}>"

    @property
    def load(self) -> int:
        """Slots taken: running, or held for a woken waiter."""
        return len(self.inflight) + self.held

    @property
    def has_room(self) -> bool:
        return not self.closed and self.load < self.capacity

    def take_held(self) -> None:
        """A woken waiter takes the slot held for it (its invocation is sent at once)."""
        self.held -= 1

    def release_held(self) -> None:
        """A woken waiter went away without taking its slot: the next in line gets it."""
        self.held -= 1
        self._slot_freed()

    async def settled(self, within: float) -> None:
        """Returns once nothing is in flight here (or the stream is gone), or after ``within``
        seconds: for a sidecar that gets no new work and is about to be stopped."""
        if not self.inflight or self.closed:
            return
        idle: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle.append(idle)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(idle, within)

    def send(self, msg: pb.HostMessage) -> None:
        self.out.put_nowait(msg)

    def outgoing(self) -> AsyncIterator[bytes]:
        """What to write to the sidecar: each an encoded ``pb.HostBatch`` (``codec.frames``)."""
        return codec.frames(self.out, self._refuse, in_flight=lambda: len(self.inflight))

    def _refuse(self, msg: pb.HostMessage, exc: codec.MessageTooLarge) -> pb.HostMessage | None:
        """A message too big for the link is answered here instead of killing the stream."""
        kind = msg.WhichOneof("kind")
        if kind == "invocation":
            inv = msg.invocation
            entry = self.inflight.pop(inv.invocation_id, None)
            if entry is not None:
                if not entry.future.done():
                    entry.future.set_exception(PayloadTooLarge(f"the invocation of {inv.step!r} is {exc}"))
                self._slot_freed()
            return None
        if kind == "call_result":  # e.g. a state group too big to hand back in one answer
            error = pb.StepError(type="PayloadTooLarge", message=f"the answer is {exc}", retryable=False)
            return pb.HostMessage(call_result=pb.CallResult(call_id=msg.call_result.call_id, error=error))
        log.error("%r: a %s message was not sent: %s", self, kind, exc)
        return None

    # -- invocations ---------------------------------------------------------

    def invoke(
        self,
        step: str,
        trace_id: str,
        payload_json: str,
        attempt: int,
        deadline: float,
        topic: str = "",
        hook: str = "",
        origin: str = "",
        raw: RawBody | None = None,
        span: Span | None = None,
    ) -> tuple[str, asyncio.Future[Any]]:
        """Send an invocation. Its future resolves with the ``pb.InvocationResult``, or with a
        ``ResponseStream`` when the handler streams its response (at the first chunk).
        ``raw``: an api request's bytes."""
        if self.closed:
            raise SidecarLost(f"sidecar {self.sidecar_id} is gone")
        inv_id = f"{_ID_PREFIX}-{next(_ids)}"
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.inflight[inv_id] = InFlight(step, trace_id, fut, origin, span=span)
        # Filled in place inside the message that carries it: no copy of the invocation
        # (its payload included), as a submessage passed to a constructor would be.
        msg = pb.HostMessage()
        inv = msg.invocation
        inv.invocation_id = inv_id
        inv.step = step
        inv.trace_id = trace_id
        inv.attempt = attempt
        inv.deadline_unix_ms = int(deadline * 1000)
        if raw is not None:
            payload_json = raw.fill(inv, payload_json, self.protocol)
        inv.payload_json = payload_json
        inv.topic = topic
        inv.hook = hook
        if span:
            inv.traceparent = traceparent(trace_id, span.span_id)
        self.send(msg)
        return inv_id, fut

    def cancel(self, inv_id: str, reason: str) -> None:
        entry = self.inflight.pop(inv_id, None)
        if entry is not None:
            self.send(pb.HostMessage(cancel=pb.Cancel(invocation_id=inv_id, reason=reason)))
            if entry.stream is not None:
                self.ending[inv_id] = entry
                while len(self.ending) > _ENDING_KEPT:
                    self.ending.popitem(last=False)
            self._slot_freed()

    def _finish(self, res: pb.InvocationResult) -> None:
        entry = self.inflight.pop(res.invocation_id, None)
        if entry is None:
            return  # cancelled or timed out already
        if entry.stream is not None:
            entry.stream.put(res)  # the end of a streamed response (or its error)
        elif entry.future.done():
            return  # timed out already
        elif res.HasField("error"):
            e = res.error
            entry.future.set_exception(
                StepFailed(e.type, e.message, e.stack, e.retryable, e.retry_after_seconds)
            )
        else:
            entry.future.set_result(res)
        self._slot_freed()

    def _chunk(self, chunk: pb.ResponseChunk) -> None:
        entry = self.inflight.get(chunk.invocation_id)
        if entry is None:
            return  # cancelled: the client went away, or the first chunk came too late
        if entry.stream is not None:
            entry.stream.put(chunk)
        elif not entry.future.done():
            inv_id = chunk.invocation_id
            entry.stream = ResponseStream(inv_id, chunk, self.send, lambda why: self.cancel(inv_id, why))
            entry.future.set_result(entry.stream)

    def _slot_freed(self) -> None:
        if not self.inflight:
            self._wake_idle()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():  # done: timed out, or woken by another replica
                self.held += 1
                waiter.set_result(self)
                return

    def _wake_idle(self) -> None:
        for idle in self._idle:
            if not idle.done():
                idle.set_result(None)
        self._idle.clear()

    # -- reading -------------------------------------------------------------

    async def read(
        self, batches: AsyncIterator[pb.SidecarBatch], first: pb.SidecarBatch | None = None
    ) -> None:
        """Consume ``first`` (what came with the hello), then the sidecar's batches until its
        side of the stream ends. The stream is read directly, not through another generator:
        every batch of a busy link crosses here."""
        if first is not None:
            self._take(first)
        async for batch in batches:
            self._take(batch)

    def _take(self, batch: pb.SidecarBatch) -> None:
        self.last_seen = time.monotonic()
        for msg in batch.messages:
            kind = msg.WhichOneof("kind")
            if kind == "result":
                self._finish(msg.result)
            elif kind == "chunk":
                self._chunk(msg.chunk)
            elif kind == "call":
                asyncio.get_running_loop().create_task(self._answer(msg.call))
            elif kind == "log":
                self._log(msg.log)
            elif kind == "agent" and self.on_agent is not None:
                self.on_agent(msg.agent)
            elif kind == "hello":
                log.warning("%r sent a second hello; ignored", self)

    async def _answer(self, call: pb.HostCall) -> None:
        # Built in place inside the message that carries it: no copy of the answer.
        msg = pb.HostMessage()
        res = msg.call_result
        res.call_id = call.call_id
        try:
            owner = self.inflight.get(call.invocation_id) or self.ending.get(call.invocation_id)
            value = await self._calls(self, owner, call)
            res.result_json = "null" if value is None else codec.dumps(value)  # None: every emit
        except Exception as exc:
            error = res.error
            error.type, error.message, error.retryable = _error_type(exc), str(exc), True
        if not self.closed:
            self.send(msg)

    def _log(self, rec: pb.LogRecord) -> None:
        owner = self.inflight.get(rec.invocation_id) or self.ending.get(rec.invocation_id)
        extra: dict[str, Any] = {"language": self.language}
        if owner:
            extra.update(step=owner.step, trace_id=owner.trace_id)
        if rec.fields_json:
            try:
                extra["fields"] = codec.loads(rec.fields_json)
            except ValueError:
                extra["fields"] = {"fields": rec.fields_json}
        step_log.log(LEVELS.get(rec.level, 20), rec.message, extra=extra)

    def close(self) -> None:
        """The stream is gone: fail everything in flight so the callers can redeliver."""
        if self.closed:
            return
        self.closed = True
        lost = SidecarLost(f"sidecar {self.sidecar_id} ({self.language}) disconnected mid-invocation")
        for entry in self.inflight.values():
            if entry.stream is not None:
                entry.stream.put(lost)
            elif not entry.future.done():
                entry.future.set_exception(lost)
        self.inflight.clear()
        self.out.put_nowait(None)
        for waiter in self.waiters:  # let them pick another replica, or find none
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()
        self._wake_idle()


def _error_type(exc: Exception) -> str:
    return getattr(exc, "error_type", None) or type(exc).__name__
