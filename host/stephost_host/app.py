"""The composition root: builds every component, starts them in dependency order and
stops them in reverse.

    NATS (embedded or URL) -> streams/buckets -> registry, invoker, sidecar gRPC port
    -> queue consumers, cron -> HTTP -> supervised sidecars (+ reload)

Shutdown: stop taking work (HTTP, consumers, cron), let in-flight invocations finish
within ``drain_seconds``, nak what is left (redelivered later), stop the sidecars, the
gRPC port, then NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from stephost_host.config import ConfigError, Settings
from stephost_host.cron.scheduler import CronScheduler
from stephost_host.http.admin import build_admin
from stephost_host.http.app import StepHttp
from stephost_host.http.ws import StreamSocket
from stephost_host.ingress import IngressPort, IngressService, check_settings, payload_limit
from stephost_host.link.calls import Calls
from stephost_host.link.server import SidecarService, start_server
from stephost_host.natsio import jetstream
from stephost_host.natsio.credentials import ClientAccess, project_auth
from stephost_host.natsio.embedded import EmbeddedNats
from stephost_host.queue.dlq import DeadLetters
from stephost_host.queue.manager import Consumers
from stephost_host.queue.publisher import Publisher
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.state.store import StateStore
from stephost_host.streams.auth import StreamAuth
from stephost_host.streams.store import Streams
from stephost_host.supervisor import languages
from stephost_host.supervisor.process import SidecarProcess
from stephost_host.supervisor.reload import watch_and_reload

log = logging.getLogger("stephost")


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the Host owns signals and decides the shutdown order


class Host:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = settings.secret
        if not self.secret and not settings.is_loopback(settings.sidecar_host):
            raise ConfigError(
                f"sidecar_host={settings.sidecar_host!r} listens beyond loopback, so a secret is required: "
                "set STEPHOST_SECRET (or `secret` in stephost.toml) and give the same one to every sidecar"
            )
        # The gRPC ingress: a token beyond loopback, TLS only on its own port.
        self.ingress_off = check_settings(settings)
        if not self.secret and settings.supervise:
            # Children get it in their environment; nobody else on the machine can register steps.
            self.secret = secrets.token_urlsafe(24)
        self.embedded: EmbeddedNats | None = None
        self.stopped = asyncio.Event()
        self.http_port = 0
        self.sidecar_port = 0
        self.ingress: IngressPort | None = None
        self.nats_url = ""
        self.processes: dict[str, SidecarProcess] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self._reloader: asyncio.Task[None] | None = None

    @property
    def state_dir(self) -> Path:
        return self.settings.runtime_dir

    async def start(self) -> None:
        s = self.settings
        # 1. NATS
        self.nats_url = s.nats_url
        if not self.nats_url:
            store = self.state_dir / "nats"  # never anonymous: a per-project token, kept there
            auth = project_auth(store / "credentials")
            self.embedded = EmbeddedNats(store, sync_always=s.nats_sync_always, auth=auth)
            self.nats_url = await self.embedded.start()  # carries the token, for runtime.json
        self.nc = await jetstream.connect(self.nats_url, access=ClientAccess.from_settings(s))
        self.js = self.nc.jetstream(timeout=10)
        buckets = await jetstream.ensure_all(
            self.js, event_max_age_days=s.event_max_age_days, replicas=s.replicas
        )

        # 2. Core services
        self.registry = Registry()
        self.invoker = Invoker(self.registry)
        self.publisher = Publisher(self.js)
        self.state = StateStore(self.js, buckets.state)
        self.dlq = DeadLetters(self.js, buckets.failures)
        self.streams = Streams(self.nc, buckets.streams, self.registry.streams)
        await self.streams.start()
        self.service = SidecarService(
            self.registry,
            Calls(self.publisher, self.state, self.streams, self.registry, self.nc.max_payload),
            secret=self.secret,
            heartbeat_ms=s.heartbeat_ms,
        )
        if s.ingress and not self.ingress_off:
            self.ingress = IngressPort(
                IngressService(
                    self.registry,
                    self.publisher,
                    self.state,
                    streams=self.streams,
                    token=s.ingress_token,
                    max_payload_bytes=payload_limit(s.ingress_max_payload_bytes, self.nc.max_payload),
                ),
                tls=s.ingress_tls_cert is not None,
            )
        shared = self.ingress if self.ingress and s.ingress_port is None else None
        self.grpc, self.sidecar_port = await start_server(
            self.service, s.sidecar_host, s.sidecar_port, also=shared.add_shared if shared else None
        )
        if shared:
            shared.bound(s.sidecar_host, self.sidecar_port)

        # 3. Work sources
        self.consumers = Consumers(
            self.js,
            self.registry,
            self.invoker,
            self.dlq,
            backoff_base=s.retry_backoff_base,
            backoff_max=s.retry_backoff_max,
            leases=buckets.leases,
        )
        self.cron = CronScheduler(self.registry, self.invoker, buckets.cron_locks)
        self.registry.on_change(self.consumers.sync)
        self.registry.on_change(self.cron.sync)

        # 4. HTTP
        self.stream_auth = StreamAuth(self.registry, self.invoker)
        self.sockets = StreamSocket(self.streams, self.stream_auth)
        admin = build_admin(self.registry, self.dlq, self.secret, self.streams, self.stream_auth)
        self.http = StepHttp(self.registry, self.invoker, admin, self.sockets)
        sock = socket.socket(socket.AF_INET6 if ":" in s.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((s.host, s.port))
        except OSError as exc:
            raise ConfigError(f"cannot listen for HTTP on {s.host}:{s.port}: {exc.strerror}") from None
        self.http_port = sock.getsockname()[1]
        self.uvicorn = _Uvicorn(
            uvicorn.Config(
                self.http,
                log_config=None,
                lifespan="off",
                access_log=False,
                timeout_graceful_shutdown=int(s.drain_seconds) or 1,
            )
        )
        self._tasks.append(asyncio.create_task(self.uvicorn.serve(sockets=[sock])))
        while not self.uvicorn.started:
            if self._tasks[-1].done():
                self._tasks[-1].result()
            await asyncio.sleep(0.01)

        # 4b. The public gRPC ingress, on its own port when it has one
        if self.ingress:
            if s.ingress_port is not None:
                await self.ingress.start_own(
                    s.ingress_host, s.ingress_port, s.ingress_tls_cert, s.ingress_tls_key
                )
            await self.ingress.serving()
            log.info("gRPC ingress on %s%s", self.ingress.address, " (TLS)" if self.ingress.tls else "")
        elif self.ingress_off:
            log.warning(self.ingress_off)

        # 5. Sidecars
        if s.supervise:
            await self._start_sidecars()
        self._write_runtime()
        log.info(
            "stephost ready: http://%s:%d  sidecars dial %s:%d  nats %s",
            s.host,
            self.http_port,
            s.sidecar_host,
            self.sidecar_port,
            jetstream.where(self.nc),
        )

    async def _start_sidecars(self) -> None:
        s = self.settings
        found = languages.detect(s.project)
        if s.languages:
            found = [lang for lang in found if lang.name in s.languages]
        if not found:
            log.warning("no step files found under %s/steps or %s/src", s.project, s.project)
        connect_host = "127.0.0.1" if s.sidecar_host in ("0.0.0.0", "::", "") else s.sidecar_host
        for lang in found:
            problem = languages.missing_runtime(lang)
            if problem:
                log.error(problem)
                continue
            self.processes[lang.name] = SidecarProcess(
                lang, s.project, f"{connect_host}:{self.sidecar_port}", self.secret, self.service
            )
        results = await asyncio.gather(*(p.start() for p in self.processes.values()))
        for proc, ok in zip(self.processes.values(), results, strict=True):
            if not ok:
                log.error("the %s sidecar is not ready; its steps answer 503 until it is", proc.lang.name)
        if s.reload and self.processes:
            self._reloader = asyncio.create_task(watch_and_reload(s.project, self.processes))

    def _write_runtime(self) -> None:
        """Where a running host can be reached, for `stephost emit` and tools (owner-only)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / "runtime.json"
        info = {
            "pid": os.getpid(),
            "http": f"http://{self.settings.host}:{self.http_port}",
            "sidecar": f"{self.settings.sidecar_host}:{self.sidecar_port}",
            "nats": self.nats_url,
            "secret": self.secret,
            **(self.ingress.runtime_info() if self.ingress else {}),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)

    async def stop(self) -> None:
        """Safe to call after a partial start: each step skips what never started."""
        s = self.settings
        log.info("shutting down: draining in-flight work (up to %gs)", s.drain_seconds)
        if hasattr(self, "service"):
            self.service.stop_accepting()
        if self._reloader:
            self._reloader.cancel()
        if hasattr(self, "uvicorn"):
            self.uvicorn.should_exit = True
        work = [self.consumers.stop(s.drain_seconds), self.cron.stop()] if hasattr(self, "cron") else []
        if self.ingress:
            work.append(self.ingress.stop(grace=2.0))
        await asyncio.gather(*work, *self._tasks, return_exceptions=True)
        await asyncio.gather(*(p.stop() for p in self.processes.values()))
        if hasattr(self, "grpc"):
            await self.grpc.stop(grace=2.0)
        if hasattr(self, "nc"):
            with contextlib.suppress(Exception):
                await self.nc.close()
        if self.embedded:
            await self.embedded.stop()
        with contextlib.suppress(FileNotFoundError):
            (self.state_dir / "runtime.json").unlink()
        log.info("stopped")
        self.stopped.set()
