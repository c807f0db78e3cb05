"""Motia's ``deployment-status`` stream, owned by the host: group ``deployments``, one item per
deployment (item id = deploymentId) in the shape of Motia's ``DeploymentData``.

Nothing is stored in the project's stream bucket: a read derives the items from the records,
and every host follows the records bucket itself (one KV watch) and hands the changes to its
own WebSocket clients, coalesced to at most one update per deployment every ``INTERVAL``
seconds (the last state always arrives; a change of status, the final one too, at once).

Names: the project's own streams win. A project that defines a stream with this name (our
``examples/deployment-status`` does) keeps it, and the host publishes deployment progress as
``stephost-<name>`` instead; ``/cloud/deploy/start`` answers with the name in use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from stephost_host.deployments.auth import DeployAuth, Scope
from stephost_host.deployments.models import Deployment, Status
from stephost_host.deployments.service import Deployments
from stephost_host.deployments_compat.tokens import DeploymentTokens
from stephost_host.deployments_compat.views import motia
from stephost_host.streams.store import Change, Subscribers, Subscription
from stephost_wire import codec

log = logging.getLogger("stephost.deploy")
GROUP = "deployments"
DEFAULT_NAME = "deployment-status"
FALLBACK_PREFIX = "stephost-"
INTERVAL = 0.25  # seconds: at most four updates a second per deployment


class StatusStream:
    def __init__(
        self,
        deployments: Deployments,
        project_streams: Mapping[str, Any],
        auth: DeployAuth,
        tokens: DeploymentTokens,
        name: str = DEFAULT_NAME,
        interval: float = INTERVAL,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled  # off with the Motia API (deploy_apis): no stream, no watch
        self.deployments = deployments
        self.project_streams = project_streams  # the active version's stream definitions
        self.auth = auth
        self.tokens = tokens
        self.configured = name
        self.interval = interval
        self.subscribers = Subscribers()
        self._known: set[str] = set()  # items this host has announced (create, then update)
        self._last_sent: dict[str, float] = {}
        self._last_status: dict[str, Status] = {}
        self._pending: dict[str, Deployment] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._last_ts = 0
        self._task: asyncio.Task[None] | None = None

    # -- the name in use -------------------------------------------------------------

    @property
    def name(self) -> str:
        if self.configured in self.project_streams:
            return FALLBACK_PREFIX + self.configured
        return self.configured

    def owns(self, stream: str) -> bool:
        return self.enabled and stream == self.name

    # -- who may read ----------------------------------------------------------------

    def admits(self, token: str | None) -> bool:
        """A deploy token with the read scope, or a deployment's own token."""
        if not token:
            return False
        scopes = self.auth.scopes(token)
        return (scopes is not None and Scope.READ in scopes) or self.tokens.deployment(token) is not None

    def may_read(self, token: str | None, item: str | None) -> bool:
        scopes = self.auth.scopes(token) if token else None
        if scopes is not None and Scope.READ in scopes:
            return True
        return token is not None and item is not None and self.tokens.valid(token, item)

    # -- reads and changes, for the WebSocket ------------------------------------------

    async def read(self, group: str, item: str | None) -> Any:
        if item is not None:
            record = await self.deployments.records.get(item) if group == GROUP else None
            return motia(record) if record else None
        if group != GROUP:
            return []
        return [motia(r) for r in await self.deployments.records.all()]

    def watch(
        self, stream: str, group: str, item: str | None, deliver: Callable[[Change], None]
    ) -> Subscription:
        return self.subscribers.watch(stream, group, item, deliver)

    # -- following the records -----------------------------------------------------------

    async def start(self) -> None:
        if not self.enabled:
            return
        watcher = await self.deployments.records.kv.watch("rec.*")
        self._task = asyncio.create_task(self._follow(watcher), name="deploy:status-stream")

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self, watcher: Any) -> None:
        loaded = False  # the watch first replays every record: known, not announced
        try:
            async for entry in watcher:
                if entry is None:
                    loaded = True
                    continue
                if entry.operation in ("DEL", "PURGE") or not entry.value:
                    continue
                try:
                    record = Deployment.model_validate(codec.loads(entry.value.decode()))
                except ValueError as exc:
                    log.warning("deployment-status: skipping an unreadable record: %s", exc)
                    continue
                if not loaded:
                    self._known.add(record.id)
                else:
                    self.changed(record)
        except Exception:  # the stream goes quiet (reads still work): say why
            log.exception("deployment-status: following the deployment records failed")
        finally:
            with contextlib.suppress(Exception):
                await watcher.stop()

    def changed(self, record: Deployment) -> None:
        """Announce now, or at the end of this deployment's interval (only its last state). A
        new status goes out at once, so every transition is seen, however short (upload)."""
        self._pending[record.id] = record
        wait = self._last_sent.get(record.id, 0.0) + self.interval - time.monotonic()
        if wait <= 0 or self._last_status.get(record.id) != record.status:
            self._flush(record.id)
        elif record.id not in self._timers:
            self._timers[record.id] = asyncio.get_running_loop().call_later(wait, self._flush, record.id)

    def _flush(self, deployment_id: str) -> None:
        timer = self._timers.pop(deployment_id, None)
        if timer is not None:
            timer.cancel()
        record = self._pending.pop(deployment_id, None)
        if record is None:
            return
        self._last_sent[deployment_id] = time.monotonic()
        self._last_status[deployment_id] = record.status
        kind = "update" if deployment_id in self._known else "create"
        self._known.add(deployment_id)
        self._last_ts = max(int(time.time() * 1000), self._last_ts + 1)  # Motia's clients need it rising
        self.subscribers.deliver(Change(self.name, GROUP, deployment_id, kind, motia(record), self._last_ts))
