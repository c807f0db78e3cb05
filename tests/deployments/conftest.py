"""Real processes for deployment tests: a `stephost start` host on an empty project (so code can
only arrive by a deploy) on the test's nats-server, and agents, each in its own empty folder."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import STEPHOST, HostProcess, eventually

PROJECTS = Path(__file__).parent / "projects"


class Agent:
    """`stephost sidecar LANG --agent` with an empty HOME and work dir."""

    def __init__(
        self, language: str, host: HostProcess, base: Path, env: dict[str, str] | None = None, name: str = ""
    ) -> None:
        self.home = base / f"agent-{language}{name}"
        self.home.mkdir(parents=True)
        self.log_path = self.home / "agent.log"
        self._log = open(self.log_path, "wb")
        full_env = {**os.environ, "HOME": str(self.home), "STEPHOST_SECRET": host.secret, **(env or {})}
        full_env.pop("STEPHOST_VERSION", None)
        self.proc = subprocess.Popen(
            [
                *STEPHOST,
                "sidecar",
                language,
                "--agent",
                "--work-dir",
                str(self.home / "work"),
                "--connect",
                host.sidecar_address,
            ],
            cwd=self.home,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


class Fleet:
    """One host and its agents, and the deploy API as the host's secret (every scope)."""

    def __init__(self, host: HostProcess, base: Path, another: Callable[[], HostProcess]) -> None:
        self.host = host
        self.base = base
        self.agents: list[Agent] = []
        self.another = another  # one more host on the same NATS (same project, its own empty folder)

    def agent(
        self, language: str, env: dict[str, str] | None = None, host: HostProcess | None = None
    ) -> Agent:
        """An agent of ``language`` dialling ``host`` (default: the fleet's first host)."""
        host = host or self.host
        agent = Agent(language, host, self.base, env, name=f"-{len(self.agents)}")
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

    def cli(self, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*STEPHOST, *args, f"--host={self.host.url}", f"--token={token or self.host.secret}"],
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


__all__ = ["PROJECTS", "Fleet", "get"]
