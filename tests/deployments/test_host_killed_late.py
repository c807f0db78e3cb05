"""SIGKILL of the runner host late in a deploy: in service_deploy, or at the switch (workers
ready, pointer not flipped), the deploy ends failed there and v1 still serves; in
cache_invalidation (after the flip) it ends completed and v2 serves. Never left in progress."""

from __future__ import annotations

import pytest

from tests.deployments.conftest import Fleet
from tests.deployments.host_killed import fleet_env, kill_runner_in, serves  # noqa: F401 (a fixture)
from tests.harness import eventually


@pytest.fixture(params=["service_deploy", "switch", "cache_invalidation"])
def phase(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.timeout(600)
def test_a_killed_runner_ends_the_deploy_by_where_the_pointer_is(fleet: Fleet, phase: str) -> None:
    ended = kill_runner_in(fleet, phase)
    if phase == "cache_invalidation":  # the pointer had flipped: the deploy happened
        assert ended["status"] == "completed" and ended["isActive"], ended
        eventually(lambda: serves(fleet) == 2, timeout=60, what="v2 on the surviving host")
        return
    # "switch" is a pause point inside service_deploy, right before the flip
    assert ended["status"] == "failed" and ended["errorPhase"] == "service_deploy", ended
    assert "stopped before it finished" in ended["error"] and not ended["isActive"]
    assert serves(fleet) == 1
