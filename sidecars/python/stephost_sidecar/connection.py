"""The link to the host: dial, hello, heartbeats, reconnect.

One long-lived bidirectional stream carries everything. Invocations, cancels and chunk acks go to
the dispatcher (the runner), answers to the handlers' calls go to ``HostCalls``. When the
stream dies, in-flight invocations are abandoned (the host has failed them and the queue
redelivers), and the sidecar dials again with backoff and sends the same hello.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import random
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc

from stephost_sidecar.calls import HostCalls
from stephost_sidecar.liveness import Liveness
from stephost_sidecar.loader import Project
from stephost_sidecar.proto import codec, pb

log = logging.getLogger("stephost.sidecar")


CONNECT = f"/{pb.DESCRIPTOR.services_by_name['SidecarHost'].full_name}/Connect"

# Sends one message on the stream an invocation arrived on.
Reply = Callable[[pb.SidecarMessage], None]


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

    def ack(self, invocation_id: str, seq: int) -> None: ...

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
    """The sidecar end of the wire. ``calls`` is the Channel every Context talks through.

    The stream and the handlers share the event loop that created the Connection, so a
    message crosses no thread between the wire and a handler. A handler that blocks that
    loop (``time.sleep`` in an ``async def``) delays the other handlers and the stream; the
    host still keeps the sidecar, because ``Liveness`` beats from a thread meanwhile, and
    the watchdog names the step.
    """

    def __init__(self, options: Options, hello: pb.Hello) -> None:
        self.options = options
        self.hello = hello
        self._loop = asyncio.get_running_loop()
        self._out: asyncio.Queue[pb.SidecarMessage | None] | None = None  # the current stream's
        self.calls = HostCalls(self._loop, self.send)
        self._stopping = False
        self._wake = asyncio.Event()  # cuts a reconnect pause short
        self._dispatcher: Dispatcher | None = None
        self.liveness = Liveness(options.target, options.secret, options.sidecar_id, self._in_flight)
        # An agent's commands (build, start, stop versions) go here, on the handlers' loop.
        self.on_agent: Callable[[pb.AgentCommand, Reply], None] | None = None

    def send(self, msg: pb.SidecarMessage) -> None:
        """Queue a message on the current stream (lost with it if the stream dies); any thread."""
        self._on_loop(self._enqueue, msg)

    def _enqueue(self, msg: pb.SidecarMessage | None) -> None:
        if self._out is not None:
            self._out.put_nowait(msg)

    def _on_loop(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn`` now when called on the loop, else soon on it (a plain ``def`` handler's
        worker thread)."""
        if _running_loop() is self._loop:
            fn(*args)
            return
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop closed meanwhile: the sidecar is exiting

    def _in_flight(self) -> int:
        return self._dispatcher.in_flight if self._dispatcher else 0

    async def run(self, dispatcher: Dispatcher) -> None:
        """Serve until stop(); raises Rejected when the host refuses us."""
        self._dispatcher = dispatcher
        try:
            await self._serve(dispatcher)
        finally:
            self._stopping = True
            self.liveness.stop()

    async def _serve(self, dispatcher: Dispatcher) -> None:
        backoff = 0.1
        while not self._stopping:
            welcomed = False
            try:
                welcomed = await self._session(dispatcher)
            except Rejected:
                raise
            except grpc.aio.AioRpcError as exc:
                log.warning("stream to %s ended: %s", self.options.target, exc.details() or exc.code().name)
            except Exception:
                log.exception("stream to %s failed", self.options.target)
            if self._stopping:
                break
            backoff = 0.1 if welcomed else min(backoff * 2, 5.0)
            delay = backoff * (0.5 + random.random())
            log.info("reconnecting to %s in %.1fs", self.options.target, delay)
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    async def stop(self) -> None:
        """Stop taking work, let in-flight invocations finish (bounded), close the stream."""
        self._stopping = True
        self._wake.set()
        if self._dispatcher:
            await self._dispatcher.drain(self.options.drain_seconds)
        self._enqueue(None)

    async def _session(self, dispatcher: Dispatcher) -> bool:
        out: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
        self._out = out
        out.put_nowait(pb.SidecarMessage(hello=self.hello))
        welcomed = False
        interval = 5.0
        last_seen = time.monotonic()

        def reply(msg: pb.SidecarMessage) -> None:
            # The result goes back on the stream the invocation came from.
            self._on_loop(out.put_nowait, msg)

        async with grpc.aio.insecure_channel(self.options.target, options=codec.grpc_options()) as channel:
            # Batches go out already encoded (``codec.frames``): no request serializer.
            connect = channel.stream_stream(CONNECT, response_deserializer=pb.HostBatch.FromString)
            call = connect(codec.frames(out, self._refuse, in_flight=self._in_flight))

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
                    self.liveness.beat_sent()

            beats: asyncio.Task[None] | None = None
            dropped = asyncio.Event()  # set when the heartbeat cancels the call: dial again
            try:
                async for batch in call:
                    last_seen = time.monotonic()
                    for msg in batch.messages:
                        kind = msg.WhichOneof("kind")
                        if kind == "welcome":
                            welcomed = True
                            interval = (msg.welcome.heartbeat_interval_ms or 5000) / 1000
                            self._welcomed(msg.welcome)
                            beats = asyncio.create_task(heartbeat())
                            self.liveness.connected(interval)
                        elif kind == "rejection":
                            raise Rejected(f"{msg.rejection.code}: {msg.rejection.message}")
                        else:
                            self._deliver(dispatcher, msg, kind, reply)
            except asyncio.CancelledError:
                if not dropped.is_set():
                    raise  # we are being stopped, not the stream
            finally:
                if beats:
                    beats.cancel()
                self._out = None
                self.liveness.disconnected()
                self._lost(dispatcher)
        return welcomed

    def _deliver(self, dispatcher: Dispatcher, msg: pb.HostMessage, kind: str | None, reply: Reply) -> None:
        """Start an invocation, settle a host call, cancel, acknowledge chunks, or hand an agent
        command to the agent: each as it is read, in the batch's order."""
        if kind == "invocation":
            dispatcher.start(msg.invocation, reply)
        elif kind == "call_result":
            self.calls.answer(msg.call_result)
        elif kind == "chunk_ack":
            dispatcher.ack(msg.chunk_ack.invocation_id, msg.chunk_ack.seq)
        elif kind == "cancel":
            dispatcher.cancel(msg.cancel.invocation_id)
        elif kind == "agent" and self.on_agent is not None:
            self.on_agent(msg.agent, reply)

    def _lost(self, dispatcher: Dispatcher) -> None:
        """The stream died: nothing in flight can be answered."""
        self.calls.abandon()
        dispatcher.abandon()

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
        if kind == "call":  # the handler's emit/state/stream call raises it, on the handlers' loop
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


async def serve_until_stopped(conn: Connection, dispatcher: Dispatcher, kind: str) -> int:
    """Serve until SIGTERM/SIGINT (which drain and close the stream); the exit code: 2 when the
    host refuses the hello (dialling again cannot help)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(conn.stop()))
    try:
        await conn.run(dispatcher)
    except Rejected as exc:
        print(f"stephost {kind}: the host rejected this {kind}: {exc}", file=sys.stderr)
        return 2
    return 0


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
