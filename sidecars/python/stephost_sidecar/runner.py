"""Runs invocations: the step's handler behind its middleware, async or plain, within the
sidecar's capacity, and turns every failure into the typed StepError that crosses the wire.

Handler signatures: api ``(req, ctx)``, event ``(input, ctx)``, cron ``(ctx)``; middleware
``(req, ctx, next)``. Plain ``def`` functions run on a worker thread so they cannot block
the event loop that carries every other invocation.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stephost.context import Channel, Context
from stephost.errors import NonRetryableError, RetryableError
from stephost_sidecar.context import context_for
from stephost_sidecar.hooks import Hooks
from stephost_sidecar.http import encode_response, is_stream, request_of
from stephost_sidecar.loader import LoadedStep
from stephost_sidecar.proto import codec, pb
from stephost_sidecar.response_stream import ChunkSender

log = logging.getLogger("stephost.sidecar")

# Sends one message on the stream an invocation arrived on.
Reply = Callable[[pb.SidecarMessage], None]


class Runner:
    def __init__(self, steps: Iterable[LoadedStep], hooks: Hooks, channel: Channel, capacity: int) -> None:
        self.steps = {s.name: s for s in steps}
        self.hooks = hooks
        self.channel = channel
        self._slots = asyncio.Semaphore(max(1, capacity))
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._streams: dict[str, ChunkSender] = {}  # streamed responses, waiting for acks
        # What is running and since when (step or hook name, monotonic start): the watchdog
        # reads it from its own thread to say what was in flight while the loop was blocked.
        self.running: dict[str, tuple[str, float]] = {}
        # Plain `def` handlers run here, off the event loop, one thread per slot.
        self._threads = ThreadPoolExecutor(max_workers=max(1, capacity), thread_name_prefix="step")

    # -- dispatch: what the connection hands over ---------------------------

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def start(self, inv: pb.Invocation, reply: Reply) -> None:
        task = asyncio.create_task(self._invoke(inv, reply))
        self._tasks[inv.invocation_id] = task
        self.running[inv.invocation_id] = (f"hook {inv.hook}" if inv.hook else inv.step, time.monotonic())
        task.add_done_callback(lambda _t: self._finished(inv.invocation_id))

    def _finished(self, invocation_id: str) -> None:
        self._tasks.pop(invocation_id, None)
        self.running.pop(invocation_id, None)

    def cancel(self, invocation_id: str) -> None:
        """The host gave up on it (deadline); its result would be dropped anyway."""
        task = self._tasks.get(invocation_id)
        if task:
            task.cancel()

    def ack(self, invocation_id: str, seq: int) -> None:
        """The host's client took a streamed response's chunks up to ``seq``."""
        sender = self._streams.get(invocation_id)
        if sender:
            sender.ack(seq)

    def abandon(self) -> None:
        """The stream died: the host has failed everything in flight and will redeliver."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        self.running.clear()

    async def drain(self, timeout: float) -> None:
        if self._tasks:
            log.info("draining %d in-flight invocation(s)", len(self._tasks))
            await asyncio.wait(list(self._tasks.values()), timeout=timeout)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _invoke(self, inv: pb.Invocation, reply: Reply) -> None:
        # Filled in place inside the message that carries it: no copy of the result.
        msg = pb.SidecarMessage()
        result = msg.result
        result.invocation_id = inv.invocation_id
        started = time.monotonic()
        async with self._slots:
            try:
                await self._respond(inv, await self._dispatch(inv), result, reply)
            except asyncio.CancelledError:
                return
            except Exception as exc:
                result.error.CopyFrom(step_error(exc))
        if log.isEnabledFor(logging.DEBUG):
            outcome = f"error {result.error.type}" if result.HasField("error") else "ok"
            fields = {"step": inv.step, "trace_id": inv.trace_id, "attempt": inv.attempt, "outcome": outcome}
            fields["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
            log.debug(f"hook {inv.hook}" if inv.hook else "invocation", extra={"fields": fields})
        reply(msg)

    async def _dispatch(self, inv: pb.Invocation) -> Any:
        payload = codec.loads(inv.payload_json)
        if inv.hook:
            return await self.hooks.run(inv.hook, inv.step, payload, self.call)
        step = self.steps.get(inv.step)
        if step is None:
            raise LookupError(f"this sidecar has no step named {inv.step!r}")
        if step.type == "api":
            payload = request_of(inv, payload)
        return await self.run(step, payload, context_for(inv, self.channel, step.config.get("flows")))

    async def _respond(
        self, inv: pb.Invocation, value: Any, result: pb.InvocationResult, reply: Reply
    ) -> None:
        """The handler's result into ``result``; a streamed response goes out in chunks first."""
        step = None if inv.hook else self.steps.get(inv.step)
        if step is None or step.type != "api":
            result.result_json = codec.dumps(value)
        elif is_stream(value["body"]):
            sender = self._streams[inv.invocation_id] = ChunkSender(inv.invocation_id, reply)
            try:
                await sender.stream(value, self._threads)
            finally:
                del self._streams[inv.invocation_id]
            result.streamed = True
        else:
            encode_response(value, result)

    # -- execution: calling user code ---------------------------------------

    async def run(self, step: LoadedStep, payload: Any, ctx: Context) -> Any:
        if step.type == "api":
            return normalise_response(await self._api(step, payload, ctx))
        if step.type == "cron":
            return await self.call(step.handler, ctx)
        return await self.call(step.handler, payload, ctx)

    async def _api(self, step: LoadedStep, req: Any, ctx: Context) -> Any:
        if not step.middleware:  # the usual case: no chain to build
            return await self.call(step.handler, req, ctx)

        async def chain(index: int) -> Any:
            if index == len(step.middleware):
                return await self.call(step.handler, req, ctx)
            return await self.call(step.middleware[index], req, ctx, functools.partial(chain, index + 1))

        return await chain(0)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Any user function, async or plain (plain ones on a worker thread)."""
        if inspect.iscoroutinefunction(fn):
            result = await fn(*args)
        else:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self._threads, functools.partial(fn, *args))
        # A plain middleware that returns `next_fn()` hands back a coroutine.
        while inspect.isawaitable(result):
            result = await result
        return result


def normalise_response(value: Any) -> dict[str, Any]:
    """Any return value -> {status, body, headers}; the same rule in every language.

    A dict with any of status/body/headers is a response (status defaults to 200);
    anything else is the body of a 200.
    """
    if not (isinstance(value, dict) and ({"status", "body", "headers"} & value.keys())):
        return {"status": 200, "body": value, "headers": {}}
    status = value.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"response status must be an int from 100 to 599, got {status!r}")
    headers = value.get("headers") or {}
    return {
        "status": status,
        "body": value.get("body"),
        "headers": {str(k): str(v) for k, v in headers.items()},
    }


# -- errors: the one place an exception becomes a StepError --------------------

_OWN_FILES = (__file__.rsplit("/", 1)[0] + "/",)


def _user_stack(exc: BaseException) -> str:
    """The traceback without the sidecar's own frames: the user's code is what matters."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_OWN_FILES)]
    return (
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_list(frames))
        + "".join(traceback.format_exception_only(exc))
    )


def step_error(exc: BaseException) -> pb.StepError:
    """Type, message and stack as they are; retry intent from the SDK's error classes only."""
    retry_after = exc.retry_after if isinstance(exc, RetryableError) and exc.retry_after else 0.0
    return pb.StepError(
        type=type(exc).__name__,
        message=str(exc),
        stack=_user_stack(exc),
        retryable=not isinstance(exc, NonRetryableError),
        retry_after_seconds=float(retry_after),
    )
