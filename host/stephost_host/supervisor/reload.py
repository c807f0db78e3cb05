"""Reloads a language's sidecar when its files change (``stephost dev``)."""

from __future__ import annotations

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
