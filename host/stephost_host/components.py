"""Component adapters for parts whose own API says start and stop differently (see lifecycle.py).

The bigger components live with what they run: ``ports.Ports``, ``natsio.backbone.NatsBackbone``,
``http.server.HttpServer``, ``supervisor.sidecars.Sidecars``, ``supervisor.reload.Reloader``,
``runtime.RuntimeFile``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import grpc

from stephost_host.ingress import IngressPort
from stephost_host.link.server import SidecarService, serve
from stephost_host.ports import GrpcListener

log = logging.getLogger("stephost")

Hook = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


class Hooks:
    """A component made of two coroutine functions, for parts that need no class of their own."""

    def __init__(
        self, name: str, *, start: Hook = _nothing, stop: Hook = _nothing, stop_timeout: float = 5.0
    ) -> None:
        self.name = name
        self.stop_timeout = stop_timeout
        self._start = start
        self._stop = stop

    async def start(self) -> None:
        await self._start()

    async def stop(self) -> None:
        await self._stop()


class SidecarPort:
    """The gRPC server sidecars dial (and the ingress too, when it shares the port), on the
    port ``ports.Ports`` bound before anything else started."""

    name = "sidecar port"
    stop_timeout = 5.0
    GRACE = 2.0  # seconds in-flight RPCs get once the server stops

    def __init__(
        self,
        service: SidecarService,
        listener: GrpcListener,
        shared: IngressPort | None,
        also: Callable[[grpc.aio.Server], None] | None = None,
    ) -> None:
        self.service = service
        self.also = also  # more services on this server (the deploy API)
        self.listener = listener
        self.host = listener.door.host
        self.port = listener.port
        self.shared = shared

    async def start(self) -> None:
        def add(server: grpc.aio.Server) -> None:
            if self.shared:
                self.shared.add_shared(server)
            if self.also:
                self.also(server)

        await serve(self.service, self.listener, also=add)
        if self.shared:
            self.shared.bound(self.host, self.port)

    async def stop(self) -> None:
        await self.listener.close(self.GRACE)

    def dial(self) -> str:
        """host:port for a sidecar on this machine (a wildcard bind address is not dialable)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"{host}:{self.port}"


def refuse_new_sidecars(service: SidecarService) -> Hooks:
    """Once shutdown begins, a sidecar saying hello is told "shutting_down" (and may dial
    another host); the ones already connected stay to finish the drain."""

    async def refuse() -> None:
        service.stop_accepting()

    return Hooks("sidecar admission", stop=refuse, stop_timeout=1.0)


class Ingress:
    """The public gRPC ingress: on a server of its own when it has a port (bound by
    ``ports.Ports``), then health says SERVING."""

    name = "ingress"
    stop_timeout = 5.0
    GRACE = 2.0

    def __init__(self, ingress: IngressPort, own: GrpcListener | None) -> None:
        self.ingress = ingress
        self.own = own

    async def start(self) -> None:
        if self.own is not None:
            await self.ingress.start_own(self.own)
        await self.ingress.serving()
        log.info("gRPC ingress on %s%s", self.ingress.address, " (TLS)" if self.ingress.tls else "")

    async def stop(self) -> None:
        await self.ingress.stop(grace=self.GRACE)
