"""The Python agent end to end: a real host (in this loop) and a real agent in an empty folder.

Build a fixture project into a bundle, start it as version v1 through the pool, see the
worker register v1 and serve HTTP once v1 is active, stop it (worker gone, tree removed);
a broken file fails the build naming it; a worker that dies after its hello is reported;
a cancelled build loses its whole process group; the agent stopping stops its workers.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost_host.agents import AgentError, WorkerExited, wait_ready
from stephost_host.app import Host
from stephost_wire import bundle
from tests.agents.conftest import source, until


async def _agent(agents: Any, host: Host, language: str = "python", name: str = "") -> Any:
    agent = agents(language, host, name)
    await until(
        lambda: host.agents.count(language) >= 1, what=f"the {language} agent to connect\n{agent.log()}"
    )
    return agent


def _pids_running(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if (
                marker in cmdline
                and "sh -c" not in cmdline
                and (entry / "stat").read_text().split()[2] != "Z"
            ):
                found.append(int(entry.name))
    return found


async def test_build_start_serve_stop(host: Host, agents: Any) -> None:
    agent = await _agent(agents, host)
    assert host.agents.languages() == {"python"}
    lines: list[str] = []
    outcome = await host.agents.build("python", "v1", source("python", "v1"), {}, on_log=lines.append)
    assert outcome.ok, outcome.error
    assert [s["name"] for s in outcome.steps] == ["agent-hello-python"]
    assert outcome.steps[0]["file"] == "steps/hello_step.py"
    assert outcome.load_errors == [] and outcome.digest == bundle.digest(outcome.bundle)
    assert any("build succeeded" in line for line in lines)
    # Identical content gives an identical bundle (content-addressed versions).
    again = await host.agents.build("python", "v1", source("python", "v1"), {})
    assert again.digest == outcome.digest
    # The build's folder is gone; nothing of the project was left in the agent's folder.
    assert not any((agent.work / "builds").iterdir())

    events: list[Any] = []
    unsubscribe = host.agents.watch(events.append)
    workers = await host.agents.start("python", "v1", outcome.bundle, outcome.digest, {"GREETING": "hello"})
    assert len(workers) == 1
    await wait_ready(host.registry, "v1", ["python"], 60, agents=host.agents)
    assert [e.state for e in events] == ["starting", "running"]
    assert events[-1].worker_id == workers[0]
    assert (agent.work / "versions" / "v1" / "steps" / "hello_step.py").is_file()
    # Built: the bytecode travelled in the bundle.
    assert list((agent.work / "versions" / "v1" / "steps" / "__pycache__").glob("hello_step*.pyc"))

    url = f"http://127.0.0.1:{host.http.port}/agent/python"
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.get(url)).status_code == 404  # v1 is registered, not active
        host.registry.activate("v1")
        r = await http.get(url)
        assert r.status_code == 200, r.text
        assert r.json() == {"version": "v1", "greeting": "hello from python"}

        await host.agents.stop("python", "v1", drain_seconds=5)
        assert events[-1].state == "stopped" and events[-1].worker_id == workers[0]
        await until(lambda: not host.registry.serving.sessions("v1"), what="the v1 worker to leave")
        assert not (agent.work / "versions" / "v1").exists()
        assert (await http.get(url)).status_code == 503
    unsubscribe()


async def test_broken_file_fails_the_build_naming_it(host: Host, agents: Any) -> None:
    await _agent(agents, host)
    outcome = await host.agents.build("python", "v2", source("python", "broken"), {})
    assert not outcome.ok
    assert outcome.file == "steps/broken_step.py"
    assert outcome.error.startswith("steps/broken_step.py: RuntimeError: this step cannot be imported")
    assert outcome.bundle == b""
    assert [e["file"] for e in outcome.load_errors] == ["steps/broken_step.py"]


async def test_wait_ready_raises_worker_exited(host: Host, agents: Any) -> None:
    await _agent(agents, host)
    data = source("python", "exits")
    await host.agents.start("python", "v1", data, bundle.digest(data), {})
    with pytest.raises(WorkerExited) as caught:
        # It says hello, then dies within the time a version must stay up to be ready.
        await wait_ready(host.registry, "v1", ["python"], 60, agents=host.agents, settle=5)
    assert caught.value.exit_code == 3 and caught.value.version == "v1"
    assert "exiting on purpose" in str(caught.value)
    assert host.agents.workers("v1")[0].state == "exited"


async def test_cancelling_a_build_kills_its_process_group(host: Host, agents: Any) -> None:
    await _agent(agents, host)
    marker = "3600.4242"
    lines: list[str] = []
    build = asyncio.ensure_future(
        host.agents.build(
            "python",
            "v1",
            source("python", "v1"),
            {"STEPHOST_AGENT_TEST_BUILD_SLEEP": marker},
            on_log=lines.append,
        )
    )
    await until(lambda: _pids_running(f"sleep {marker}"), what="the build's child to run")
    build.cancel()
    with pytest.raises(asyncio.CancelledError):
        await build
    assert _pids_running(f"sleep {marker}") == []


async def test_no_agent_and_a_lost_agent_are_errors(host: Host, agents: Any) -> None:
    with pytest.raises(AgentError, match="no ruby agent is connected"):
        await host.agents.build("ruby", "v1", b"", {})
    agent = await _agent(agents, host)
    build = asyncio.ensure_future(
        host.agents.build(
            "python", "v1", source("python", "v1"), {"STEPHOST_AGENT_TEST_BUILD_SLEEP": "3600.777"}
        )
    )
    await until(lambda: _pids_running("sleep 3600.777"), what="the build to run")
    os.killpg(agent.proc.pid, signal.SIGKILL)
    with pytest.raises(AgentError, match="python agent python-agent-a disconnected"):
        await build
    # Linux signals the build's direct child when the agent dies; a grandchild is left over.
    for pid in _pids_running("sleep 3600.777"):
        os.kill(pid, signal.SIGKILL)


async def test_stopping_the_agent_stops_its_workers(host: Host, agents: Any) -> None:
    agent = await _agent(agents, host)
    data = source("python", "v1")
    await host.agents.start("python", "v1", data, bundle.digest(data), {})
    await wait_ready(host.registry, "v1", ["python"], 60, agents=host.agents)
    assert agent.stop() == 0
    await until(lambda: not host.registry.serving.sessions("v1"), what="the worker to leave with its agent")
    assert _pids_running(str(agent.work / "versions" / "v1")) == []
