"""Readiness of a version on this host: a worker of every language said hello, loading everything."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from stephost_host.agents.models import AgentError, WorkerEvent, WorkerExited
from stephost_host.agents.pool import AgentPool
from stephost_host.router.registry import Registry

POLL = 0.05


async def wait_ready(
    router: Registry,
    version: str,
    languages: Iterable[str],
    timeout: float,
    *,
    agents: AgentPool | None = None,
    settle: float = 0,
) -> None:
    """Return once, for every language, a live session of ``version`` is registered. Raises
    AgentError when a worker of the version reported a load error (naming the file) or at the
    deadline (naming the missing languages), and WorkerExited as soon as ``agents`` reports
    that one of the version's workers exited. ``settle``: every language must have stayed live
    that many seconds (a worker that crashes right after its hello is not ready)."""
    wanted = set(languages)
    exited: list[WorkerEvent] = []

    def on_worker(event: WorkerEvent) -> None:
        if event.version == version and event.state == "exited" and event.language in wanted:
            exited.append(event)

    unsubscribe = agents.watch(on_worker) if agents is not None else (lambda: None)
    deadline = time.monotonic() + timeout
    since: float | None = None  # when every language was first seen live, without a gap
    try:
        while True:
            if exited:
                e = exited[0]
                raise WorkerExited(e.language, version, e.exit_code, e.detail)
            # A version's files do not change: a file its worker could not load never will.
            failing = [f for f in router.load_errors(version) if f.language in wanted]
            if failing:
                f = failing[0]
                raise AgentError(
                    f"version {version}: the {f.language} worker could not load {f.file}: {f.message}"
                )
            live = {s.language for s in router.serving.sessions(version)}
            if not wanted <= live:
                since = None
            elif since is None:
                since = time.monotonic()
            if since is not None and time.monotonic() - since >= settle:
                return
            if time.monotonic() >= deadline:
                missing = sorted(wanted - live)
                why = (
                    f"no {', '.join(missing)} worker said hello"
                    if missing
                    else f"its workers did not stay up {settle:g}s"
                )
                if agents is not None:  # what the agents last said explains the next failure
                    why += "".join(f" ({lang}: {agents.why_not_ready(version, lang)})" for lang in missing)
                raise AgentError(f"version {version} is not ready after {timeout:g}s: {why}")
            await asyncio.sleep(POLL)
    finally:
        unsubscribe()
