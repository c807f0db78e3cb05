"""Dials the host, says hello, serves invocations, heartbeats, reconnects.

One long-lived bidirectional stream carries everything. When it dies, in-flight
invocations are abandoned (the host has failed them and the queue redelivers), and
the sidecar dials again with backoff and sends the same hello.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import platform
import random
import time
from dataclasses import dataclass
from typing import Any

import grpc

from stephost.context import Context
from stephost.errors import HostCallError
from stephost_sidecar.loader import Project
from stephost_sidecar.runner import Runner, failure_of
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from stephost_wire.v1 import sidecar_pb2_grpc as pb_grpc

log = logging.getLogger("stephost.sidecar")

STREAM_OPS = {
    "get": pb.StreamCall.GET,
    "set": pb.StreamCall.SET,
    "delete": pb.StreamCall.DELETE,
    "get_group": pb.StreamCall.GET_GROUP,
    "send": pb.StreamCall.SEND,
}
STATE_OPS = {
    "get": pb.StateCall.GET,
    "set": pb.StateCall.SET,
    "delete": pb.StateCall.DELETE,
    "get_group": pb.StateCall.GET_GROUP,
    "clear": pb.StateCall.CLEAR,
}


class Rejected(Exception):
    """The host refused the hello; dialling again cannot help."""


class StreamLost(ConnectionError):
    """The stream to the host ended while a call was waiting for its answer."""


@dataclass
class Options:
    target: str
    secret: str
    sidecar_id: str
    capacity: int
    drain_seconds: float = 10.0


class Connection:
    """The sidecar end of the wire; also the ``Channel`` every Context talks through."""

    def __init__(self, options: Options, project: Project) -> None:
        self.options = options
        self.steps = {s.name: s for s in project.steps}
        self.streams = project.streams
        self.failures = project.failures
        self.hooks = project.hooks
        self.runner = Runner(options.capacity)
        self.loop = asyncio.get_event_loop()
        self._out: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
        self._calls: dict[str, asyncio.Future[Any]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._call_ids = itertools.count(1)
        self._slots = asyncio.Semaphore(options.capacity)
        self._stopping = asyncio.Event()

    # -- lifecycle -----------------------------------------------------------

    async def run(self) -> None:
        """Serve until stop(); raises Rejected when the host refuses us."""
        self.loop = asyncio.get_running_loop()
        backoff = 0.1
        while not self._stopping.is_set():
            welcomed = False
            try:
                welcomed = await self._session()
            except Rejected:
                raise
            except grpc.aio.AioRpcError as exc:
                log.warning("stream to %s ended: %s", self.options.target, exc.details() or exc.code().name)
            except Exception:
                log.exception("stream to %s failed", self.options.target)
            if self._stopping.is_set():
                break
            backoff = 0.1 if welcomed else min(backoff * 2, 5.0)
            delay = backoff * (0.5 + random.random())
            log.info("reconnecting to %s in %.1fs", self.options.target, delay)
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except TimeoutError:
                pass
        self.runner.close()

    async def stop(self) -> None:
        """Stop taking work, let in-flight invocations finish (bounded), close the stream."""
        self._stopping.set()
        if self._tasks:
            log.info("draining %d in-flight invocation(s)", len(self._tasks))
            await asyncio.wait(list(self._tasks.values()), timeout=self.options.drain_seconds)
        self._out.put_nowait(None)

    async def _session(self) -> bool:
        self._out = asyncio.Queue()
        self._out.put_nowait(pb.SidecarMessage(hello=self._hello()))
        welcomed = False
        interval = 5.0
        last_seen = time.monotonic()
        async with grpc.aio.insecure_channel(self.options.target, options=codec.grpc_options()) as channel:
            call = pb_grpc.SidecarHostStub(channel).Connect(
                codec.batches(self._out, lambda items: pb.SidecarBatch(messages=items))
            )

            async def heartbeat() -> None:
                while True:
                    await asyncio.sleep(interval)
                    if time.monotonic() - last_seen > 3 * interval:
                        log.warning("no word from the host for %.0fs; dropping the stream", 3 * interval)
                        call.cancel()
                        return
                    beat = pb.Heartbeat(sent_unix_ms=int(time.time() * 1000), in_flight=len(self._tasks))
                    self._out.put_nowait(pb.SidecarMessage(heartbeat=beat))

            beats: asyncio.Task[None] | None = None
            try:
                async for batch in call:
                    last_seen = time.monotonic()
                    for msg in batch.messages:
                        kind = msg.WhichOneof("kind")
                        if kind == "invocation":
                            self._start(msg.invocation)
                        elif kind == "call_result":
                            self._answer(msg.call_result)
                        elif kind == "cancel":
                            task = self._tasks.get(msg.cancel.invocation_id)
                            if task:
                                task.cancel()
                        elif kind == "welcome":
                            welcomed = True
                            interval = (msg.welcome.heartbeat_interval_ms or 5000) / 1000
                            self._welcomed(msg.welcome)
                            beats = asyncio.create_task(heartbeat())
                        elif kind == "rejection":
                            raise Rejected(f"{msg.rejection.code}: {msg.rejection.message}")
            finally:
                if beats:
                    beats.cancel()
                self._abandon()
        return welcomed

    def _hello(self) -> pb.Hello:
        return pb.Hello(
            protocol_version=codec.PROTOCOL_VERSION,
            language="python",
            sidecar_id=self.options.sidecar_id,
            capacity=self.options.capacity,
            secret=self.options.secret,
            runtime=f"python {platform.python_version()}",
            steps=[
                pb.StepManifest(name=s.name, type=s.type, config_json=s.config_json, file=s.file)
                for s in self.steps.values()
            ],
            load_errors=[pb.LoadError(file=f.file, message=f.message, stack=f.stack) for f in self.failures],
            streams=[
                pb.StreamManifest(name=s.name, config_json=s.config_json, file=s.file) for s in self.streams
            ],
            # Per-stream access checks travel in each stream's manifest ("canAccess": true).
            hooks=[h for h in self.hooks if ":" not in h],
        )

    def _welcomed(self, welcome: pb.Welcome) -> None:
        log.info(
            "connected to host %s at %s with %d step(s)",
            welcome.host_id,
            self.options.target,
            len(self.steps),
        )
        for r in welcome.rejected_steps:
            log.error("host rejected step %s (%s): %s", r.step, r.file, r.reason)

    def _abandon(self) -> None:
        for fut in self._calls.values():
            if not fut.done():
                fut.set_exception(StreamLost("the connection to the host was lost"))
        self._calls.clear()
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    # -- invocations ---------------------------------------------------------

    def _start(self, inv: pb.Invocation) -> None:
        task = asyncio.create_task(self._invoke(inv))
        self._tasks[inv.invocation_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(inv.invocation_id, None))

    async def _invoke(self, inv: pb.Invocation) -> None:
        out = self._out  # the stream this invocation arrived on
        result = pb.InvocationResult(invocation_id=inv.invocation_id)
        async with self._slots:
            try:
                if inv.hook:
                    value = await self._hook(inv)
                else:
                    step = self.steps.get(inv.step)
                    if step is None:
                        raise LookupError(f"this sidecar has no step named {inv.step!r}")
                    ctx = Context(self, inv.invocation_id, inv.step, inv.trace_id, inv.attempt)
                    value = await self.runner.run(step, codec.loads(inv.payload_json), ctx)
                result.result_json = codec.dumps(value)
            except asyncio.CancelledError:
                return
            except Exception as exc:
                f = failure_of(exc)
                result.error.CopyFrom(
                    pb.StepError(
                        type=f.type,
                        message=f.message,
                        stack=f.stack,
                        retryable=f.retryable,
                        retry_after_seconds=f.retry_after,
                    )
                )
        out.put_nowait(pb.SidecarMessage(result=result))

    async def _hook(self, inv: pb.Invocation) -> Any:
        """Project hooks the host calls: stream authentication and per-stream access checks."""
        payload = codec.loads(inv.payload_json)
        if inv.hook == "stream_authenticate" and "stream_authenticate" in self.hooks:
            return await self.runner.call(self.hooks["stream_authenticate"], payload)
        check = self.hooks.get(f"stream_can_access:{inv.step}")
        if inv.hook == "stream_can_access" and check:
            # Only a real True lets a client in: a truthy mistake must not open a stream.
            return (
                await self.runner.call(check, payload["subscription"], payload.get("authContext"))
            ) is True
        raise LookupError(f"this sidecar has no {inv.hook} hook for {inv.step!r}")

    # -- Channel: calls a handler makes into the host ------------------------

    def _answer(self, res: pb.CallResult) -> None:
        fut = self._calls.pop(res.call_id, None)
        if fut is None or fut.done():
            return
        if res.HasField("error"):
            fut.set_exception(HostCallError(res.error.type, res.error.message))
        else:
            fut.set_result(codec.loads(res.result_json))

    def _call(self, invocation_id: str, **op: Any) -> asyncio.Future[Any]:
        call_id = str(next(self._call_ids))
        fut: asyncio.Future[Any] = self.loop.create_future()
        self._calls[call_id] = fut
        self._out.put_nowait(
            pb.SidecarMessage(call=pb.HostCall(call_id=call_id, invocation_id=invocation_id, **op))
        )
        return fut

    def emit(
        self, invocation_id: str, topic: str, data: Any, message_group_id: str | None
    ) -> asyncio.Future[Any]:
        emit = pb.EmitCall(topic=topic, data_json=codec.dumps(data), message_group_id=message_group_id or "")
        return self._call(invocation_id, emit=emit)

    def state(
        self, invocation_id: str, op: str, group: str, key: str = "", value: Any = None
    ) -> asyncio.Future[Any]:
        call = pb.StateCall(op=STATE_OPS[op], group=group, key=key)
        if op == "set":
            call.value_json = codec.dumps(value)
        return self._call(invocation_id, state=call)

    def stream(
        self, invocation_id: str, op: str, stream: str, group_id: str, item_id: str = "", data: Any = None
    ) -> asyncio.Future[Any]:
        call = pb.StreamCall(op=STREAM_OPS[op], stream=stream, group_id=group_id, id=item_id)
        if op in ("set", "send"):
            call.data_json = codec.dumps(data)
        return self._call(invocation_id, stream=call)

    def log(self, invocation_id: str, level: str, message: str, fields: dict[str, Any] | None) -> None:
        record = pb.LogRecord(
            invocation_id=invocation_id,
            level=level,
            message=message,
            fields_json=codec.dumps(fields) if fields else "",
            time_unix_ms=int(time.time() * 1000),
        )
        msg = pb.SidecarMessage(log=record)
        if _on_loop(self.loop):
            self._out.put_nowait(msg)
        else:  # a plain `def` handler logging from its worker thread
            self.loop.call_soon_threadsafe(self._out.put_nowait, msg)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
