"""The composition root: builds every component and hands them to the lifecycle runner
(lifecycle.py), which starts them in dependency order and stops them in reverse.

Components, in start order (docs/architecture.md, "Host components and their order"):

    1. nats            embedded nats-server (unless a URL is given), connection, streams, buckets
    2. streams         the stream-change subscription every host fans out from
    3. sidecar port    the gRPC server sidecars dial (and the ingress, when it shares the port)
    4. sidecars        dev-mode children, one per language; each waited for until its hello
    5. work sources    started in this order, stopped together:
                       http (uvicorn), queue consumers, cron, ingress, sidecar admission
    6. reload          `stephost dev`: restarts a language's sidecar when its files change
    7. runtime.json    where the running host is reached; then "stephost ready"

Shutdown runs that backwards: stop reloading and withdraw runtime.json; stop taking work
(HTTP, consumers, cron and ingress stop together, and new sidecars are turned away) while
in-flight invocations finish within ``drain_seconds`` (what is left is nak'ed and
redelivered later); then stop the sidecars, the gRPC port, and NATS. NATS starts on its own
first because every other part is built on the live connection and its buckets.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from stephost_host.components import Hooks, Ingress, SidecarPort, refuse_new_sidecars
from stephost_host.config import Settings
from stephost_host.cron.scheduler import CronScheduler
from stephost_host.http.admin import build_admin
from stephost_host.http.app import StepHttp
from stephost_host.http.server import HttpServer
from stephost_host.http.ws import StreamSocket
from stephost_host.ingress import IngressPort, IngressService, check_settings
from stephost_host.lifecycle import Component, Lifecycle, Together
from stephost_host.link.calls import Calls
from stephost_host.link.server import SidecarService
from stephost_host.natsio import jetstream
from stephost_host.natsio.backbone import NatsBackbone
from stephost_host.natsio.credentials import ClientAccess
from stephost_host.operations import Operations
from stephost_host.queue.dlq import DeadLetters
from stephost_host.queue.manager import Consumers
from stephost_host.queue.publisher import Publisher
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.runtime import RuntimeFile, sidecar_secret
from stephost_host.state.store import StateStore
from stephost_host.streams.auth import StreamAuth
from stephost_host.streams.store import Streams
from stephost_host.supervisor.reload import Reloader
from stephost_host.supervisor.sidecars import Sidecars

log = logging.getLogger("stephost")


class Host:
    # Built by _compose() once NATS is up; read for the "ready" line and runtime.json.
    http: HttpServer
    link: SidecarPort
    ingress: IngressPort | None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = sidecar_secret(settings)
        # The gRPC ingress: a token beyond loopback, TLS only on its own port.
        self.ingress_off = check_settings(settings)
        self.nats = NatsBackbone(
            settings.nats_url,
            settings.runtime_dir / "nats",
            access=ClientAccess.from_settings(settings),
            sync_always=settings.nats_sync_always,
            event_max_age_days=settings.event_max_age_days,
            replicas=settings.replicas,
        )
        self.lifecycle = Lifecycle()
        log.info("state directory: %s", settings.runtime_dir)

    async def start(self) -> None:
        """Start everything; on failure, what did start is stopped again before the error propagates."""
        await self.lifecycle.start(self.nats)
        await self.lifecycle.start(*self._compose())
        s = self.settings
        log.info(
            "stephost ready: http://%s:%d  sidecars dial %s:%d  nats %s",
            s.host,
            self.http.port,
            s.sidecar_host,
            self.link.port,
            jetstream.where(self.nats.nc),
        )

    async def stop(self) -> None:
        log.info("shutting down: draining in-flight work (up to %gs)", self.settings.drain_seconds)
        await self.lifecycle.stop()
        log.info("stopped")

    def _compose(self) -> list[Component | Together]:
        """Build every part on the live NATS connection; return the components in start order."""
        s, nc, js, buckets = self.settings, self.nats.nc, self.nats.js, self.nats.buckets
        registry = Registry()
        invoker = Invoker(registry)
        publisher = Publisher(js)
        state = StateStore(js, buckets.state)
        dlq = DeadLetters(js, buckets.failures)
        streams = Streams(nc, buckets.streams, registry.streams)
        operations = Operations(registry, publisher, state, streams, nc.max_payload)
        calls = Calls(operations)
        service = SidecarService(registry, calls, secret=self.secret, heartbeat_ms=s.heartbeat_ms)
        self.ingress = None
        if s.ingress and not self.ingress_off:
            ingress_service = IngressService(
                operations, token=s.ingress_token, max_payload_bytes=s.ingress_max_payload_bytes
            )
            self.ingress = IngressPort(ingress_service, tls=s.ingress_tls_cert is not None)
        elif self.ingress_off:
            log.warning(self.ingress_off)

        consumers = Consumers(
            js,
            registry,
            invoker,
            dlq,
            backoff_base=s.retry_backoff_base,
            backoff_max=s.retry_backoff_max,
            leases=buckets.leases,
        )
        cron = CronScheduler(registry, invoker, buckets.cron_locks)
        registry.on_change(consumers.sync)
        registry.on_change(cron.sync)

        stream_auth = StreamAuth(registry, invoker)
        admin = build_admin(registry, dlq, self.secret, streams, stream_auth)
        app = StepHttp(registry, invoker, admin, StreamSocket(streams, stream_auth))

        self.http = HttpServer(app, s.host, s.port, drain_seconds=s.drain_seconds)
        shared = self.ingress if s.ingress_port is None else None
        self.link = SidecarPort(service, s.sidecar_host, s.sidecar_port, shared=shared)
        sidecars = Sidecars(s.project, s.languages, self.link.dial, self.secret, service)
        work_sources: list[Component] = [
            self.http,
            Hooks(
                "queue consumers",
                stop=lambda: consumers.stop(s.drain_seconds),
                stop_timeout=s.drain_seconds + 5,
            ),
            Hooks("cron", stop=cron.stop),
            *([Ingress(self.ingress, s)] if self.ingress else []),
            refuse_new_sidecars(service),
        ]
        return [
            Hooks("streams", start=streams.start, stop_timeout=1.0),
            self.link,
            *([sidecars] if s.supervise else []),
            Together(*work_sources),
            *([Reloader(s.project, sidecars.processes)] if s.reload else []),
            RuntimeFile(s.runtime_dir, self._where),
        ]

    def _where(self) -> dict[str, Any]:
        """runtime.json: how to reach this host, for `stephost emit`, `stephost dlq` and tests."""
        return {
            "pid": os.getpid(),
            "http": f"http://{self.settings.host}:{self.http.port}",
            "sidecar": f"{self.settings.sidecar_host}:{self.link.port}",
            "nats": self.nats.url,
            "secret": self.secret,
            **(self.ingress.runtime_info() if self.ingress else {}),
        }
