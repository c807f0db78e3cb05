"""An agent in a network namespace of its own (`unshare -Urn`): no network at all, only the
one socket it dials the host on (a unix socket, bridged to the host's sidecar port by the
test), and still it builds, runs and serves a version: code arrives only over the link."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost_host.agents import wait_ready
from stephost_host.app import Host
from tests.agents.conftest import source
from tests.harness import until


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-Urn", "true"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _can_unshare(), reason="unshare -Urn is not allowed here")


@contextlib.asynccontextmanager
async def _bridge(path: Path, target: str) -> AsyncIterator[None]:
    """Forward every connection to the unix socket ``path`` to ``target`` (host:port)."""
    host, port = target.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(1 << 16):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_unix_server(accept, str(path))
    try:
        yield
    finally:
        server.close()


@pytest.mark.parametrize("language", ["python", "node", "ruby"])
async def test_an_agent_with_no_network_builds_and_runs_a_version(
    host: Host, agents: Any, tmp_path: Path, language: str
) -> None:
    sock = tmp_path / "link.sock"
    async with _bridge(sock, host.link.dial()):
        agent = agents(language, host, connect=f"unix:{sock}", wrap=("unshare", "-Urn"))
        await until(lambda: host.agents.count(language), what=f"the agent\n{agent.log()}")
        outcome = await host.agents.build(language, "v1", source(language, "v1"), {})
        assert outcome.ok, outcome.error
        await host.agents.start(language, "v1", outcome.bundle, outcome.digest, {"GREETING": "offline"})
        await wait_ready(host.registry, "v1", [language], 60, agents=host.agents)
        host.registry.activate("v1")
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.get(f"http://127.0.0.1:{host.http.port}/agent/{language}")
        assert r.json() == {"version": "v1", "greeting": f"offline from {language}"}
        await host.agents.stop(language, "v1", drain_seconds=5)
        await asyncio.to_thread(agent.stop)
