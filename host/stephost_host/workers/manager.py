"""The manager of `stephost start --workers N` (see __init__.py): starts the workers, keeps
them running, and stops them.

Start: the project's secret (made here once, not raced for by N workers), the HTTP port held
(SO_REUSEPORT, not listening: a taken port fails here, before NATS), the embedded nats-server
unless a URL is set, then worker 0 alone (it creates the streams and buckets) and the others
together; each says it is ready by writing its runtime file, and runtime.json follows.
A worker that dies is started again (with backoff while it keeps dying); a signal stops
every worker gracefully (each drains its own in-flight work), then NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from stephost_host.config import ConfigError, Settings
from stephost_host.natsio.backbone import embedded_server
from stephost_host.ports import bind_tcp, http_door
from stephost_host.runtime import RuntimeFile, sidecar_secret
from stephost_host.stop_signals import StopSignals
from stephost_host.supervisor.children import die_with_parent
from stephost_host.workers.role import READY_DIR, WorkerRole

log = logging.getLogger("stephost.workers")
# Seconds before starting a dead worker again, by how many times in a row it died early.
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
WORKER_KEYS = ("sidecar", "ingress")  # what runtime.json lists per worker beside its pid
STEADY = 60.0  # a worker that ran this long before dying is restarted without backoff


class WorkerFailed(Exception):
    pass


class Worker:
    """One worker process: started from its plan file, ready once its runtime file exists."""

    def __init__(self, role: WorkerRole, settings: Settings, state_dir: Path) -> None:
        self.role = role
        folder = state_dir / READY_DIR
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.plan = folder / f"{role.index}.plan.json"
        self.ready_path = folder / f"{role.index}.json"
        # Owner-only: the settings may carry the secret and the NATS URL carries its token.
        fd = os.open(self.plan, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"role": vars(role), "settings": settings.model_dump(mode="json")}, f)
        self.proc: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}
        self.started = 0.0

    async def spawn(self) -> None:
        self.ready_path.unlink(missing_ok=True)  # a file left by a killed one is not readiness
        self.started = asyncio.get_running_loop().time()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "stephost_host.workers",
            str(self.plan),
            start_new_session=True,  # a terminal's Ctrl-C reaches the manager, which stops them in order
            preexec_fn=die_with_parent,  # a SIGKILLed manager leaves no worker behind
        )

    async def ready(self, timeout: float) -> None:
        """Until the worker wrote its runtime file; WorkerFailed if it exits or takes too long."""
        assert self.proc is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.ready_path.exists():
            if self.proc.returncode is not None:
                raise WorkerFailed(
                    f"worker {self.role.index} exited with {self.proc.returncode} while starting"
                )
            if loop.time() > deadline:
                raise WorkerFailed(f"worker {self.role.index} was not ready within {timeout:.0f}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 0.05)
        self.info = json.loads(self.ready_path.read_text())

    async def stop(self, timeout: float) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            log.error("worker %d did not stop within %.0fs: killing it", self.role.index, timeout)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()


class Workers:
    def __init__(self, s: Settings, http_port: int, nats_url: str, embedded: bool) -> None:
        self.settings = s
        self.workers = [
            Worker(role, role.settings(s, http_port, nats_url), s.runtime_dir)
            for role in (WorkerRole(i, embedded) for i in range(s.workers))
        ]
        self.stopping = asyncio.Event()
        self.runtime = RuntimeFile(s.runtime_dir, self.describe)
        self._keepers: list[asyncio.Task[None]] = []
        # Starting takes a host's start, including its sidecars' hello.
        self.start_timeout = 120.0 + s.hello_timeout_seconds

    async def start(self) -> None:
        first, *rest = self.workers
        await first.spawn()
        await first.ready(self.start_timeout)  # it creates the streams and buckets the rest find
        for w in rest:
            await w.spawn()
        await asyncio.gather(*(w.ready(self.start_timeout) for w in rest))
        await self.runtime.start()
        self._keepers = [asyncio.create_task(self._keep(w)) for w in self.workers]

    def describe(self) -> dict[str, Any]:
        """runtime.json: worker 0's doors (its sidecar and ingress ports are the configured
        ones), this process's pid, and every worker."""
        workers = [
            {"pid": w.proc.pid if w.proc else None, **{k: w.info.get(k) for k in WORKER_KEYS}}
            for w in self.workers
        ]
        return {**self.workers[0].info, "pid": os.getpid(), "workers": workers}

    async def _keep(self, w: Worker) -> None:
        """Start ``w`` again whenever it dies, until the manager stops."""
        early_deaths = 0
        while True:
            assert w.proc is not None
            code = await w.proc.wait()
            if self.stopping.is_set():
                return
            ran = asyncio.get_running_loop().time() - w.started
            early_deaths = 0 if ran >= STEADY else early_deaths + 1
            delay = 0.0 if early_deaths == 0 else BACKOFF[min(early_deaths, len(BACKOFF)) - 1]
            log.error(
                "worker %d (pid %d) exited with %s after %.0fs; starting it again in %gs",
                w.role.index,
                w.proc.pid,
                code,
                ran,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            if self.stopping.is_set():
                return
            await w.spawn()
            try:
                await w.ready(self.start_timeout)
            except WorkerFailed as exc:
                log.error("%s", exc)
                continue
            log.info("worker %d is back (pid %d)", w.role.index, w.proc.pid)
            await self.runtime.start()  # its new pid

    async def stop(self) -> None:
        self.stopping.set()
        await self.runtime.stop()
        for task in self._keepers:
            task.cancel()
        # Each drains its own in-flight work; the 15s beyond is what a host's stop takes past it.
        await asyncio.gather(*(w.stop(self.settings.drain_seconds + 15) for w in self.workers))


def _check_ports(s: Settings) -> None:
    for name, port in (("sidecar_port", s.sidecar_port), ("ingress_port", s.ingress_port)):
        if port and port + s.workers - 1 > 65535:
            raise ConfigError(
                f"{name}={port} with workers={s.workers}: worker i listens on {name} + i, past 65535"
            )


async def run_workers(s: Settings) -> int:
    _check_ports(s)
    stop = StopSignals()
    sidecar_secret(s)  # made now, once: the workers read it back
    holder = bind_tcp(http_door(s), shared=True, listen=False)
    http_port = int(holder.getsockname()[1])
    nats = None if s.nats_url else embedded_server(s.runtime_dir / "nats", sync_always=s.nats_sync_always)
    workers: Workers | None = None
    try:
        url = await nats.start() if nats else s.nats_url
        workers = Workers(s, http_port, url, embedded=nats is not None)
        starting = asyncio.create_task(workers.start())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
        elif starting.exception() is None:
            w0 = workers.workers[0].info
            log.info(
                "stephost ready: %d workers at %s  sidecars dial %s (worker i: port + i)  nats %s",
                s.workers,
                w0.get("http"),
                w0.get("sidecar"),
                nats.address if nats else "(configured)",
            )
            await stopped
        else:
            log.error("%s; stopping the workers", starting.exception())
            return 1
        return 0
    finally:
        if workers is not None:
            await workers.stop()
        if nats is not None:
            await nats.stop()
        holder.close()
        log.info("stopped")
