"""A host whose project folder is the deployments tests' mixed v1 (Python, TypeScript and Ruby
steps: the configured source the Mist and Motia APIs deploy when no source is uploaded),
serving only what a deploy brings (no sidecars), and an agent per language in empty folders."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.deployments.conftest import PROJECTS, Fleet
from tests.harness import HostProcess

APP = "shop"  # the project folder's name: the phased API's productionAppId
TOKENS = "reader-token:read,writer-token:read+write"


@pytest.fixture
def compat_env() -> dict[str, str]:
    return {}


@pytest.fixture
def shop(
    tmp_path: Path, start_host: Callable[..., HostProcess], compat_env: dict[str, str]
) -> Iterator[Fleet]:
    project = tmp_path / APP
    shutil.copytree(PROJECTS / "mixed_v1", project)
    env = {"STEPHOST_DEPLOY_KEEP_WARM_SECONDS": "60", "STEPHOST_DEPLOY_TOKENS": TOKENS, **compat_env}
    host = start_host(project, live_steps=0, args=["--no-sidecars"], env=env)
    fleet = Fleet(host, tmp_path, lambda: start_host(project, live_steps=0, args=["--no-sidecars"], env=env))
    for language in ("python", "node", "ruby"):
        fleet.agent(language)
    yield fleet
    for agent in fleet.agents:
        agent.stop()


def client(fleet: Fleet, token: str | None = "") -> httpx.Client:
    """HTTP on the host's root; token "" = the host's secret (every scope), None = none."""
    headers = {} if token is None else {"authorization": f"Bearer {token or fleet.host.secret}"}
    return httpx.Client(base_url=fleet.host.url, headers=headers, timeout=30)
