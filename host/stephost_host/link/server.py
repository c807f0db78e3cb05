"""The gRPC port sidecars dial: hello, authentication, registration, heartbeats.

Each ``Connect`` stream becomes a Session. The response side is an async generator
fed from the session's queue (faster in grpc.aio than ``await context.write``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import grpc

from stephost_host.link.session import CallHandler, Session
from stephost_host.ports import GrpcListener
from stephost_host.router.registry import Registry
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from stephost_wire.v1 import sidecar_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from stephost_host.agents.pool import AgentPool

log = logging.getLogger("stephost.sidecar")
LANGUAGES = ("python", "node", "ruby")


class SidecarService(pb_grpc.SidecarHostServicer):
    def __init__(
        self,
        registry: Registry,
        calls: CallHandler,
        *,
        secret: str,
        heartbeat_ms: int,
        agents: AgentPool | None = None,
    ) -> None:
        self.registry = registry
        self.agents = agents  # where agents' hellos and events go; None: agents are refused
        self.calls = calls
        self.secret = secret
        self.heartbeat_ms = heartbeat_ms
        self.host_id = uuid.uuid4().hex[:8]
        self.sessions: set[Session] = set()
        # Supervisors wait here for the sidecar they started to say hello.
        self.hello_waiters: dict[str, asyncio.Future[Any]] = {}
        # Told (sidecar id, cause) when a sidecar is dropped for silence, so a supervisor can
        # kill and restart the process it started: a stopped or wedged one never exits itself.
        self.silence_listeners: list[Callable[[str, str], None]] = []
        # language -> why its supervised sidecar is not serving (the supervisor keeps it; the
        # HTTP app puts it in the 503 for routes that language would serve).
        self.outages: dict[str, str] = {}
        self.accepting = True

    def _secret_ok(self, given: str) -> bool:
        """The one secret check of the sidecar port: a hello's and a Beat's."""
        return not self.secret or hmac.compare_digest(given.encode(), self.secret.encode())

    def _check(self, hello: pb.Hello) -> pb.Rejection | None:
        if not codec.OLDEST_PROTOCOL <= hello.protocol_version <= codec.PROTOCOL_VERSION:
            return pb.Rejection(
                code="protocol_version",
                message=(
                    f"this host speaks protocol versions {codec.OLDEST_PROTOCOL} to "
                    f"{codec.PROTOCOL_VERSION}, the sidecar {hello.protocol_version}; upgrade the older side"
                ),
            )
        if not self._secret_ok(hello.secret):
            return pb.Rejection(
                code="unauthenticated",
                message=(
                    "wrong or missing secret: start the sidecar with --secret or STEPHOST_SECRET "
                    "set to the host's secret"
                    if not hello.secret
                    else "wrong secret"
                ),
            )
        if hello.language not in LANGUAGES or not hello.sidecar_id:
            return pb.Rejection(
                code="bad_hello",
                message=(f"hello needs a language ({', '.join(LANGUAGES)}) and a sidecar_id"),
            )
        if hello.capacity < 1:
            # A sidecar that may run nothing would hold its steps and never take their work.
            return pb.Rejection(
                code="bad_hello",
                message=(
                    f"capacity must be > 0 (how many invocations the sidecar runs at once), got "
                    f"{hello.capacity}: start the sidecar with --capacity N or STEPHOST_CAPACITY"
                ),
            )
        if hello.agent and self.agents is None:
            return pb.Rejection(code="bad_hello", message="this host takes no agents")
        if hello.agent and (hello.steps or hello.streams or hello.hooks):
            return pb.Rejection(code="bad_hello", message="an agent loads no steps, streams or hooks itself")
        if not self.accepting:
            return pb.Rejection(code="shutting_down", message="the host is shutting down")
        return None

    async def Connect(
        self, request_iterator: AsyncIterator[pb.SidecarBatch], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        """Each batch for the sidecar goes out already encoded (see ``serve``)."""
        try:
            first = await anext(aiter(request_iterator))
        except StopAsyncIteration:
            return
        hello = first.messages[0].hello if first.messages and first.messages[0].HasField("hello") else None
        if hello is None:
            no_hello = pb.Rejection(
                code="bad_hello", message="the first message on the stream must be a hello"
            )
            yield _encoded(no_hello)
            return
        rejection = self._check(hello)
        if rejection:
            log.error(
                "refused sidecar %s from %s: %s", hello.sidecar_id or "?", context.peer(), rejection.message
            )
            yield _encoded(rejection)
            return

        session = Session(hello, context.peer(), self.calls)
        if hello.agent:
            assert self.agents is not None  # checked above
            self.agents.join(session)
            session.send(self._welcome(session))
            log.info("%s agent %s connected from %s", hello.language, hello.sidecar_id, context.peer())
        else:
            self._register(session, hello, context.peer())
        self.sessions.add(session)
        waiter = self.hello_waiters.pop(hello.sidecar_id, None)
        if waiter and not waiter.done():
            waiter.set_result(session)

        # The first batch may carry more than the hello.
        rest = pb.SidecarBatch(messages=first.messages[1:])
        tasks = [
            asyncio.create_task(self._read(session, rest, request_iterator)),
            asyncio.create_task(self._heartbeat(session)),
        ]
        try:
            async for batch in session.outgoing():
                yield batch
        finally:
            for t in tasks:
                t.cancel()
            session.close()
            self.sessions.discard(session)
            if hello.agent and self.agents is not None:
                self.agents.leave(session)
            else:
                self.registry.unregister(session)
            log.info("%s %s %s disconnected", session.language, _kind(hello), session.sidecar_id)

    async def retire(self, sidecar_id: str, within: float) -> None:
        """No new work for this sidecar, whose supervisor is about to stop it while its
        replacement serves; returns once every invocation sent to it has its result (or after
        ``within`` seconds). Stopped at once instead, it would close its stream with work
        still on the wire to it, lost with the stream (a 502 for an HTTP request)."""
        retiring = [s for s in self.sessions if s.sidecar_id == sidecar_id]
        for session in retiring:
            self.registry.unregister(session)
        await asyncio.gather(*(session.settled(within) for session in retiring))

    async def Beat(self, request: pb.BeatRequest, context: grpc.aio.ServicerContext) -> pb.BeatReply:
        """A heartbeat from outside the stream (a sidecar whose loop a handler blocks): it
        counts for that sidecar's open streams, as an in-band heartbeat would."""
        if not self._secret_ok(request.secret):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "wrong or missing secret")
        known = False
        for session in self.sessions:
            if session.sidecar_id == request.sidecar_id and not session.closed:
                session.last_seen = time.monotonic()
                known = True
        return pb.BeatReply(known=known)

    def _register(self, session: Session, hello: pb.Hello, peer: str) -> None:
        """An ordinary sidecar: its steps, streams and hooks join the registry in its version."""
        for err in hello.load_errors:
            log.error(
                "%s: could not load %s: %s",
                hello.language,
                err.file,
                err.message,
                extra={"language": hello.language, "stack": err.stack},
            )
        rejected = self.registry.register(
            session,
            [(s.name, s.file, s.config_json) for s in hello.steps],
            [(s.name, s.file, s.config_json) for s in hello.streams],
            # A child the host's own supervisor (re)started, under the id it gave it: a reload,
            # which may bring changed configs. Any other sidecar must match what is served.
            reload=hello.sidecar_id in self.hello_waiters,
            load_errors=[(err.file, err.message) for err in hello.load_errors],
        )
        session.send(
            self._welcome(
                session, [pb.StepRejection(step=r.step, file=r.file, reason=r.reason) for r in rejected]
            )
        )
        log.info(
            "%s sidecar %s (version %s) connected from %s: %d step(s), %d stream(s), capacity %d",
            hello.language,
            hello.sidecar_id,
            session.version,
            peer,
            len(self.registry.serving.held(session, "step")),
            len(self.registry.serving.held(session, "stream")),
            session.capacity,
        )

    def _welcome(self, session: Session, rejected: list[pb.StepRejection] | None = None) -> pb.HostMessage:
        return pb.HostMessage(
            welcome=pb.Welcome(
                host_id=self.host_id,
                # The version this session speaks: the sidecar's (the host serves it or refused it).
                protocol_version=session.protocol,
                heartbeat_interval_ms=self.heartbeat_ms,
                rejected_steps=rejected or [],
            )
        )

    async def _read(
        self, session: Session, rest: pb.SidecarBatch, more: AsyncIterator[pb.SidecarBatch]
    ) -> None:
        try:
            await session.read(more, first=rest)
        except (grpc.aio.AioRpcError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("reading from %r failed", session)
        session.close()

    async def _heartbeat(self, session: Session) -> None:
        interval = self.heartbeat_ms / 1000
        while not session.closed:
            slept_from = time.monotonic()
            await asyncio.sleep(interval)
            # A busy loop (e.g. big bodies being parsed) delays this timer and the reading
            # alike: judge the sidecar's silence only when the timer itself ran on time.
            on_time = time.monotonic() - slept_from < 2 * interval
            silent = time.monotonic() - session.last_seen
            if on_time and silent > 3 * interval:
                cause = silence_cause(session, silent)
                log.warning("%s; dropping it", cause, extra={"language": session.language})
                session.close()
                for listener in self.silence_listeners:
                    listener(session.sidecar_id, cause)
                return
            session.send(pb.HostMessage(heartbeat=pb.Heartbeat(sent_unix_ms=int(time.time() * 1000))))

    def stop_accepting(self) -> None:
        self.accepting = False


def _encoded(rejection: pb.Rejection) -> bytes:
    return pb.HostBatch(messages=[pb.HostMessage(rejection=rejection)]).SerializeToString()


def _kind(hello: pb.Hello) -> str:
    return "agent" if hello.agent else "sidecar"


def silence_cause(session: Session, silent: float) -> str:
    """What the log says about a sidecar that stopped answering: who, how long, doing what."""
    steps = sorted({f.step for f in session.inflight.values()})
    doing = f" while running step {', '.join(steps)}" if steps else ""
    return (
        f"{session.language} sidecar {session.sidecar_id} stopped answering "
        f"(no heartbeat for {silent:.0f}s{doing})"
    )


SERVICE = pb.DESCRIPTOR.services_by_name["SidecarHost"].full_name


def add_to_server(service: SidecarService, server: grpc.aio.Server) -> None:
    """The generated registration, except that Connect's answers are written as they come:
    ``Session.outgoing`` yields batches already encoded (no serializer: bytes pass through)."""
    handlers = {
        "Connect": grpc.stream_stream_rpc_method_handler(
            service.Connect, request_deserializer=pb.SidecarBatch.FromString
        ),
        "Beat": grpc.unary_unary_rpc_method_handler(
            service.Beat,
            request_deserializer=pb.BeatRequest.FromString,
            response_serializer=pb.BeatReply.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_registered_method_handlers(SERVICE, handlers)


async def serve(
    service: SidecarService,
    listener: GrpcListener,
    *,
    also: Callable[[grpc.aio.Server], None] | None = None,
) -> None:
    """Serve sidecars on a port bound earlier (``ports.Ports``); ``also`` adds more services to
    the same server (the gRPC ingress, when it shares the port)."""
    add_to_server(service, listener.server)
    if also is not None:
        also(listener.server)
    await listener.start()
