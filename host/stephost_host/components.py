"""Component adapters for parts whose own API says start and stop differently (see lifecycle.py).

The bigger components live with what they run: ``natsio.backbone.NatsBackbone``,
``http.server.HttpServer``, ``supervisor.sidecars.Sidecars``, ``supervisor.reload.Reloader``,
``runtime.RuntimeFile``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import grpc

from stephost_host.config import Settings
from stephost_host.ingress import IngressPort
from stephost_host.link.server import SidecarService, start_server

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
    """The gRPC server sidecars dial (and the ingress too, when it shares the port)."""

    name = "sidecar port"
    stop_timeout = 5.0
    GRACE = 2.0  # seconds in-flight RPCs get once the server stops

    def __init__(self, service: SidecarService, host: str, port: int, shared: IngressPort | None) -> None:
        self.service = service
        self.host = host
        self.port = port  # the bound port once started (the one asked for may be 0)
        self.shared = shared
        self._server: grpc.aio.Server | None = None

    async def start(self) -> None:
        also = self.shared.add_shared if self.shared else None
        self._server, self.port = await start_server(self.service, self.host, self.port, also=also)
        if self.shared:
            self.shared.bound(self.host, self.port)

    async def stop(self) -> None:
        if self._server:
            await self._server.stop(grace=self.GRACE)

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
    """The public gRPC ingress: on a server of its own when it has a port, then health says SERVING."""

    name = "ingress"
    stop_timeout = 5.0
    GRACE = 2.0

    def __init__(self, ingress: IngressPort, s: Settings) -> None:
        self.ingress = ingress
        self.settings = s

    async def start(self) -> None:
        s = self.settings
        if s.ingress_port is not None:
            await self.ingress.start_own(
                s.ingress_host, s.ingress_port, s.ingress_tls_cert, s.ingress_tls_key
            )
        await self.ingress.serving()
        log.info("gRPC ingress on %s%s", self.ingress.address, " (TLS)" if self.ingress.tls else "")

    async def stop(self) -> None:
        await self.ingress.stop(grace=self.GRACE)
