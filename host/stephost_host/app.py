"""The composition root: builds every component and hands them to the lifecycle runner
(lifecycle.py), which starts them in dependency order and stops them in reverse.

Components, in start order (docs/architecture.md, "Host components and their order"):

    0. ports           every listening socket (HTTP, sidecar port, own ingress port), bound
                       first: a taken port stops the host before anything touches NATS
    1. nats            embedded nats-server (unless a URL is given), connection, streams, buckets
    2. observe         the span and log recorder (unless observe = false)
    3. streams         the stream-change subscription every host fans out from
    4. sidecar port    the gRPC server sidecars and agents dial (and the ingress, when it shares
                       the port; the deploy API's gRPC service)
    5. sidecars        supervised children, one per language; each waited for until its hello
    6. deployments     follows the active pointer; runs this host's wanted versions on agents
    7. deployment-status stream
                       the host-owned stream the deployment APIs publish progress on
    8. work sources    started in this order, stopped together:
                       http (uvicorn), queue consumers, cron, ingress, sidecar admission
    9. live tails      stopped before the work sources (an open Workbench tail never holds up
                       the drain)
   10. reload          `stephost dev`: restarts a language's sidecar when its files change
   11. runtime.json    where the running host is reached; then "stephost ready"

Shutdown runs that backwards: stop reloading and withdraw runtime.json; stop taking work
(HTTP, consumers, cron and ingress stop together, and new sidecars are turned away) while
in-flight invocations finish within ``drain_seconds`` (what is left is nak'ed and
redelivered later); then stop the sidecars, the gRPC port, and NATS, and release any socket
never handed over. NATS starts on its own (after the ports) because every other part is built
on the live connection and its buckets.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from stephost_host.agents import AgentPool, wait_ready
from stephost_host.components import Hooks, Ingress, SidecarPort, refuse_new_sidecars
from stephost_host.config import Settings
from stephost_host.cron.scheduler import CronScheduler
from stephost_host.deployments.auth import DeployAuth
from stephost_host.deployments.grpc_door import DeployService
from stephost_host.deployments.pipeline import Limits
from stephost_host.deployments.service import Deployments
from stephost_host.deployments_compat.wiring import compat_surfaces
from stephost_host.http.admin import WORKBENCH, build_admin
from stephost_host.http.admin.deployments import DeployGate
from stephost_host.http.admin.live import LiveViews
from stephost_host.http.admin.testing import Testing
from stephost_host.http.app import StepHttp
from stephost_host.http.limits import HttpLimits
from stephost_host.http.server import HttpServer
from stephost_host.http.ws import StreamSocket
from stephost_host.ingress import IngressPort, IngressService, check_settings, server_credentials
from stephost_host.lifecycle import Component, Lifecycle, Together
from stephost_host.link.calls import Calls
from stephost_host.link.server import SidecarService
from stephost_host.memory import HeapTrim
from stephost_host.natsio import jetstream
from stephost_host.natsio.backbone import NatsBackbone
from stephost_host.natsio.credentials import ClientAccess
from stephost_host.observe import Recorder, otlp
from stephost_host.observe.reader import Observed
from stephost_host.operations import Operations
from stephost_host.operations.schemas import StepSchemas
from stephost_host.ports import Ports
from stephost_host.posture import Doors, auth_posture
from stephost_host.queue.dlq import DeadLetters
from stephost_host.queue.manager import Consumers
from stephost_host.queue.publisher import Publisher
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.runtime import RuntimeFile, sidecar_secret
from stephost_host.state.store import StateStore
from stephost_host.streams.auth import AUTHENTICATE, StreamAuth
from stephost_host.streams.store import Streams
from stephost_host.supervisor.reload import Reloader
from stephost_host.supervisor.sidecars import Sidecars
from stephost_host.workers.role import WorkerRole
from stephost_wire import gc_pace
from stephost_wire.v1.deploy_pb2_grpc import add_DeployServicer_to_server

log = logging.getLogger("stephost")


async def _settle_gc() -> None:
    gc_pace.settle()


class Host:
    # Built by _compose() once NATS is up; read for the "ready" line and runtime.json.
    http: HttpServer
    link: SidecarPort
    ingress: IngressPort | None
    registry: Registry
    agents: AgentPool

    def __init__(self, settings: Settings, *, dev: bool = False, worker: WorkerRole | None = None) -> None:
        self.settings = settings
        self.dev = dev
        self.worker = worker  # one of `stephost start --workers N`'s hosts (workers/)
        self.secret = sidecar_secret(settings)
        # The step list, docs and OpenAPI schema show files, schemas and sidecar ids: open only
        # to `stephost dev` on loopback, otherwise behind the secret like the rest of the admin API.
        self.open_introspection = dev and settings.is_loopback(settings.host)
        # The gRPC ingress: a token beyond loopback, TLS only on its own port.
        self.ingress_off = check_settings(settings)
        self.ports = Ports(settings, server_credentials(settings), shared_http=worker is not None)
        self.nats = NatsBackbone(
            settings.nats_url,
            settings.runtime_dir / "nats",
            access=ClientAccess.from_settings(settings),
            sync_always=settings.nats_sync_always,
            event_max_age_days=settings.event_max_age_days,
            replicas=settings.replicas,
            recreate_missing_store=settings.recreate_missing_store,
            embedded_by_manager=worker is not None and worker.embedded_nats,
        )
        self.lifecycle = Lifecycle()
        log.info("state directory: %s", settings.runtime_dir)

    async def start(self) -> None:
        """Start everything; on failure, what did start is stopped again before the error propagates."""
        await self.lifecycle.start(self.ports)  # a taken port stops the host before NATS
        await self.lifecycle.start(self.nats)
        await self.lifecycle.start(*self._compose())
        s = self.settings
        for line in auth_posture(s, self._doors()):
            log.info("auth: %s", line)
        log.info(
            "stephost ready: http://%s:%d  sidecars dial %s:%d  nats %s",
            s.host,
            self.http.port,
            s.sidecar_host,
            self.link.port,
            jetstream.where(self.nats.nc),
        )
        if self.dev or s.workbench:
            self._announce_workbench()

    def _announce_workbench(self) -> None:
        s = self.settings
        where = f"http://{s.host}:{self.http.port}{WORKBENCH}/"
        log.info("workbench: %s (its data takes the host's secret: %s)", where, self.secret.origin)
        if self.dev and sys.stderr.isatty():
            # Only to the developer's terminal, never into a log: the secret rides after '#',
            # which the browser keeps to the page (no server sees it).
            print(f"  open the workbench: {where}#token={self.secret.value}", file=sys.stderr)

    async def stop(self) -> None:
        log.info("shutting down: draining in-flight work (up to %gs)", self.settings.drain_seconds)
        await self.lifecycle.stop()
        log.info("stopped")

    def _compose(self) -> list[Component | Together]:
        """Build every part on the live NATS connection; return the components in start order."""
        s, nc, js, buckets = self.settings, self.nats.nc, self.nats.js, self.nats.buckets
        registry = Registry()
        recorder = (
            Recorder(
                nc,
                js,
                max_messages=s.observe_max_messages,
                max_age_hours=s.observe_max_age_hours,
                replicas=s.replicas,
                otlp=otlp.from_environment(),
            )
            if s.observe
            else None
        )
        invoker = Invoker(registry, recorder)
        observed = Observed(nc, js) if recorder else None  # what the Workbench reads
        views = LiveViews()  # the Workbench's live views, ended before the HTTP drain
        publisher = Publisher(js)
        state = StateStore(nc, js, buckets.state)
        dlq = DeadLetters(js, buckets.failures)
        streams = Streams(nc, js, buckets.streams, registry.streams, self.settings.stream_schema)
        stream_auth = StreamAuth(registry, invoker)
        operations = Operations(
            registry, publisher, state, streams, stream_auth, nc.max_payload, self.nats.problem
        )
        operations.emits.strict = s.strict_emits
        schemas = StepSchemas(registry) if s.validate_schemas else None
        operations.emits.schemas = schemas
        calls = Calls(operations)
        self.agents = AgentPool()  # agents dial the sidecar port; deployments drive them
        service = SidecarService(
            registry, calls, secret=self.secret.value, heartbeat_ms=s.heartbeat_ms, agents=self.agents
        )
        if recorder is not None:
            recorder.metrics.gauge(
                "stephost_sidecars_connected",
                "Sidecars connected to this host",
                lambda: len(service.sessions),
            )
        self.ingress = None
        if s.ingress and not self.ingress_off:
            ingress_service = IngressService(
                operations,
                token=s.ingress_token,
                max_payload_bytes=s.ingress_max_payload_bytes,
                max_batch_events=s.ingress_max_batch_events,
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
            replay_new_subscribers=s.replay_new_subscribers,
        )
        cron = CronScheduler(registry, invoker, buckets.cron_locks)
        registry.on_change(consumers.sync)
        registry.on_change(cron.sync)

        self.registry = registry
        self.deployments = Deployments(
            nc,
            js,
            registry,
            pool=self.agents,
            # A worker must stay up a moment after its hello to count as ready (one that
            # crashes right away aborts the deploy instead of being switched to).
            wait_ready=lambda version, langs, timeout: wait_ready(
                registry, version, langs, timeout, agents=self.agents, settle=1.0
            ),
            limits=Limits(
                build_seconds=s.deploy_build_timeout,
                ready_seconds=s.deploy_ready_timeout,
                phase_seconds=s.deploy_phase_timeout,
                drain_seconds=s.drain_seconds,
                keep_warm_seconds=s.deploy_keep_warm_seconds,
                keep_versions=s.deploy_keep_versions,
                lease_seconds=s.deploy_lease_seconds,
            ),
            max_bundle_bytes=s.deploy_max_bundle_bytes,
            replicas=s.replicas,
            project=s.project.name,
            host_id=service.host_id,
            follow=not s.reload,  # `stephost dev` serves the working directory, always
        )
        deploy_auth = DeployAuth(self.secret.value, s.deploy_tokens)
        status_stream, surfaces = compat_surfaces(
            self.deployments, deploy_auth, registry, self.secret.value, s
        )
        admin = build_admin(
            registry,
            dlq,
            self.secret.value,
            operations.streams,
            self.nats.problem,
            open_introspection=self.open_introspection,
            outages=service.outages,
            tester=Testing(js, operations) if s.testing_endpoints else None,
            unready_on_load_errors=s.unready_on_load_errors,
            validated=s.validate_schemas,
            state_ops=operations.state,
            recorder=recorder,
            observed=observed,
            serve_workbench=self.dev or s.workbench,
            deployments=(self.deployments, DeployGate(deploy_auth)),
            views=views,
        )
        sockets = StreamSocket(
            streams, stream_auth, s.stream_max_subscriptions, host_streams=(status_stream,)
        )
        if recorder is not None:
            recorder.metrics.gauge(
                "stephost_stream_clients", "Stream WebSocket clients connected", lambda: sockets.clients
            )
        app = StepHttp(
            registry,
            invoker,
            admin,
            sockets,
            outages=service.outages,
            cors_policy=s.cors_policy(),
            max_body=s.max_body_bytes,
            schemas=schemas,
            surfaces=surfaces,
            on_request=recorder.metrics.http if recorder is not None else None,
        )

        ports = self.ports
        assert ports.http is not None and ports.sidecar is not None  # bound by the first stage
        self.http = HttpServer(
            app, ports.http, drain_seconds=s.drain_seconds, limits=HttpLimits.from_settings(s)
        )
        shared = self.ingress if s.ingress_port is None else None
        deploy_door = DeployService(self.deployments, deploy_auth)
        self.link = SidecarPort(
            service,
            ports.sidecar,
            shared=shared,
            also=lambda server: add_DeployServicer_to_server(deploy_door, server),
        )
        sidecars = Sidecars(
            s.project,
            s.languages,
            self.link.dial,
            self.secret.value,
            service,
            s.hello_timeout_seconds,
            state_dir=s.runtime_dir,
        )
        work_sources: list[Component] = [
            self.http,
            Hooks(
                "queue consumers",
                start=consumers.start,
                stop=lambda: consumers.stop(s.drain_seconds),
                stop_timeout=s.drain_seconds + 5,
            ),
            Hooks("cron", stop=cron.stop),
            *([Ingress(self.ingress, ports.ingress)] if self.ingress else []),
            refuse_new_sidecars(service),
        ]
        return [
            *([recorder] if recorder else []),
            Hooks("streams", start=streams.start, stop_timeout=1.0),
            self.link,
            *([sidecars] if s.supervise else []),
            Hooks("deployments", start=self.deployments.open, stop=self.deployments.close, stop_timeout=10.0),
            Hooks("deployment-status stream", start=status_stream.start, stop=status_stream.stop),
            Together(*work_sources),
            # Stopped before HTTP: a page's live views end, so it never holds up the drain.
            views,
            *(
                [Reloader(s.project, sidecars.processes, sidecars.add if s.supervise else None)]
                if s.reload
                else []
            ),
            # Last but one: everything the host keeps for its life exists by now.
            Hooks("heap", start=_settle_gc),
            HeapTrim(),
            self.worker.ready_file(s.runtime_dir, self._where)
            if self.worker
            else RuntimeFile(s.runtime_dir, self._where),
        ]

    def _doors(self) -> Doors:
        return Doors(
            secret_origin=self.secret.origin,
            sidecar_address=f"{self.settings.sidecar_host}:{self.link.port}",
            ingress_address=self.ingress.address if self.ingress else "",
            ingress_off=self.ingress_off,
            stream_hook=AUTHENTICATE in self.registry.hooks,
            open_introspection=self.open_introspection,
            embedded_nats=self.nats.embedded_store,
        )

    def _where(self) -> dict[str, Any]:
        """runtime.json: how to reach this host, for `stephost emit`, `stephost dlq` and tests."""
        return {
            "pid": os.getpid(),
            "http": f"http://{self.settings.host}:{self.http.port}",
            "sidecar": f"{self.settings.sidecar_host}:{self.link.port}",
            "nats": self.nats.url,
            "secret": self.secret.value,
            **(self.ingress.runtime_info() if self.ingress else {}),
        }
