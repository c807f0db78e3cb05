"""This host's part in deploys that span hosts: which versions must run here, and saying so.

Every host heartbeats ``host.<id>`` in the deployments bucket. A version is *wanted* while a
deploy prepares it, while it is staged, and while it stays warm after being replaced
(``want.<version>``); the active version always is. Each host's reconciler starts every
wanted version on its own agents from the stored bundles, reports ``ready.<version>.<host>``
once its workers said hello, and stops versions nobody wants any more. The deploy runner
waits for every live host's report before it flips the pointer, so no host is switched to a
version it cannot serve; and a host started later (`stephost start`, a replacement) serves
the active deployment as soon as its agents connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from stephost_host import names
from stephost_host.deployments.bundles import Bundles
from stephost_host.deployments.models import Deployment
from stephost_host.deployments.records import Records
from stephost_host.errors import HostError
from stephost_host.natsio.kv import values
from stephost_host.router.registry import Registry
from stephost_host.router.versions import FS
from stephost_wire import codec

if TYPE_CHECKING:
    from stephost_host.agents import AgentPool as Pool

log = logging.getLogger("stephost.deploy")
RECONCILE = 1.0
RETRY = 30.0  # a version that could not start here is tried again after this long


class CannotRun(HostError):
    """A version cannot start on this host (the message names the host and why)."""

    def __init__(self, message: str, file: str = "") -> None:
        super().__init__(message)
        self.file = file  # the step file that did not load, when that was why


ReadyWait = Callable[[str, Iterable[str], float], Awaitable[None]]


class Fleet:
    def __init__(
        self,
        records: Records,
        bundles: Bundles,
        registry: Registry,
        pool: Pool | None,
        wait_ready: ReadyWait,
        *,
        host_id: str,
        ready_seconds: float,
        drain_seconds: float,
        heartbeat: float,
        host_ttl: float,
    ) -> None:
        self.records = records
        self.kv = records.kv
        self.bundles = bundles
        self.registry = registry
        self.pool = pool
        self.wait_ready = wait_ready
        self.host_id = host_id
        self.ready_seconds = ready_seconds
        self.drain_seconds = drain_seconds
        self.heartbeat = heartbeat  # seconds between this host's heartbeats
        self.host_ttl = host_ttl  # a host silent this long is no longer waited for
        self.active: dict[str, Any] = {}  # the pointer as last seen
        self.running: dict[str, list[str]] = {}  # version -> languages this host started
        self.failed: dict[str, float] = {}  # version -> when it last failed to start here
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        await self._beat()
        self._tasks = [
            asyncio.create_task(self._every(self.heartbeat, self._beat), name="deploy:heartbeat"),
            asyncio.create_task(self._every(RECONCILE, self.reconcile), name="deploy:reconcile"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.kv.delete(f"host.{names.token(self.host_id)}")

    async def _every(self, seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except Exception as exc:  # NATS away for a moment: try again next round
                log.warning("deployments: %s failed: %s", work.__name__, exc)

    async def _beat(self) -> None:
        langs = sorted(self.pool.languages()) if self.pool is not None else []
        value = {"host": self.host_id, "until": time.time() + self.host_ttl, "agents": langs}
        await self.kv.put(f"host.{names.token(self.host_id)}", codec.dumps_bytes(value))

    async def live_hosts(self) -> set[str]:
        """The hosts whose heartbeat has not expired."""
        found = await values(self.records.nc, self.records.js, names.DEPLOY_BUCKET, "host.*")
        return {str(h["host"]) for h in found if h.get("until", 0) > time.time()}

    # -- what the deploy runner asks of the fleet ------------------------------------

    async def want(self, target: Deployment) -> None:
        value = {"deploymentId": target.id, "version": target.version_id}
        await self.kv.put(f"want.{names.token(target.version_id)}", codec.dumps_bytes(value))
        self.failed.pop(target.version_id, None)

    async def unwant(self, version: str) -> None:
        """Nobody needs it any more (unless it is active): every host stops its workers."""
        if version and version != self.active.get("version"):
            with contextlib.suppress(Exception):
                await self.kv.delete(f"want.{names.token(version)}")

    async def wanted(self) -> dict[str, str]:
        """version -> deployment id, the active one included."""
        found = await values(self.records.nc, self.records.js, names.DEPLOY_BUCKET, "want.*")
        out = {str(v["version"]): str(v["deploymentId"]) for v in found}
        if self.active.get("version"):
            out[str(self.active["version"])] = str(self.active.get("deploymentId", ""))
        return out

    async def all_ready(self, version: str, timeout: float) -> None:
        """Every live host reported the version ready (or: which hosts did not, and why)."""
        deadline = time.monotonic() + timeout
        while True:
            hosts = await self.live_hosts()
            reports = await values(
                self.records.nc, self.records.js, names.DEPLOY_BUCKET, f"ready.{names.token(version)}.*"
            )
            ready = {str(r["host"]) for r in reports if r.get("ok")}
            failed = [r for r in reports if not r.get("ok") and str(r["host"]) in hosts]
            if failed:
                raise RuntimeError(
                    f"host {failed[0]['host']} cannot run version {version}: {failed[0]['error']}"
                )
            missing = sorted(set(hosts) - ready)
            if not missing:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"version {version} is not ready on host(s) {', '.join(missing)} after {timeout:g}s "
                    "(each host needs an agent of every language the version uses)"
                )
            await asyncio.sleep(0.2)

    # -- this host's side ---------------------------------------------------------------

    def follow(self, pointer: dict[str, Any]) -> None:
        self.active = dict(pointer)

    async def reconcile(self) -> None:
        if self.pool is None:
            return
        wanted = await self.wanted()
        for version, deployment_id in wanted.items():
            if version != FS:
                try:
                    await self.run_here(version, deployment_id)
                except Exception as exc:  # reported to the runner; the others still get their turn
                    log.warning("deployments: version %s cannot run on this host: %s", version, exc)
        for version in [v for v in self.running if v not in wanted]:
            await self.stop_here(version)

    async def run_here(self, version: str, deployment_id: str) -> None:
        """Start the version on this host's agents unless its workers are live here; then
        report it ready (or why it cannot run here)."""
        lock = self._locks.setdefault(version, asyncio.Lock())
        async with lock:
            if time.monotonic() - self.failed.get(version, -RETRY) < RETRY:
                return  # it failed here a moment ago (a deploy's want() clears this)
            record = await self.records.get(deployment_id)
            if record is None or not record.bundles or self.pool is None:
                return
            live = {s.language for s in self.registry.serving.sessions(version)}
            missing = [b for b in record.bundles if b.language not in live]
            if not missing and version in self.running:
                return
            absent = [b.language for b in missing if not self.pool.count(b.language)]
            if absent:  # wait for an agent (the runner's deadline names this host if none comes)
                log.debug("deployments: version %s waits for a %s agent on this host", version, absent[0])
                return
            env = await self.records.get_env(record.id)
            try:
                for b in missing:
                    data = await self.bundles.get(names.bundle_object(b.language, b.digest))
                    await self.pool.start(b.language, version, data, b.digest, env)
                    self.running.setdefault(version, []).append(b.language)
                    log.info("deployments: started %s workers of %s on this host", b.language, version)
                await self.wait_ready(version, [b.language for b in record.bundles], self.ready_seconds)
            except Exception as exc:
                self.failed[version] = time.monotonic()
                await self._report(version, ok=False, error=str(exc))
                raise CannotRun(
                    f"host {self.host_id} cannot run version {version}: {exc}", str(getattr(exc, "file", ""))
                ) from exc
            # Workers that were live already (a host restarted under them) are this host's too.
            self.running[version] = sorted(
                {*self.running.get(version, []), *(b.language for b in record.bundles)}
            )
            await self._report(version, ok=True)

    async def _report(self, version: str, *, ok: bool, error: str = "") -> None:
        key = f"ready.{names.token(version)}.{names.token(self.host_id)}"
        await self.kv.put(key, codec.dumps_bytes({"host": self.host_id, "ok": ok, "error": error}))

    async def stop_here(self, version: str) -> None:
        # Under the version's lock: a start sent while the agent still stops the same version's
        # worker would be answered by that dying worker, and no worker would ever say hello.
        async with self._locks.setdefault(version, asyncio.Lock()):
            await self._stop_here(version)

    async def _stop_here(self, version: str) -> None:
        languages = self.running.pop(version, [])
        self.failed.pop(version, None)
        with contextlib.suppress(Exception):
            await self.kv.delete(f"ready.{names.token(version)}.{names.token(self.host_id)}")
        if self.pool is not None and version != self.registry.active:
            pool = self.pool
            await asyncio.gather(
                *(pool.stop(lang, version, self.drain_seconds) for lang in languages), return_exceptions=True
            )
            log.info("deployments: stopped the workers of %s on this host", version)
