"""SIGKILL of the host running a deploy, paused (test pause point) in a given phase: a surviving
host ends the deploy once the dead host's lease expires, failed in that phase if the pointer had
not flipped, completed if it had; never left in progress. Shared by the two test files that
split the phases between them (so CI's workers share the wall time)."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, SHORT_LEASE, Fleet, get
from tests.harness import eventually

PAUSE_ENV = "STEPHOST_TEST_DEPLOY_PAUSE"


@pytest.fixture
def fleet_env(phase: str) -> dict[str, str]:
    """Every host pauses deployment #2 in ``phase`` (a test file's parametrised fixture)."""
    return {PAUSE_ENV: f"{phase}@2", **SHORT_LEASE}


def kill_runner_in(fleet: Fleet, phase: str) -> dict[str, Any]:
    """Deploy v1 from the fleet's host, then v2 (#2) from a second host that pauses in ``phase``
    and is SIGKILLed there; return #2's record once the fleet's host has ended it."""
    fleet.agent("python")
    assert fleet.cli("deploy", str(PROJECTS / "v1")).returncode == 0  # #1, never paused
    runner = fleet.another()
    fleet.agent("python", host=runner)
    started = fleet.cli("deploy", str(PROJECTS / "v2"), "--detach", host=runner)
    assert started.returncode == 0, started.stdout + started.stderr

    def paused() -> bool:
        r = record(fleet)
        # Ended before its pause point: the timeout message then says why.
        assert r["status"] not in ("completed", "failed", "cancelled"), (r["status"], r.get("error"))
        return any(f"waiting at {phase}" in line for p in r["phases"] for line in p["logsTail"])

    eventually(paused, timeout=300, interval=0.2, what=f"deployment #2 to pause at {phase}")
    runner.signal(signal.SIGKILL)

    def ended() -> dict[str, Any]:
        r = record(fleet)
        return r if r["status"] in ("completed", "failed", "cancelled") else {}

    return eventually(ended, timeout=180, interval=0.5, what=f"the deploy killed in {phase} to end")


def record(fleet: Fleet) -> dict[str, Any]:
    return dict(fleet.api().get("/deployments/2").json())


def serves(fleet: Fleet) -> int:
    return int(get(fleet.host, "/hello").json()["v"])
