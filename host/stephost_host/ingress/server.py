"""Where Ingress is served: on the sidecar port's server (the default) or on a server of its
own (``ingress_port`` set), with standard health checking and server reflection either way.

Health (grpc.health.v1) answers for "" and "stephost.v1.Ingress"; reflection lists every
service on the server. Neither needs the ingress token: they carry no data.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from stephost_host.config import ConfigError, Settings
from stephost_host.ingress.service import IngressService
from stephost_host.ports import GrpcListener
from stephost_wire.v1 import ingress_pb2, ingress_pb2_grpc, sidecar_pb2

INGRESS = ingress_pb2.DESCRIPTOR.services_by_name["Ingress"].full_name
SIDECAR = sidecar_pb2.DESCRIPTOR.services_by_name["SidecarHost"].full_name
HEALTH = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


class IngressPort:
    """Ingress, health and reflection on one gRPC server, and where clients reach them."""

    def __init__(self, service: IngressService, *, tls: bool = False) -> None:
        self.service = service
        self.health = health_aio.HealthServicer()
        self.server: GrpcListener | None = None  # set when Ingress has a server of its own
        self.tls = tls
        self.port = 0
        self.address = ""  # host:port a local client dials

    def add_to(self, server: grpc.aio.Server, *, shared: bool = False) -> None:
        ingress_pb2_grpc.add_IngressServicer_to_server(self.service, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        listed = (INGRESS, SIDECAR) if shared else (INGRESS,)
        reflection.enable_server_reflection((*listed, HEALTH, reflection.SERVICE_NAME), server)

    def add_shared(self, server: grpc.aio.Server) -> None:
        """Serve on the sidecar port's server (call before it starts)."""
        self.add_to(server, shared=True)

    def bound(self, host: str, port: int) -> None:
        self.port = port
        dial = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        self.address = f"[{dial}]:{port}" if ":" in dial else f"{dial}:{port}"

    def runtime_info(self) -> dict[str, object]:
        """For .stephost/runtime.json, which `stephost emit` reads."""
        return {"ingress": self.address, "ingress_token": self.service.token, "ingress_tls": self.tls}

    async def serving(self) -> None:
        await self.health.set(INGRESS, health_pb2.HealthCheckResponse.SERVING)

    async def start_own(self, listener: GrpcListener) -> None:
        """Serve on a server of its own, bound earlier (``ports.Ports``)."""
        self.add_to(listener.server)
        await listener.start()
        self.server = listener
        self.bound(listener.door.host, listener.port)

    async def stop(self, grace: float) -> None:
        """Say NOT_SERVING, then stop an own server (in-flight calls get ``grace`` seconds)."""
        await self.health.enter_graceful_shutdown()
        if self.server is not None:
            await self.server.close(grace)


def server_credentials(s: Settings) -> grpc.ServerCredentials | None:
    """TLS for an ingress on its own port (read before anything starts), or None."""
    if not (s.ingress and s.ingress_port is not None and s.ingress_tls_cert and s.ingress_tls_key):
        return None
    try:
        pair = (s.ingress_tls_key.read_bytes(), s.ingress_tls_cert.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read the ingress TLS files: {exc}") from None
    return grpc.ssl_server_credentials([pair])


def check_settings(s: Settings) -> str:
    """Refuse settings that would expose the ingress unprotected, or TLS that cannot apply.

    Returns why the ingress stays off ("" when it is served): it shares a sidecar port
    that listens beyond loopback and has no token. Exposing the sidecar port does not
    ask for a public ingress, so that is a warning; asking for it (ingress_host) is an error.
    """
    if not s.ingress:
        return ""
    if (s.ingress_tls_cert is None) != (s.ingress_tls_key is None):
        raise ConfigError("ingress_tls_cert and ingress_tls_key go together: set both, or neither")
    if s.ingress_tls_cert and s.ingress_port is None:
        raise ConfigError(
            "ingress TLS needs ingress on its own port (the sidecar port has no TLS): set ingress_port"
        )
    if s.ingress_token or s.ingress_allow_anonymous:
        return ""
    if s.ingress_port is not None and not s.is_loopback(s.ingress_host):
        raise ConfigError(
            f"ingress_host={s.ingress_host!r} would expose the gRPC ingress beyond loopback without a "
            "token: set ingress_token (STEPHOST_INGRESS_TOKEN), or allow anyone who can reach it with "
            "--ingress-allow-anonymous (ingress_allow_anonymous = true)"
        )
    if s.ingress_port is None and not s.is_loopback(s.sidecar_host):
        return (
            f"the gRPC ingress is off: it would share the sidecar port on {s.sidecar_host} beyond "
            "loopback without a token; set ingress_token (STEPHOST_INGRESS_TOKEN), or give it its own "
            "port on loopback (ingress_port), or --ingress-allow-anonymous"
        )
    return ""
