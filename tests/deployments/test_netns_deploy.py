"""A fleet with one agent in a network namespace of its own (`unshare -Urn`: no network at all),
dialling the host through a unix socket the test bridges to the host's sidecar port: a mixed
Python/TypeScript/Ruby v1 -> v2 deploy builds and runs the Ruby steps on that agent, and the
host serves them from its worker, which runs in that namespace."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agents.test_netns import _bridge, _can_unshare
from tests.deployments.conftest import PROJECTS, Fleet, get, workers_of

pytestmark = pytest.mark.skipif(not _can_unshare(), reason="unshare -Urn is not allowed here")


@contextlib.contextmanager
def _bridged(path: Path, target: str) -> Iterator[None]:
    """The agents tests' asyncio bridge, on a loop of its own in a thread (this test is sync)."""
    loop = asyncio.new_event_loop()
    ready, done = threading.Event(), asyncio.Event()

    async def serve() -> None:
        async with _bridge(path, target):
            ready.set()
            await done.wait()
        # Connections still piping end here, before their loop closes.
        piping = asyncio.all_tasks() - {asyncio.current_task()}
        for task in piping:
            task.cancel()
        await asyncio.gather(*piping, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(30), "the bridge did not start"
    try:
        yield
    finally:
        loop.call_soon_threadsafe(done.set)
        thread.join(30)
        loop.close()


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


def _netns(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


@pytest.mark.timeout(600)  # two real mixed deploys on a shared 2-core machine
def test_a_mixed_deploy_runs_on_an_agent_with_no_network(fleet: Fleet, tmp_path: Path) -> None:
    sock = tmp_path / "link.sock"
    with _bridged(sock, fleet.host.sidecar_address):
        fleet.agent("python")
        fleet.agent("node")
        isolated = fleet.agent("ruby", connect=f"unix:{sock}", wrap=("unshare", "-Urn"))
        assert _netns(isolated.proc.pid) != _netns(os.getpid())  # the agent has a namespace of its own
        env_file = tmp_path / "prod.env"  # a version id of this run only (no other test's workers match)
        env_file.write_text(f"GREETING=offline\nRUN={uuid.uuid4().hex}\n")

        for number, project, v in [(1, "mixed_v1", 1), (2, "mixed_v2", 2)]:
            done = fleet.cli("deploy", str(PROJECTS / project), "--env-file", str(env_file))
            assert done.returncode == 0, done.stdout + done.stderr + isolated.log()[-2000:]
            record = _record(fleet, str(number))
            version = record["versionId"]
            assert record["isActive"] and record["status"] == "completed"
            assert ("steps/hello_rb_step.rb", "ruby", "built") in {
                (b["packagePath"], b["language"], b["status"]) for b in record["build"]
            }
            assert get(fleet.host, "/hello").json() == {"v": v, "version": version, "greeting": "offline"}
            assert get(fleet.host, "/hello-ts").json()["v"] == v
            rb = get(fleet.host, "/hello-rb")
            assert rb.json() == {"v": 1, "version": version} and rb.headers["x-stephost-version"] == version
            # The Ruby worker serving it runs in the isolated agent's namespace, not the host's.
            ruby_workers = [
                pid for pid in workers_of(version) if b"ruby" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ]
            assert ruby_workers, f"no Ruby worker of {version}\n{isolated.log()[-2000:]}"
            assert {_netns(pid) for pid in ruby_workers} == {_netns(isolated.proc.pid)}
        isolated.stop()  # (with its workers) while the bridge still carries its streams
