"""Fires cron steps. Each tick is claimed with a KV create keyed by (step, fire time), which
only one host can win, so a tick fires once however many hosts share NATS.

A tick is resolved when it fires, not when it was scheduled: it runs on the version active at
that moment. When no sidecar of that version serves the step just then (a deploy switching
versions, a worker restarting) the tick waits up to ``GRACE`` seconds for one instead of being
skipped; only a host that can serve the tick claims it, so another host that can takes it."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine
from typing import Any

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_host.errors import HostError, StepUnavailable
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.steps.models import CronStep, cron_iter

log = logging.getLogger("stephost.cron")
GRACE = 15.0  # how long a tick waits for a live sidecar of the active version before it is skipped
POLL = 0.05


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
            # Each tick on its own: one waiting for a sidecar never delays the next.
            self._spawn(self._tick(step, fire_at))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def _tick(self, step: str, fire_at: float) -> None:
        if not await self._served(step, time.monotonic() + GRACE):
            log.warning(
                "cron tick skipped: no sidecar served the step within %gs", GRACE, extra={"step": step}
            )
            return
        try:
            await self.locks.create(names.cron_lock_key(step, int(fire_at)), b"1")
        except KeyWrongLastSequenceError:
            return  # another host fired this tick
        except Exception as exc:
            log.warning("cron tick skipped: cannot take its lock (%s)", exc, extra={"step": step})
            return
        await self._fire(step, fire_at)

    async def _served(self, step: str, deadline: float) -> bool:
        """A live sidecar of the active version serves the step (now, or before the deadline)."""
        while True:
            entry = self.registry.steps.get(step)
            if entry is not None and self.registry.is_live(entry):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL)

    async def _fire(self, step: str, fire_at: float) -> None:
        trace_id = tick_trace_id(fire_at)
        extra = {"step": step, "trace_id": trace_id}
        started = time.perf_counter()
        try:
            try:
                await self.invoker.invoke(step, "null", trace_id, cause="cron")
            except StepUnavailable:
                # The version switched between the check and the call, so nothing ran: once more,
                # on whichever version is active now.
                if not await self._served(step, time.monotonic() + GRACE):
                    raise
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


def tick_trace_id(fire_at: float) -> str:
    """A W3C-sized trace id whose first 8 hex digits are the tick's fire second (as X-Ray's
    are), so a run can be matched to the tick that caused it."""
    return f"{int(fire_at):08x}{uuid.uuid4().hex[:24]}"
