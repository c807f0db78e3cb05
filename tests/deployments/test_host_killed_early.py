"""SIGKILL of the runner host before the build ends (build itself: test_queue_and_cancel): the
deploy ends failed in that phase, cleanly, and v1 still serves."""

from __future__ import annotations

import pytest

from tests.deployments.conftest import Fleet
from tests.deployments.host_killed import fleet_env, kill_runner_in, serves  # noqa: F401 (a fixture)


@pytest.fixture(params=["orchestrate", "infra", "upload"])
def phase(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.timeout(600)
def test_a_killed_runner_fails_the_deploy_in_its_phase(fleet: Fleet, phase: str) -> None:
    ended = kill_runner_in(fleet, phase)
    assert ended["status"] == "failed" and ended["errorPhase"] == phase, ended
    assert "stopped before it finished" in ended["error"]
    assert not ended["isActive"]
    assert serves(fleet) == 1
