"""Every socket the host listens on, bound before anything else starts.

A host whose HTTP, sidecar or ingress port is taken must stop before it touches NATS: no
embedded nats-server started, no stream or bucket created, nothing to undo. So binding is
the lifecycle's first component (``Ports``); the servers that use the sockets take them
over when they start, later, once the parts they serve exist.

gRPC sets SO_REUSEPORT on its listeners by default, which lets a second host bind a port the
first one holds, after which the kernel splits sidecar connections and ingress calls between
the two. Our gRPC servers turn it off, so a taken port is an error, as it is for HTTP.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import grpc

from stephost_host.config import ConfigError, Settings
from stephost_wire import codec

GRPC_OPTIONS = [*codec.grpc_options(), ("grpc.so_reuseport", 0)]


@dataclass(frozen=True)
class Door:
    """What listens where, and the setting that moves it (named in the error)."""

    what: str  # "HTTP", "sidecars", "the gRPC ingress"
    host: str
    port: int
    setting: str  # e.g. "port (--port, STEPHOST_PORT)"

    def taken(self, why: str) -> ConfigError:
        return ConfigError(
            f"cannot listen for {self.what} on {self.host}:{self.port}: {why}; stop what holds it "
            f"(another host?) or set {self.setting} to a free port (0 picks one)"
        )


def bind_tcp(door: Door, *, shared: bool = False, listen: bool = True) -> socket.socket:
    """A listening TCP socket. It listens at once: on Linux two sockets with SO_REUSEADDR may
    both bind one port as long as neither listens yet, so only listening makes it ours.

    ``shared``: the workers of one `stephost start --workers N` (workers/) each listen on the
    port with SO_REUSEPORT, and the kernel spreads new connections over them. A socket bound
    without it (another program) still makes the port taken; one bound with it by a process of
    the same user could join, which is why a single host never sets it and the manager first
    takes the port without it. ``listen=False``: bound, taking no connections yet (the manager
    holding the port; a worker until it serves)."""
    sock = socket.socket(socket.AF_INET6 if ":" in door.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart may reuse TIME_WAIT
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((door.host, door.port))
        if listen:
            sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise door.taken(exc.strerror or str(exc)) from None
    return sock


def http_door(s: Settings) -> Door:
    return Door("HTTP", s.host, s.port, "port (--port, STEPHOST_PORT)")


class GrpcListener:
    """A gRPC server bound to its port, serving nothing until ``start()``.

    Services are added to ``server`` before ``start()``. A server that never started keeps its
    port even when stopped, so ``close()`` starts it (with no services) before stopping it.
    """

    def __init__(self, door: Door, credentials: grpc.ServerCredentials | None = None) -> None:
        self.door = door
        self.server = grpc.aio.server(options=GRPC_OPTIONS)
        address = f"{door.host}:{door.port}"
        try:
            if credentials is None:
                bound = self.server.add_insecure_port(address)
            else:
                bound = self.server.add_secure_port(address, credentials)
        except RuntimeError:  # newer grpc raises where older returned 0
            bound = 0
        if not bound:
            raise door.taken("the address is in use or not available")
        self.port = bound  # the one asked for may be 0
        self._started = False
        self._closed = False

    async def start(self) -> None:
        await self.server.start()
        self._started = True

    async def close(self, grace: float | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._started:
            await self.server.start()
        await self.server.stop(grace)


class Ports:
    """The lifecycle's first component: binds every listening socket (all or none), and at
    the very end releases whatever was never handed over to its server."""

    name = "ports"
    stop_timeout = 5.0

    def __init__(
        self,
        s: Settings,
        ingress_credentials: grpc.ServerCredentials | None = None,
        *,
        shared_http: bool = False,
    ) -> None:
        self.settings = s
        self.shared_http = shared_http  # a worker: its siblings listen on the HTTP port too
        self.ingress_credentials = ingress_credentials
        self.http: socket.socket | None = None
        self.sidecar: GrpcListener | None = None
        self.ingress: GrpcListener | None = None  # only when the ingress has a port of its own

    async def start(self) -> None:
        s = self.settings
        try:
            # A worker's socket listens once uvicorn serves on it (asyncio listens then): till
            # then the kernel gives new connections to its siblings, none waits on a starting worker.
            self.http = bind_tcp(http_door(s), shared=self.shared_http, listen=not self.shared_http)
            self.sidecar = GrpcListener(
                Door("sidecars", s.sidecar_host, s.sidecar_port, "sidecar_port (--sidecar-port)")
            )
            if s.ingress and s.ingress_port is not None:
                door = Door(
                    "the gRPC ingress", s.ingress_host, s.ingress_port, "ingress_port (--ingress-port)"
                )
                self.ingress = GrpcListener(door, self.ingress_credentials)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        # The HTTP server closes a socket it took over; closing it again is harmless.
        if self.http is not None:
            self.http.close()
        for listener in (self.sidecar, self.ingress):
            if listener is not None:
                await listener.close()
