"""Sends an invocation to the least-loaded sidecar of the active version serving the step
(or hook) and awaits the answer.

The version is resolved once, when the call is admitted: a call waiting for a slot or
running while another version is activated finishes on the version it began on. When every
replica is at capacity the caller waits (up to its deadline) for a free slot rather than
overloading a sidecar.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from stephost_host.errors import InvocationTimeout, StepUnavailable
from stephost_host.link.raw_body import RawBody
from stephost_host.link.response_stream import ResponseStream
from stephost_host.link.session import Session
from stephost_host.observe import Recorder, Span
from stephost_host.router.registry import Registry
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb

log = logging.getLogger("stephost.invoke")


def _wake(waiter: asyncio.Future[Session | None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _give_back(waiter: asyncio.Future[Session | None]) -> None:
    """A waiter is abandoned (its caller cancelled): a slot held for it goes to the next."""
    if waiter.done() and not waiter.cancelled() and (session := waiter.result()) is not None:
        session.release_held()


def _load(session: Session) -> int:
    return session.load


def _least_loaded(sessions: list[Session], what: str) -> Session:
    if not sessions:
        raise StepUnavailable(f"no sidecar serving {what} is connected")
    # One replica is the usual case: no need to compare loads.
    return sessions[0] if len(sessions) == 1 else min(sessions, key=_load)


def _expire(fut: asyncio.Future[Any], step: str, timeout: float) -> None:
    if not fut.done():
        fut.set_exception(InvocationTimeout(f"step {step!r} timed out after {timeout:g}s"))


class Invoker:
    def __init__(self, registry: Registry, recorder: Recorder | None = None) -> None:
        self.registry = registry
        self.recorder = recorder  # None: no spans (observe off)

    async def _pick(self, sessions: list[Session], what: str, deadline: float) -> Session:
        """The least-loaded session once it has room, else the first replica to free a slot
        for this caller, in line (``_run`` takes a free one without this)."""
        loop = asyncio.get_running_loop()
        while True:
            best = _least_loaded(sessions, what)
            if best.has_room:
                return best
            remaining = deadline - time.time()
            if remaining <= 0:
                raise InvocationTimeout(f"{what} had no free sidecar slot before its deadline")
            # Queue on every replica; the first to free a slot holds it for us and wakes us
            # with itself (None: the deadline, or that replica went away: look again).
            waiter: asyncio.Future[Session | None] = loop.create_future()
            for session in sessions:
                session.waiters.append(waiter)
            timer = loop.call_later(remaining, _wake, waiter)
            try:
                freed = await waiter
            except asyncio.CancelledError:
                _give_back(waiter)
                raise
            finally:
                timer.cancel()
            if freed is not None:
                freed.take_held()
                if not freed.closed:  # gone since it woke us: look again
                    return freed  # the caller sends its invocation there without yielding

    async def invoke(
        self,
        step: str,
        payload_json: str,
        trace_id: str,
        *,
        attempt: int = 1,
        topic: str = "",
        timeout: float | None = None,
        origin: str = "",
        raw: RawBody | None = None,
        parent: str = "",
        cause: str = "",
    ) -> Any:
        """Run the step; returns the handler's result (decoded JSON) or raises a HostError.

        An api step's response ``{"status", "headers", "body"}`` may instead carry raw bytes
        as its body, or a ``ResponseStream`` when the handler streams it. ``raw`` is an api
        request's bytes (and what of its body they stand for). ``parent``
        is the span this invocation continues (an emitting step's, a ``traceparent``'s) and
        ``cause`` what started it ("http", "event", "cron"): both only go into its span.
        """
        entry = self.registry.steps.get(step)
        if entry is None:
            raise StepUnavailable(f"no step named {step!r} is registered")
        timeout = entry.config.timeout if timeout is None else timeout
        what = f"step {step!r} ({entry.language})"
        sessions = self.registry.serving.of("step", entry.version, step)
        if self.recorder is None:
            return await self._run(
                sessions, what, step, payload_json, trace_id, timeout, attempt=attempt, topic=topic,
                origin=origin, raw=raw,
            )  # fmt: skip
        span = Span(trace_id, step, entry.language, parent, topic, attempt, cause)
        started = time.perf_counter()
        try:
            result = await self._run(
                sessions, what, step, payload_json, trace_id, timeout, attempt=attempt, topic=topic,
                origin=origin, raw=raw, span=span,
            )  # fmt: skip
        except BaseException as exc:
            self.recorder.ended(span, (time.perf_counter() - started) * 1000, exc)
            raise
        # A streamed response's span ends at its first chunk: the timeline shows time to answer.
        self.recorder.ended(span, (time.perf_counter() - started) * 1000, None)
        return result

    async def hook(
        self, hook: str, payload_json: str, trace_id: str, timeout: float, *, what: str, stream: str = ""
    ) -> Any:
        """Run a project hook on a sidecar of the active version: a stream's own hook
        (``canAccess``) where that stream is defined, any other where the project declared it."""
        version = self.registry.active
        if stream:
            sessions = self.registry.serving.of("stream", version, stream)
        else:
            sessions = self.registry.serving.of("hook", version, hook)
        return await self._run(sessions, what, stream, payload_json, trace_id, timeout, hook=hook)

    async def _run(
        self,
        sessions: list[Session],
        what: str,
        step: str,
        payload_json: str,
        trace_id: str,
        timeout: float,
        *,
        attempt: int = 1,
        topic: str = "",
        hook: str = "",
        origin: str = "",
        raw: RawBody | None = None,
        span: Span | None = None,
    ) -> Any:
        """Invoke on the least-loaded of these sessions (a step's replicas, or a hook's providers).

        ``origin`` names the queued event being handled; emits made while handling it get
        message ids derived from it, so a redelivered event's emits are not published twice.
        """
        deadline = time.time() + timeout
        session = _least_loaded(sessions, what)
        if not session.has_room:  # the usual case needs no wait, so no coroutine for it
            session = await self._pick(sessions, what, deadline)
        inv_id, fut = session.invoke(
            step,
            trace_id,
            payload_json,
            attempt,
            deadline,
            topic,
            hook,
            origin,
            raw,
            span,
        )
        # A timer on the future is much cheaper than asyncio.wait_for on this hot path.
        timer = asyncio.get_running_loop().call_later(
            max(0.0, deadline - time.time()), _expire, fut, step, timeout
        )
        try:
            outcome = await fut
        except InvocationTimeout:
            session.cancel(inv_id, f"timed out after {timeout:g}s")
            raise
        except asyncio.CancelledError:
            session.cancel(inv_id, "the caller went away")
            raise
        finally:
            timer.cancel()
        return _result(outcome, timeout)


def _result(outcome: pb.InvocationResult | ResponseStream, timeout: float) -> Any:
    """The handler's result as decoded JSON; a response's raw or streamed body in its place."""
    if isinstance(outcome, ResponseStream):
        # The deadline covered the wait for the first chunk; from here on the step's timeout
        # is the longest silence between two chunks.
        outcome.idle_timeout = timeout
        return {"status": outcome.status, "headers": outcome.headers, "body": outcome}
    value = codec.loads(outcome.result_json)
    if outcome.HasField("body_bytes") and isinstance(value, dict):
        value["body"] = outcome.body_bytes
    return value
