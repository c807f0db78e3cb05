"""A worker that never says hello (a step blocks at import, in the worker only) fails the deploy
at the ready deadline with an error that explains itself: the host that could not run the
version, the language, the worker's state on its agent and its last output lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.deployments.conftest import PROJECTS, Fleet

HANG = """\
import os
import sys
import time

config = {"type": "event", "name": "hang", "subscribes": ["hang"]}

if os.environ.get("STEPHOST_VERSION"):  # a worker (the build's load check has no version)
    print("connecting to a database that never answers", file=sys.stderr, flush=True)
    time.sleep(3600)


async def handler(data, ctx):
    pass
"""


@pytest.fixture
def fleet_env() -> dict[str, str]:
    return {"STEPHOST_DEPLOY_READY_TIMEOUT": "20"}


@pytest.mark.timeout(600)
def test_a_worker_that_never_says_hello_is_explained(fleet: Fleet, tmp_path: Path) -> None:
    fleet.agent("python")
    project = tmp_path / "hangs"
    shutil.copytree(PROJECTS / "v1", project)
    (project / "steps" / "hang_step.py").write_text(HANG)
    done = fleet.cli("deploy", str(project))
    assert done.returncode == 1, done.stdout + done.stderr
    record = fleet.api().get("/deployments/1").json()
    error = record["error"]
    assert record["errorPhase"] == "service_deploy", record
    assert error.startswith("host ") and "cannot run version" in error, error
    assert "is not ready after 20s: no python worker said hello" in error, error
    assert "worker running" in error and "connecting to a database that never answers" in error, error
