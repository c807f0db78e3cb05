"""The deploy CLI's promises the other files leave: an attached `stephost deploy` whose deploy
is cancelled exits 2; a rollback pre-empts a deploy that has not switched yet (it is cancelled,
the rollback switches, nothing of it is left serving); Ctrl-C detaches, saying how to follow,
and the deploy goes on without the CLI. Real host, agent and CLI processes; test pause points
hold deployments #3 and #5 in build."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get
from tests.harness import STEPHOST, eventually


@pytest.fixture
def fleet_env() -> dict[str, str]:
    return {"STEPHOST_TEST_DEPLOY_PAUSE": "build@3,build@5"}


def _record(fleet: Fleet, number: int) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{number}").json())


def _attached(fleet: Fleet, project: Path) -> subprocess.Popen[str]:
    """`stephost deploy` following its deploy, as a user at a terminal runs it."""
    return subprocess.Popen(
        [*STEPHOST, "deploy", str(project), f"--host={fleet.host.url}", f"--token={fleet.host.secret}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _paused(fleet: Fleet, number: int) -> None:
    def there() -> bool:
        r = _record(fleet, number)
        return any("test pause point" in line for p in r["phases"] for line in p["logsTail"])

    eventually(there, timeout=180, interval=0.2, what=f"deployment #{number} to pause in build")


@pytest.mark.timeout(900)
def test_cancelled_exits_2_a_rollback_preempts_and_ctrl_c_detaches(fleet: Fleet) -> None:
    fleet.agent("python")
    assert fleet.cli("deploy", str(PROJECTS / "v1")).returncode == 0  # #1
    assert fleet.cli("deploy", str(PROJECTS / "v2")).returncode == 0  # #2, active
    assert get(fleet.host, "/hello").json()["v"] == 2

    # #3 (v1 again) holds in build while its CLI follows it; a rollback to #1 pre-empts it.
    third = _attached(fleet, PROJECTS / "v1")
    try:
        _paused(fleet, 3)
        rolled = fleet.cli("deploys", "rollback", "1")
        assert rolled.returncode == 0, rolled.stdout + rolled.stderr
        out, err = third.communicate(timeout=120)
    finally:
        if third.poll() is None:
            third.kill()
    assert third.returncode == 2, out + err  # cancelled
    pre_empted = _record(fleet, 3)
    assert pre_empted["status"] == "cancelled" and pre_empted["errorPhase"] == "build", pre_empted
    assert not pre_empted["isActive"]
    assert _record(fleet, 1)["isActive"] and get(fleet.host, "/hello").json()["v"] == 1

    # #5 (#4 is the rollback's own record) holds in build; Ctrl-C leaves it running.
    fifth = _attached(fleet, PROJECTS / "v2")
    try:
        _paused(fleet, 5)
        fifth.send_signal(signal.SIGINT)
        out, err = fifth.communicate(timeout=60)
    finally:
        if fifth.poll() is None:
            fifth.kill()
    assert fifth.returncode == 0, out + err
    assert "detached: the deploy goes on" in err and "stephost deploys show" in err, err
    still = _record(fleet, 5)
    assert still["status"] not in ("completed", "failed", "cancelled"), still  # not stopped with the CLI
    assert fleet.cli("deploys", "cancel", "5").returncode == 0
    ended = eventually(
        lambda: _record(fleet, 5)["status"] == "cancelled", timeout=60, what="#5 to be cancelled"
    )
    assert ended and get(fleet.host, "/hello").json()["v"] == 1
