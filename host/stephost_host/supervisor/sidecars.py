"""The dev-mode sidecars as one component: one child process per language found in the
project, started together and each waited for until it says hello."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from pathlib import Path

from stephost_host.link.server import SidecarService
from stephost_host.supervisor import languages, project_deps
from stephost_host.supervisor.process import HELLO_TIMEOUT, STOP_GRACE, SidecarProcess

log = logging.getLogger("stephost")


class Sidecars:
    name = "sidecars"
    stop_timeout = STOP_GRACE + 3.0

    def __init__(
        self,
        project: Path,
        only: Collection[str],
        dial: Callable[[], str],
        secret: str,
        service: SidecarService,
        hello_timeout: float = HELLO_TIMEOUT,
        state_dir: Path | None = None,
    ) -> None:
        self.project = project
        self.state_dir = state_dir  # where the project's venv and Ruby bundle are (project_deps.py)
        self.only = only  # language names to run; empty: every language found
        self.dial = dial  # host:port the children dial, known once the sidecar port is bound
        self.secret = secret
        self.service = service
        self.hello_timeout = hello_timeout  # seconds a child has to load its steps and say hello
        self.processes: dict[str, SidecarProcess] = {}

    def _wanted(self, lang: languages.Language) -> bool:
        return not self.only or lang.name in self.only

    def _make(self, lang: languages.Language) -> SidecarProcess | None:
        problem = languages.missing_runtime(lang)
        if problem:
            log.error(problem)
            return None
        env: dict[str, str] = {}
        if self.state_dir is not None:
            lang, env = project_deps.for_sidecar(lang, self.project, self.state_dir)
        proc = SidecarProcess(
            lang,
            self.project,
            self.dial(),
            self.secret,
            self.service,
            extra_env=env,
            hello_timeout=self.hello_timeout,
        )
        self.processes[lang.name] = proc
        return proc

    async def start(self) -> None:
        found = [lang for lang in languages.detect(self.project) if self._wanted(lang)]
        if not found:
            log.warning("no step files found under %s/steps or %s/src", self.project, self.project)
        for lang in found:
            self._make(lang)
        try:
            results = await asyncio.gather(*(p.start() for p in self.processes.values()))
        except BaseException:
            await self.stop()  # a failed start leaves no child behind
            raise
        for proc, ok in zip(self.processes.values(), results, strict=True):
            if not ok:
                log.error("the %s sidecar is not ready; its steps answer 503 until it is", proc.lang.name)

    async def add(self, lang: languages.Language) -> None:
        """The first step file of a language appeared while the host runs (``stephost dev``):
        start that language's sidecar now rather than at the next restart."""
        if lang.name in self.processes or not self._wanted(lang):
            return
        proc = self._make(lang)
        if proc is None:
            return
        log.info("first %s step file found; starting the %s sidecar", lang.name, lang.name)
        if not await proc.start():
            log.error("the %s sidecar is not ready; its steps answer 503 until it is", lang.name)

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.processes.values()))
