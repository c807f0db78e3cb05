"""Reloads a language's sidecar when its files change (``stephost dev``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from watchfiles import awatch

from stephost_host.supervisor.process import SidecarProcess

log = logging.getLogger("stephost.reload")


async def watch_and_reload(project: Path, processes: dict[str, SidecarProcess]) -> None:
    def relevant(_change: object, path: str) -> bool:
        parts = Path(path).relative_to(project).parts
        return bool(parts) and not any(
            p.startswith(".") or p in ("node_modules", "__pycache__") for p in parts
        )

    async for changes in awatch(project, watch_filter=relevant, debounce=300):
        names = {Path(p).name for _, p in changes}
        for proc in processes.values():
            if any(proc.lang.watched.match(n) for n in names):
                log.info(
                    "files changed (%s); reloading the %s sidecar",
                    ", ".join(sorted(names)[:5]),
                    proc.lang.name,
                )
                await proc.reload()


class Reloader:
    """``watch_and_reload`` as a component: watches while the host runs (when there are sidecars)."""

    name = "reload"
    stop_timeout = 5.0

    def __init__(self, project: Path, processes: dict[str, SidecarProcess]) -> None:
        self.project = project
        self.processes = processes  # filled by the sidecars component, which starts first
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.processes:
            self._task = asyncio.create_task(watch_and_reload(self.project, self.processes))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
