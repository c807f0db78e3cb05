"""The link to the host: dial, hello, heartbeats, reconnect.

One long-lived bidirectional stream carries everything. Invocations and cancels go to
the dispatcher (the runner), answers to the handlers' calls go to ``HostCalls``. When the
stream dies, in-flight invocations are abandoned (the host has failed them and the queue
redelivers), and the sidecar dials again with backoff and sends the same hello.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import grpc

from stephost_sidecar.calls import HostCalls
from stephost_sidecar.loader import Project
from stephost_sidecar.proto import codec, pb, pb_grpc

log = logging.getLogger("stephost.sidecar")


class Rejected(Exception):
    """The host refused the hello; dialling again cannot help."""


@dataclass
class Options:
    target: str
    secret: str
    sidecar_id: str
    capacity: int
    version: str = ""  # the project version these steps belong to; empty = "fs"
    drain_seconds: float = 10.0


class Dispatcher(Protocol):
    """Where invocations go (the runner)."""

    @property
    def in_flight(self) -> int: ...

    def start(self, inv: pb.Invocation, reply: Callable[[pb.SidecarMessage], None]) -> None: ...

    def cancel(self, invocation_id: str) -> None: ...

    def abandon(self) -> None: ...

    async def drain(self, timeout: float) -> None: ...


def build_hello(options: Options, project: Project, hooks: list[str]) -> pb.Hello:
    return pb.Hello(
        protocol_version=codec.PROTOCOL_VERSION,
        language="python",
        sidecar_id=options.sidecar_id,
        capacity=options.capacity,
        secret=options.secret,
        runtime=f"python {platform.python_version()}",
        version=options.version,
        steps=[
            pb.StepManifest(name=s.name, type=s.type, config_json=s.config_json, file=s.file)
            for s in project.steps
        ],
        load_errors=[pb.LoadError(file=f.file, message=f.message, stack=f.stack) for f in project.failures],
        streams=[
            pb.StreamManifest(name=s.name, config_json=s.config_json, file=s.file) for s in project.streams
        ],
        hooks=hooks,
    )


class Connection:
    """The sidecar end of the wire. ``calls`` is the Channel every Context talks through."""

    def __init__(self, options: Options, hello: pb.Hello) -> None:
        self.options = options
        self.hello = hello
        self._out: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
        self.calls = HostCalls(asyncio.get_running_loop(), self.send)
        self._stopping = asyncio.Event()
        self._dispatcher: Dispatcher | None = None

    def send(self, msg: pb.SidecarMessage) -> None:
        """Queue a message on the current stream (lost with it if the stream dies)."""
        self._out.put_nowait(msg)

    async def run(self, dispatcher: Dispatcher) -> None:
        """Serve until stop(); raises Rejected when the host refuses us."""
        self._dispatcher = dispatcher
        backoff = 0.1
        while not self._stopping.is_set():
            welcomed = False
            try:
                welcomed = await self._session(dispatcher)
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

    async def stop(self) -> None:
        """Stop taking work, let in-flight invocations finish (bounded), close the stream."""
        self._stopping.set()
        if self._dispatcher:
            await self._dispatcher.drain(self.options.drain_seconds)
        self._out.put_nowait(None)

    async def _session(self, dispatcher: Dispatcher) -> bool:
        out: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
        self._out = out
        out.put_nowait(pb.SidecarMessage(hello=self.hello))
        welcomed = False
        interval = 5.0
        last_seen = time.monotonic()
        async with grpc.aio.insecure_channel(self.options.target, options=codec.grpc_options()) as channel:
            call = pb_grpc.SidecarHostStub(channel).Connect(
                codec.batches(out, lambda items: pb.SidecarBatch(messages=items), self._refuse)
            )

            async def heartbeat() -> None:
                while True:
                    slept_from = time.monotonic()
                    await asyncio.sleep(interval)
                    # Work that blocked this loop delays this timer and the reading alike:
                    # judge the host's silence only when the timer itself ran on time.
                    on_time = time.monotonic() - slept_from < 2 * interval
                    if on_time and time.monotonic() - last_seen > 3 * interval:
                        log.warning("no word from the host for %.0fs; dropping the stream", 3 * interval)
                        dropped.set()
                        call.cancel()
                        return
                    beat = pb.Heartbeat(sent_unix_ms=int(time.time() * 1000), in_flight=dispatcher.in_flight)
                    out.put_nowait(pb.SidecarMessage(heartbeat=beat))

            beats: asyncio.Task[None] | None = None
            dropped = asyncio.Event()  # set when the heartbeat cancels the call: dial again
            try:
                async for batch in call:
                    last_seen = time.monotonic()
                    for msg in batch.messages:
                        kind = msg.WhichOneof("kind")
                        if kind == "invocation":
                            # The result goes back on the stream the invocation came from.
                            dispatcher.start(msg.invocation, out.put_nowait)
                        elif kind == "call_result":
                            self.calls.answer(msg.call_result)
                        elif kind == "cancel":
                            dispatcher.cancel(msg.cancel.invocation_id)
                        elif kind == "welcome":
                            welcomed = True
                            interval = (msg.welcome.heartbeat_interval_ms or 5000) / 1000
                            self._welcomed(msg.welcome)
                            beats = asyncio.create_task(heartbeat())
                        elif kind == "rejection":
                            raise Rejected(f"{msg.rejection.code}: {msg.rejection.message}")
            except asyncio.CancelledError:
                if not dropped.is_set():
                    raise  # we are being stopped, not the stream
            finally:
                if beats:
                    beats.cancel()
                self.calls.abandon()
                dispatcher.abandon()
        return welcomed

    def _refuse(self, msg: pb.SidecarMessage, exc: codec.MessageTooLarge) -> pb.SidecarMessage | None:
        """A message too big for the link fails alone, as an error its sender sees, instead
        of the host refusing the whole stream."""
        kind = msg.WhichOneof("kind")
        error = pb.StepError(type="PayloadTooLarge", retryable=False)
        if kind == "result":
            error.message = f"the handler's result is {exc}"
            return pb.SidecarMessage(
                result=pb.InvocationResult(invocation_id=msg.result.invocation_id, error=error)
            )
        if kind == "call":  # the handler's emit/state/stream call raises it
            error.message = f"the call is {exc}"
            self.calls.answer(pb.CallResult(call_id=msg.call.call_id, error=error))
            return None
        log.warning("a %s message was not sent to the host: %s", kind, exc)
        return None

    def _welcomed(self, welcome: pb.Welcome) -> None:
        log.info(
            "connected to host %s at %s with %d step(s)",
            welcome.host_id,
            self.options.target,
            len(self.hello.steps),
        )
        for r in welcome.rejected_steps:
            log.error("host rejected step %s (%s): %s", r.step, r.file, r.reason)
