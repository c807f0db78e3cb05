"""A real host in the test's event loop (so the test drives its AgentPool and registry) on a
real nats-server, and real agent processes, each in an empty working directory: code reaches
them only as bundles."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stephost_host.app import Host
from stephost_host.config import load_settings
from stephost_wire import bundle
from tests.harness import ROOT, STEPHOST, NatsServer, terminate

PROJECTS = Path(__file__).parent / "projects"


def source(language: str, variant: str) -> bytes:
    """A fixture project as the deploy pipeline would upload it: a deterministic tar.gz."""
    return bundle.pack(PROJECTS / language / variant)


@pytest.fixture
async def host(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[Host]:
    empty = tmp_path / "host-project"
    empty.mkdir()
    settings = load_settings(
        empty,
        port=0,
        sidecar_port=0,
        nats_url=nats_server.url,
        state_dir=tmp_path / "host-state",
        supervise=False,
        reload=False,
        heartbeat_ms=1000,
        drain_seconds=2,
    )
    h = Host(settings)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


class AgentProcess:
    """`stephost sidecar LANG --agent` in its own empty folder, HOME and work dir (``connect``:
    another address than the host's sidecar port)."""

    def __init__(
        self,
        language: str,
        host: Host,
        base: Path,
        name: str = "",
        *,
        connect: str = "",
        wrap: tuple[str, ...] = (),
        secret: str | None = None,
    ) -> None:
        self.language = language
        self.home = base / f"agent-{name or language}"
        self.work = self.home / "work"
        self.home.mkdir(parents=True)
        self.log_path = self.home / "agent.log"
        env = {
            **os.environ,
            "HOME": str(self.home),
            "STEPHOST_SECRET": host.secret.value if secret is None else secret,
            "STEPHOST_SIDECAR_ID": f"{language}-agent-{name or 'a'}",
        }
        env.pop("STEPHOST_VERSION", None)
        self._log = open(self.log_path, "wb")
        dial = ["--connect", connect or host.link.dial()]
        self.proc = subprocess.Popen(
            [*wrap, *STEPHOST, "sidecar", language, "--agent", "--work-dir", str(self.work), *dial],
            cwd=self.home,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        terminate(self.proc)
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """agents(language, host, [name], connect=..., wrap=(...)) -> a started AgentProcess (stopped
    at the end of the test); ``wrap`` runs it under another command (e.g. `unshare -Urn`)."""
    started: list[AgentProcess] = []

    def start(language: str, host: Host, name: str = "", **kwargs: Any) -> AgentProcess:
        agent = AgentProcess(language, host, tmp_path, name, **kwargs)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()


__all__ = ["ROOT", "AgentProcess", "source"]
