"""The manager of `stephost start --workers N` (see __init__.py): starts the workers, keeps
them running, and stops them.

Start: the project's secret (made here once, not raced for by N workers), the HTTP port
(first taken alone, so a port another server holds is an error even if it shares ports, then
held with SO_REUSEPORT, not listening), the embedded nats-server unless a URL is set, then
worker 0 alone (it creates the streams and buckets) and the others together. Each worker gets
its plan on stdin and says it is ready by writing its runtime file; runtime.json follows.
A worker that dies is started again, with backoff while it dies soon after starting; one that
keeps dying stops the manager (exit 1), so whatever supervises it sees the failure. A signal
stops every worker gracefully (each drains its own in-flight work), then NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from prometheus_client.multiprocess import mark_process_dead

from stephost_host.config import Settings
from stephost_host.natsio.backbone import embedded_server
from stephost_host.observe.metrics import SHARED_DIR_ENV
from stephost_host.ports import bind_tcp, http_door
from stephost_host.runtime import RuntimeFile, sidecar_secret
from stephost_host.stop_signals import StopSignals
from stephost_host.supervisor.children import die_with_parent, terminate
from stephost_host.workers.role import READY_DIR, WorkerRole, check_ports, shared_metrics_dir

log = logging.getLogger("stephost.workers")
# Seconds before starting a dead worker again, by how many times in a row it died early; one
# that dies early once more than this lists stops the manager.
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
STEADY = 60.0  # a worker that ran this long before dying is restarted at once
WORKER_KEYS = ("sidecar", "ingress")  # what runtime.json lists per worker beside its pid


class WorkerFailed(Exception):
    pass


class Worker:
    """One worker process, started with its plan on stdin, ready once its runtime file exists."""

    def __init__(self, role: WorkerRole, settings: Settings, state_dir: Path, env: dict[str, str]) -> None:
        self.role = role
        self.state_dir = state_dir
        self.env = env
        self.plan = json.dumps({"role": vars(role), "settings": settings.model_dump(mode="json")}).encode()
        self.ready_path = role.ready_path(state_dir)
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
            str(self.state_dir),
            str(self.role.index),
            stdin=asyncio.subprocess.PIPE,
            env=self.env,
            start_new_session=True,  # a terminal's Ctrl-C reaches the manager, which stops them in order
            preexec_fn=die_with_parent,  # a SIGKILLed manager leaves no worker behind
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(self.plan)
        await self.proc.stdin.drain()  # a worker dead already: BrokenPipeError, an OSError
        self.proc.stdin.close()

    async def ready(self, timeout: float) -> None:
        """Until the worker wrote its runtime file; WorkerFailed if it exits or takes too long."""
        assert self.proc is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.proc.returncode is not None:
                raise WorkerFailed(
                    f"worker {self.role.index} exited with {self.proc.returncode} while starting"
                )
            if loop.time() > deadline:
                raise WorkerFailed(f"worker {self.role.index} was not ready within {timeout:.0f}s")
            with contextlib.suppress(OSError, ValueError):  # not there yet (written whole, by rename)
                self.info = json.loads(self.ready_path.read_text())
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 0.05)

    async def stop(self, timeout: float) -> None:
        if self.proc is not None:
            await terminate(self.proc, timeout, f"worker {self.role.index} (pid {self.proc.pid})")


class Workers:
    def __init__(self, s: Settings, http_port: int, nats_url: str, embedded: bool) -> None:
        self.settings = s
        (s.runtime_dir / READY_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
        # Whichever worker takes a scrape answers for all: each writes its counts here. Made
        # empty: what a previous run counted is not this one's.
        self.metrics_dir = shared_metrics_dir(s.runtime_dir)
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.metrics_dir.mkdir(mode=0o700)
        env = {**os.environ, SHARED_DIR_ENV: str(self.metrics_dir)}
        self.workers = [
            Worker(role, role.settings(s, http_port, nats_url), s.runtime_dir, env)
            for role in (WorkerRole(i, embedded) for i in range(s.workers))
        ]
        self.stopping = asyncio.Event()
        self.failed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.runtime = RuntimeFile(s.runtime_dir, self.describe)
        self._keepers: list[asyncio.Task[None]] = []
        # Starting takes a host's start, including its sidecars' hello.
        self.start_timeout = 120.0 + s.hello_timeout_seconds
        # Each drains its own in-flight work; the 15s beyond is what a host's stop takes past it.
        self.stop_timeout = s.drain_seconds + 15

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
        try:
            await self._restart_when_dead(w)
        except Exception as exc:  # never a worker left unwatched without a word
            log.exception("watching worker %d failed", w.role.index)
            if not self.failed.done():
                self.failed.set_result(f"watching worker {w.role.index} failed: {exc}")

    async def _restart_when_dead(self, w: Worker) -> None:
        """Start ``w`` again whenever it dies, until the manager stops; sets ``failed`` when it
        keeps dying soon after each start."""
        early_deaths = 0
        while not self.stopping.is_set():
            assert w.proc is not None
            code = await w.proc.wait()
            # Its gauges (sidecars connected, ...) are summed no more; what it counted stays counted.
            mark_process_dead(w.proc.pid, str(self.metrics_dir))
            if self.stopping.is_set():
                return
            ran = asyncio.get_running_loop().time() - w.started
            early_deaths = 0 if ran >= STEADY else early_deaths + 1
            if early_deaths > len(BACKOFF):
                if not self.failed.done():
                    self.failed.set_result(
                        f"worker {w.role.index} died {early_deaths} times in a row, each within {STEADY:.0f}s of starting"
                    )
                return
            delay = BACKOFF[early_deaths - 1] if early_deaths else 0.0
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
            try:
                await w.spawn()
                await w.ready(self.start_timeout)
                await self.runtime.start()  # its new pid
            except (WorkerFailed, OSError) as exc:
                log.error("%s", exc)
                await w.stop(self.stop_timeout)  # one hung while starting would be waited on forever
                continue
            log.info("worker %d is back (pid %d)", w.role.index, w.proc.pid)

    async def stop(self) -> None:
        self.stopping.set()
        for task in self._keepers:
            task.cancel()
        await self.runtime.stop()
        await asyncio.gather(*(w.stop(self.stop_timeout) for w in self.workers), return_exceptions=True)
        shutil.rmtree(self.metrics_dir, ignore_errors=True)


def _hold_http_port(s: Settings) -> tuple[int, socket.socket]:
    """The HTTP port, taken alone first (a taken port is an error, whoever holds it and however),
    then held shared for the workers, not listening. Returns the port (0 picks one) and the
    holding socket."""
    door = http_door(s)
    alone = bind_tcp(door)
    port = int(alone.getsockname()[1])
    alone.close()
    return port, bind_tcp(dataclasses.replace(door, port=port), shared=True, listen=False)


async def run_workers(s: Settings) -> int:
    check_ports(s)
    stop = StopSignals()
    sidecar_secret(s)  # made now, once: the workers read it back
    http_port, holder = _hold_http_port(s)
    nats = None if s.nats_url else embedded_server(s.runtime_dir / "nats", sync_always=s.nats_sync_always)
    async with contextlib.AsyncExitStack() as undo:  # the workers, NATS, the socket: in reverse
        undo.callback(log.info, "stopped")
        undo.callback(holder.close)
        url = s.nats_url
        if nats is not None:
            url = await nats.start()
            undo.push_async_callback(nats.stop)
        workers = Workers(s, http_port, url, embedded=nats is not None)
        undo.push_async_callback(workers.stop)
        starting = asyncio.create_task(workers.start())
        stopped = asyncio.create_task(stop.wait())
        undo.callback(stopped.cancel)
        await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            return 0
        if (failure := starting.exception()) is not None:
            log.error("%s; stopping the workers", failure)
            return 1
        w0 = workers.workers[0].info
        log.info(
            "stephost ready: %d workers at %s  sidecars dial %s (worker i: port + i)  nats %s",
            s.workers,
            w0.get("http"),
            w0.get("sidecar"),
            nats.address if nats else "(configured)",
        )
        ends: set[asyncio.Future[Any]] = {stopped, workers.failed}
        await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        if workers.failed.done():
            log.error("%s; stopping the workers", workers.failed.result())
            return 1
        return 0
    return 1  # not reached: the block returns (mypy cannot tell an exit stack never swallows)
