"""Reloads a language's sidecar when its files change (``stephost dev``), every sidecar when
the project's ``.env`` changes (so handlers see the new values), and starts the sidecar of a
language whose first step file appears while the host runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

from stephost_host import envfile
from stephost_host.supervisor import languages
from stephost_host.supervisor.process import SidecarProcess

log = logging.getLogger("stephost.reload")

StartLanguage = Callable[[languages.Language], Awaitable[None]]


async def watch_and_reload(
    project: Path, processes: dict[str, SidecarProcess], start_language: StartLanguage | None = None
) -> None:
    def relevant(_change: object, path: str) -> bool:
        parts = Path(path).relative_to(project).parts
        if parts == (envfile.FILE_NAME,):
            return True
        return bool(parts) and not any(
            p.startswith(".") or p in ("node_modules", "__pycache__") for p in parts
        )

    async for changes in awatch(project, watch_filter=relevant, debounce=300):
        names = {Path(p).name for _, p in changes}
        present = {Path(p).name for change, p in changes if change != Change.deleted}
        env_changed = envfile.FILE_NAME in names
        for lang in languages.languages().values():
            proc = processes.get(lang.name)
            if proc is None:
                if start_language and any(lang.step_files.match(n) for n in present):
                    await start_language(lang)
                continue
            if env_changed or any(lang.watched.match(n) for n in names):
                log.info(
                    "files changed (%s); reloading the %s sidecar",
                    ", ".join(sorted(names)[:5]),
                    lang.name,
                )
                await proc.reload()


class Reloader:
    """``watch_and_reload`` as a component: watches while the host runs, even when the project
    starts with no step file (its first file then starts its language's sidecar)."""

    name = "reload"
    stop_timeout = 5.0

    def __init__(
        self,
        project: Path,
        processes: dict[str, SidecarProcess],
        start_language: StartLanguage | None = None,
    ) -> None:
        self.project = project
        self.processes = processes  # filled by the sidecars component, which starts first
        self.start_language = start_language  # None: sidecars are not supervised here
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.processes or self.start_language:
            self._task = asyncio.create_task(
                watch_and_reload(self.project, self.processes, self.start_language)
            )

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
