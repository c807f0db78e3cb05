from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import HostProcess, NatsServer

_counter = itertools.count()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    yield server
    server.stop()


@pytest.fixture
def start_host(tmp_path: Path, nats_server: NatsServer) -> Iterator[Callable[..., HostProcess]]:
    """start_host(project, live_steps=N, **kwargs) -> a ready HostProcess on the test's NATS."""
    hosts: list[HostProcess] = []

    def start(
        project: Path, live_steps: int = 1, nats_url: str | None = "", wait: bool = True, **kwargs: object
    ) -> HostProcess:
        url = nats_server.url if nats_url == "" else nats_url
        host = HostProcess(Path(project), tmp_path / f"host{next(_counter)}", url, **kwargs)  # type: ignore[arg-type]
        hosts.append(host)
        return host.wait_ready(live_steps) if wait else host

    yield start
    for host in hosts:
        host.stop()
