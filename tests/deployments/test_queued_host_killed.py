"""A deploy queued on a host that then dies is not left pending: #1 runs on the first host
(paused in build), #2 is started on a second host and queues behind it; the second host is
SIGKILLed; once #1 is cancelled, the surviving host takes #2 over (its heartbeat gone) and
runs it to the end."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, SHORT_LEASE, Fleet, get
from tests.harness import eventually


@pytest.fixture
def fleet_env() -> dict[str, str]:
    return {"STEPHOST_TEST_DEPLOY_PAUSE": "build@1", **SHORT_LEASE}


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


@pytest.mark.timeout(600)
def test_a_deploy_queued_on_a_dead_host_is_taken_over(fleet: Fleet) -> None:
    fleet.agent("python")
    first = fleet.cli("deploy", str(PROJECTS / "v1"), "--detach")
    assert first.returncode == 0, first.stdout + first.stderr
    eventually(
        lambda: any("waiting at build" in line for line in _record(fleet, "1")["buildLogs"]),
        timeout=180,
        what="deployment #1 to pause in build",
    )
    other = fleet.another()
    queued = fleet.cli("deploy", str(PROJECTS / "v1"), "--detach", host=other)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    eventually(lambda: "queued behind" in _record(fleet, "2")["message"], timeout=60, what="#2 to queue")
    runner = _record(fleet, "1")["runner"]
    dead = _record(fleet, "2")["runner"]
    assert dead and dead != runner

    other.signal(signal.SIGKILL)
    cancelled = fleet.cli("deploys", "cancel", "1")
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr

    def ended() -> dict[str, Any]:
        r = _record(fleet, "2")
        return r if r["status"] in ("completed", "failed", "cancelled") else {}

    two = eventually(ended, timeout=300, interval=0.5, what="the queued deploy to be taken over and run")
    assert two["status"] == "completed" and two["isActive"] and two["runner"] == runner, two
    logs = fleet.cli("deploys", "logs", "2").stdout
    assert f"host {dead} stopped while this deploy was queued" in logs
    assert get(fleet.host, "/hello").json()["version"] == two["versionId"]
