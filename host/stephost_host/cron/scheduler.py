"""Fires cron steps. Each tick is claimed with a KV create keyed by (step, fire time), which
only one host can win, so a tick fires once however many hosts share NATS."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_host.errors import HostError
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.steps.models import CronStep, cron_iter

log = logging.getLogger("stephost.cron")


class CronScheduler:
    def __init__(self, registry: Registry, invoker: Invoker, locks: KeyValue) -> None:
        self.registry = registry
        self.invoker = invoker
        self.locks = locks
        self.jobs: dict[str, tuple[str, asyncio.Task[None]]] = {}
        self.running: set[asyncio.Task[None]] = set()

    def sync(self) -> None:
        """Start a job per registered cron step; restart it when its expression changes."""
        wanted = {
            e.name: e.config.cron for e in self.registry.of_type(CronStep) if isinstance(e.config, CronStep)
        }
        for name, (expr, task) in list(self.jobs.items()):
            if wanted.get(name) != expr:
                task.cancel()
                del self.jobs[name]
        for name, expr in wanted.items():
            if name not in self.jobs:
                self.jobs[name] = (expr, asyncio.get_running_loop().create_task(self._job(name, expr)))

    async def _job(self, step: str, expr: str) -> None:
        it = cron_iter(expr, time.time())
        while True:
            fire_at = it.get_next(float)
            await asyncio.sleep(max(0.0, fire_at - time.time()))
            entry = self.registry.steps.get(step)
            if entry is None or not self.registry.is_live(entry):
                log.warning("cron tick skipped: no sidecar serves the step", extra={"step": step})
                continue
            try:
                await self.locks.create(names.cron_lock_key(step, int(fire_at)), b"1")
            except KeyWrongLastSequenceError:
                continue  # another host fired this tick
            except Exception as exc:
                log.warning("cron tick skipped: cannot take its lock (%s)", exc, extra={"step": step})
                continue
            task = asyncio.get_running_loop().create_task(self._fire(step))
            self.running.add(task)
            task.add_done_callback(self.running.discard)

    async def _fire(self, step: str) -> None:
        trace_id = uuid.uuid4().hex
        extra = {"step": step, "trace_id": trace_id}
        started = time.perf_counter()
        try:
            await self.invoker.invoke(step, "null", trace_id, cause="cron")
        except HostError as exc:
            log.error("cron run failed: %s", exc, extra={**extra, "stack": getattr(exc, "stack", "")})
        else:
            log.info("cron run done in %.1fms", (time.perf_counter() - started) * 1000, extra=extra)

    async def stop(self) -> None:
        for _, task in self.jobs.values():
            task.cancel()
        self.jobs.clear()
        for task in list(self.running):
            task.cancel()
