"""Agents end to end, the same assertions for every language: a real host (in this loop)
and a real agent of the language in an empty folder, so code arrives only as bundles.

Build a fixture project into a bundle, start it as version v1 through the pool, see the
worker register v1 and serve HTTP once v1 is active, stop it (worker gone, tree removed);
a broken file fails the build naming it; a worker that dies after its hello is reported;
a cancelled build loses its whole process group; an agent that dies mid-build fails the
build; an agent that stops stops its workers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost_host.agents import AgentError, WorkerExited, wait_ready
from stephost_host.app import Host
from stephost_wire import bundle
from tests.agents.conftest import source
from tests.harness import until

LANGUAGES = ["python", "node", "ruby"]
# Per language: the api step's file, and the broken variant's file with what its error says.
STEP_FILE = {"python": "steps/hello_step.py", "node": "steps/hello.step.ts", "ruby": "steps/hello_step.rb"}
BROKEN = {
    "python": ("steps/broken_step.py", "RuntimeError: this step cannot be imported"),
    "node": ("steps/broken.step.ts", 'Unexpected "}"'),
    "ruby": ("steps/broken_step.rb", "this step cannot be loaded"),
}
# What each language's build runs, as the first line of its output shows it.
BUILD_COMMAND = {"python": "-m compileall", "node": "npm ci --omit=dev", "ruby": "-wc"}

pytestmark = pytest.mark.parametrize("language", LANGUAGES)


async def _agent(agents: Any, host: Host, language: str) -> Any:
    agent = agents(language, host)
    await until(
        lambda: host.agents.count(language) >= 1, what=f"the {language} agent to connect\n{agent.log()}"
    )
    return agent


def _pids_running(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line holds ``marker``, shells aside."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                zombie = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
            except (OSError, IndexError):
                continue
            if marker in cmdline and not cmdline.startswith("sh -c") and not zombie:
                found.append(int(entry.name))
    return found


async def test_build_start_serve_stop(
    host: Host, agents: Any, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stephost.agent")
    agent = await _agent(agents, host, language)
    assert host.agents.languages() == {language}
    lines: list[str] = []
    outcome = await host.agents.build(language, "v1", source(language, "v1"), {}, on_log=lines.append)
    assert outcome.ok, f"{outcome.error}\n" + "\n".join(lines)
    assert [(s["name"], s["file"]) for s in outcome.steps] == [
        (f"agent-hello-{language}", STEP_FILE[language])
    ]
    assert outcome.load_errors == [] and outcome.digest == bundle.digest(outcome.bundle)
    assert any(BUILD_COMMAND[language] in line for line in lines), lines
    assert any("build succeeded" in line for line in lines), lines
    # Identical content gives an identical bundle (versions are content-addressed).
    again = await host.agents.build(language, "v1", source(language, "v1"), {})
    assert again.digest == outcome.digest
    # The build folders are gone: nothing of the project stays in the agent's folder.
    assert not any((agent.work / "builds").iterdir())

    events: list[Any] = []
    unsubscribe = host.agents.watch(events.append)
    workers = await host.agents.start(language, "v1", outcome.bundle, outcome.digest, {"GREETING": "hello"})
    assert len(workers) == 1
    await wait_ready(host.registry, "v1", [language], 60, agents=host.agents)
    assert [e.state for e in events] == ["starting", "running"]
    assert events[-1].worker_id == workers[0]
    assert (agent.work / "versions" / "v1" / STEP_FILE[language]).is_file()
    if language == "python":  # built: the bytecode travelled in the bundle
        assert list((agent.work / "versions" / "v1" / "steps" / "__pycache__").glob("hello_step*.pyc"))

    url = f"http://127.0.0.1:{host.http.port}/agent/{language}"
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.get(url)).status_code == 404  # v1 is registered, not active
        host.registry.activate("v1")
        r = await http.get(url)
        assert r.status_code == 200, r.text
        assert r.json() == {"version": "v1", "greeting": f"hello from {language}"}

        # Versions run side by side, each in its own worker with its own env.
        [second] = await host.agents.start(
            language, "v2", outcome.bundle, outcome.digest, {"GREETING": "hey"}
        )
        await wait_ready(host.registry, "v2", [language], 60, agents=host.agents)
        assert second != workers[0]
        host.registry.activate("v2")
        assert (await http.get(url)).json() == {"version": "v2", "greeting": f"hey from {language}"}
        host.registry.activate("v1")
        assert (await http.get(url)).json()["version"] == "v1"
        await host.agents.stop(language, "v2", drain_seconds=5)
        assert not (agent.work / "versions" / "v2").exists()

        # Stopping with keep_files keeps the tree, and a start with the same digest reuses it.
        await host.agents.stop(language, "v1", drain_seconds=5, keep_files=True)
        assert events[-1].state == "stopped" and events[-1].worker_id == workers[0]
        await until(lambda: not host.registry.serving.sessions("v1"), what="the v1 worker to leave")
        assert _pids_running(str(agent.work / "versions" / "v1")) == []
        assert (await http.get(url)).status_code == 503
        kept = agent.work / "versions" / "v1" / "kept.txt"
        kept.write_text("not unpacked again")
        await host.agents.start(language, "v1", outcome.bundle, outcome.digest, {"GREETING": "again"})
        await wait_ready(host.registry, "v1", [language], 60, agents=host.agents)
        assert kept.read_text() == "not unpacked again"
        assert (await http.get(url)).json()["greeting"] == f"again from {language}"

        await host.agents.stop(language, "v1", drain_seconds=5)
        await until(lambda: not host.registry.serving.sessions("v1"), what="the v1 worker to leave")
        assert not (agent.work / "versions" / "v1").exists()
        assert _pids_running(str(agent.work / "versions" / "v1")) == []
    unsubscribe()
    # The workers' output reached the host's log, tagged with their version.
    assert any(
        r.name == "stephost.agent" and f"{language} worker v2:" in r.getMessage() for r in caplog.records
    )


async def test_a_broken_file_fails_the_build_naming_it(host: Host, agents: Any, language: str) -> None:
    await _agent(agents, host, language)
    outcome = await host.agents.build(language, "v2", source(language, "broken"), {})
    file, says = BROKEN[language]
    assert not outcome.ok
    assert outcome.file == file
    assert outcome.error.startswith(f"{file}: ") and says in outcome.error, outcome.error
    assert outcome.bundle == b""


async def test_a_worker_exiting_after_its_hello_is_not_ready(host: Host, agents: Any, language: str) -> None:
    await _agent(agents, host, language)
    data = source(language, "exits")
    await host.agents.start(language, "v1", data, bundle.digest(data), {})
    with pytest.raises(WorkerExited) as caught:
        # It says hello, then dies within the time a version must stay up to be ready.
        await wait_ready(host.registry, "v1", [language], 60, agents=host.agents, settle=10)
    assert caught.value.exit_code == 3 and caught.value.version == "v1"
    assert "exiting on purpose" in str(caught.value)
    assert [w.state for w in host.agents.workers("v1")] == ["exited"]


async def test_cancelling_a_build_or_its_deadline_kills_its_process_group(
    host: Host, agents: Any, language: str
) -> None:
    await _agent(agents, host, language)
    marker = f"3600.{os.getpid()}{LANGUAGES.index(language)}1"
    env = {"STEPHOST_AGENT_TEST_BUILD_SLEEP": marker}
    build = asyncio.ensure_future(host.agents.build(language, "v1", source(language, "v1"), env))
    await until(lambda: _pids_running(f"sleep {marker}"), what="the build's grandchild to run")
    build.cancel()
    with pytest.raises(asyncio.CancelledError):
        await build
    assert _pids_running(f"sleep {marker}") == []

    # The build's deadline stops it the same way, and says so.
    outcome = await host.agents.build(language, "v1", source(language, "v1"), env, timeout=2)
    assert not outcome.ok and outcome.error == "the build ran past its deadline of 2s"
    assert _pids_running(f"sleep {marker}") == []


async def test_no_agent_and_a_lost_agent_are_errors(host: Host, agents: Any, language: str) -> None:
    with pytest.raises(AgentError, match=f"no {language} agent is connected"):
        await host.agents.build(language, "v1", b"", {})
    agent = await _agent(agents, host, language)
    marker = f"3600.{os.getpid()}{LANGUAGES.index(language)}2"
    env = {"STEPHOST_AGENT_TEST_BUILD_SLEEP": marker}
    build = asyncio.ensure_future(host.agents.build(language, "v1", source(language, "v1"), env))
    await until(lambda: _pids_running(f"sleep {marker}"), what="the build to run")
    os.killpg(agent.proc.pid, signal.SIGKILL)
    with pytest.raises(AgentError, match=f"{language} agent {language}-agent-a disconnected"):
        await build
    # A SIGKILLed agent cleans nothing up: its build's processes are left (see docs/agents.md).
    for pid in _pids_running(f"sleep {marker}"):
        os.kill(pid, signal.SIGKILL)


async def test_stopping_the_agent_stops_its_workers(host: Host, agents: Any, language: str) -> None:
    agent = await _agent(agents, host, language)
    data = source(language, "v1")
    await host.agents.start(language, "v1", data, bundle.digest(data), {})
    await wait_ready(host.registry, "v1", [language], 60, agents=host.agents)
    assert agent.stop() == 0
    await until(lambda: not host.registry.serving.sessions("v1"), what="the worker to leave with its agent")
    assert _pids_running(str(agent.work / "versions" / "v1")) == []


async def test_a_killed_agent_leaves_no_worker_behind(host: Host, agents: Any, language: str) -> None:
    agent = await _agent(agents, host, language)
    data = source(language, "v1")
    await host.agents.start(language, "v1", data, bundle.digest(data), {})
    await wait_ready(host.registry, "v1", [language], 60, agents=host.agents)
    os.killpg(agent.proc.pid, signal.SIGKILL)  # no chance to stop anything itself
    await until(lambda: not host.registry.serving.sessions("v1"), what="the orphaned worker to stop")
    await until(
        lambda: not _pids_running(str(agent.work / "versions" / "v1")), what="the worker process to end"
    )


async def test_a_step_that_does_not_load_fails_readiness_naming_it(
    host: Host, agents: Any, language: str
) -> None:
    await _agent(agents, host, language)
    data = source(language, "broken")  # started unbuilt: the worker itself meets the broken file
    await host.agents.start(language, "v1", data, bundle.digest(data), {})
    file, says = BROKEN[language]
    with pytest.raises(
        AgentError, match=f"version v1: the {language} worker could not load {file}: .*{says}"
    ):
        await wait_ready(host.registry, "v1", [language], 60, agents=host.agents)
