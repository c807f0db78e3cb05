"""One deploy at a time, in number order, and cancel in a phase, on a real host and agent:
deployments paused (test pause points) in orchestrate, build and upload are cancelled there
and end with that phase cancelled and nothing switched; three deploys started at once run one
after another with sequential numbers; a host killed mid-deploy leaves a record that another
host ends cleanly once the dead host's lease expires."""

from __future__ import annotations

import itertools
import signal
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, SHORT_LEASE, Fleet, get
from tests.harness import eventually


@pytest.fixture
def fleet_env() -> dict[str, str]:
    return {"STEPHOST_TEST_DEPLOY_PAUSE": "orchestrate@2,build@3,upload@4,build@8", **SHORT_LEASE}


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


def _paused(fleet: Fleet, number: int) -> None:
    def there() -> bool:
        r = _record(fleet, str(number))
        return any("test pause point" in line for p in r["phases"] for line in p["logsTail"])

    eventually(there, timeout=180, what=f"deployment #{number} to reach its pause point")


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_cancel_in_phases_one_at_a_time_and_a_dead_runner(fleet: Fleet) -> None:
    fleet.agent("python")
    assert fleet.cli("deploy", str(PROJECTS / "v1")).returncode == 0  # #1
    for number, phase in [(2, "orchestrate"), (3, "build"), (4, "upload")]:
        started = fleet.cli("deploy", str(PROJECTS / "v2"), "--detach")
        assert started.returncode == 0, started.stderr
        _paused(fleet, number)
        cancelled = fleet.cli("deploys", "cancel", str(number))
        assert cancelled.returncode == 0, cancelled.stderr
        r = eventually(
            lambda n=number: (x := _record(fleet, str(n)))["status"] == "cancelled" and x, timeout=60
        )
        phases = {p["name"]: p["status"] for p in r["phases"]}
        assert phases[phase] == "cancelled" and r["errorPhase"] == phase, phases
        assert not r["isActive"] and r["message"] == f"cancelled during {phase}"
        assert get(fleet.host, "/hello").json()["v"] == 1

    # Three at once: they queue and run in number order, never two at a time.
    for _ in range(3):
        assert fleet.cli("deploy", str(PROJECTS / "v2"), "--detach", "--no-promote").returncode == 0
    done = [
        eventually(lambda n=n: (x := _record(fleet, str(n)))["status"] == "completed" and x, timeout=300)
        for n in (5, 6, 7)
    ]
    assert [d["number"] for d in done] == [5, 6, 7]
    for earlier, later in itertools.pairwise(done):
        assert earlier["completedAt"] <= later["phases"][0]["startedAt"]
    assert get(fleet.host, "/hello").json()["v"] == 1  # --no-promote: staged, v1 still serves
    assert _record(fleet, "7")["activation"] == "staged"

    # #8 pauses in build; its host is killed; a second host ends it once the lease expires.
    second = fleet.another()
    assert fleet.cli("deploy", str(PROJECTS / "v2"), "--detach").returncode == 0
    _paused(fleet, 8)
    fleet.host.signal(signal.SIGKILL)
    after = second.client()
    after.headers["authorization"] = f"Bearer {second.secret}"  # each host has its own secret

    def ended() -> dict[str, Any]:
        r = dict(after.get("/__stephost/deployments/8").json())
        return r if r["status"] == "failed" else {}

    orphan = eventually(ended, timeout=120, what="the orphaned deploy to be ended by the other host")
    assert orphan["errorPhase"] == "build" and "stopped before it finished" in orphan["error"]
