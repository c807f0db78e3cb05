"""Real processes for deployment tests: a `stephost start` host on an empty project (so code can
only arrive by a deploy) on the test's nats-server, and agents, each in its own empty folder."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.agents.conftest import AgentProcess
from tests.harness import STEPHOST, HostProcess, eventually

PROJECTS = Path(__file__).parent / "projects"
# For the tests that kill a host: the surviving host acts once the dead one's deploy lease
# (and the heartbeat TTL and recovery poll that follow from it) runs out, 30 s by default; a
# short lease proves the same takeover sooner (8 s, not less: a live host on a busy CI machine
# must still renew its lease and heartbeat in time).
SHORT_LEASE = {"STEPHOST_DEPLOY_LEASE_SECONDS": "8"}


def _agent(language: str, host: HostProcess, base: Path, name: str, **how: Any) -> AgentProcess:
    """The agents tests' AgentProcess, dialling a host that runs in its own process (``how``:
    its connect= and wrap=)."""
    dial = SimpleNamespace(
        secret=SimpleNamespace(value=host.secret), link=SimpleNamespace(dial=lambda: host.sidecar_address)
    )
    return AgentProcess(language, dial, base, name, **how)  # type: ignore[arg-type]


class Fleet:
    """One host and its agents, and the deploy API as the host's secret (every scope)."""

    def __init__(self, host: HostProcess, base: Path, another: Callable[[], HostProcess]) -> None:
        self.host = host
        self.base = base
        self.agents: list[AgentProcess] = []
        self.another = another  # one more host on the same NATS (same project, its own empty folder)

    def agent(self, language: str, host: HostProcess | None = None, **how: Any) -> AgentProcess:
        """An agent of ``language`` dialling ``host`` (default: the fleet's first host); ``how``:
        another address to dial (connect="unix:PATH") or a command to run it under (wrap=...)."""
        host = host or self.host
        agent = _agent(language, host, self.base, str(len(self.agents)), **how)
        self.agents.append(agent)
        eventually(
            lambda: any(language in line for line in host.log_lines("agent", "connected")),
            timeout=60,
            what=f"the {language} agent to connect\n{host.log()[-2000:]}",
        )
        return agent

    def api(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.host.url + "/__stephost",
            headers={"authorization": f"Bearer {token or self.host.secret}"},
            timeout=30,
        )

    def cli(
        self, *args: str, token: str | None = None, host: HostProcess | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A `stephost` command against ``host`` (default: the fleet's first), as its secret."""
        host = host or self.host
        return subprocess.run(
            [*STEPHOST, *args, f"--host={host.url}", f"--token={token or host.secret}"],
            capture_output=True,
            text=True,
            timeout=600,
        )


@pytest.fixture
def fleet_env() -> dict[str, str]:
    """Extra host env; a test module overrides it (tokens, pause points)."""
    return {}


@pytest.fixture
def fleet(
    tmp_path: Path, start_host: Callable[..., HostProcess], fleet_env: dict[str, str]
) -> Iterator[Fleet]:
    empty = _empty(tmp_path)
    env = {"STEPHOST_DEPLOY_KEEP_WARM_SECONDS": "60", **fleet_env}
    host = start_host(empty, live_steps=0, args=["--no-sidecars"], env=env)
    f = Fleet(
        host, tmp_path, lambda: start_host(_empty(tmp_path), live_steps=0, args=["--no-sidecars"], env=env)
    )
    yield f
    for agent in f.agents:
        agent.stop()


def _empty(base: Path) -> Path:
    """A new empty project folder: code reaches a host only through deploys."""
    n = len(list(base.glob("empty-project-*")))
    folder = base / f"empty-project-{n}"
    folder.mkdir()
    return folder


def get(host: HostProcess, path: str) -> httpx.Response:
    return httpx.get(host.url + path, timeout=30)


def workers_of(version: str) -> list[int]:
    """The pids of processes running ``version`` (a worker's env has STEPHOST_VERSION=version): what
    an agent still runs of it, seen from outside the agent."""
    wanted = f"STEPHOST_VERSION={version}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if wanted in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


__all__ = ["PROJECTS", "Fleet", "get", "workers_of"]
