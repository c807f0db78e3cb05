"""Cancel in the phases before the flip that test_queue_and_cancel.py and test_deploy_grpc.py
leave: download, infra, package, migrate and service_deploy, on one real host and agent, one
deployment paused (test pause points) in each in turn. Each ends with that phase cancelled and
named, the version before still active and serving, the migrate hook never run, and no worker
of the cancelled version left; a deployment cancelled after its upload leaves no bundle in
the object store."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get, workers_of
from tests.harness import eventually

PHASES = ["download", "infra", "package", "migrate", "service_deploy"]  # deployments #2 to #6


@pytest.fixture
def fleet_env() -> dict[str, str]:
    return {"STEPHOST_TEST_DEPLOY_PAUSE": ",".join(f"{p}@{n}" for n, p in enumerate(PHASES, 2))}


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


def _paused(fleet: Fleet, number: int) -> dict[str, Any]:
    def there() -> dict[str, Any]:
        r = _record(fleet, str(number))
        return r if any("test pause point" in line for p in r["phases"] for line in p["logsTail"]) else {}

    return eventually(there, timeout=180, what=f"deployment #{number} to reach its pause point")


def _ended(fleet: Fleet, number: int) -> dict[str, Any]:
    def cancelled() -> dict[str, Any]:
        r = _record(fleet, str(number))
        return r if r["status"] == "cancelled" else {}

    return eventually(cancelled, timeout=60, what=f"deployment #{number} to be cancelled")


def _collected(fleet: Fleet, number: int, phase: str) -> None:
    eventually(
        lambda: _record(fleet, str(number))["bundlesCollected"],
        timeout=60,
        what=f"the bundles of #{number}, cancelled in {phase}, to be deleted",
    )


def _no_workers(version: str, what: str) -> None:
    eventually(lambda: not workers_of(version), timeout=60, what=f"no worker left of {what}")


def _with_migrate_hook(base: Path, marker: Path) -> Path:
    """v2 with a migrate hook that appends its deployment's id to ``marker`` when it runs."""
    folder = base / "v2-migrate"
    shutil.copytree(PROJECTS / "v2", folder)
    (folder / "stephost.toml").write_text(f'[deploy]\nmigrate = "echo $STEPHOST_DEPLOYMENT_ID >> {marker}"\n')
    return folder


@pytest.mark.timeout(900)  # six real deploys on a shared 2-core machine
def test_cancel_in_download_infra_package_migrate_and_service_deploy(fleet: Fleet, tmp_path: Path) -> None:
    fleet.agent("python")
    env_file = tmp_path / "run.env"  # a version id of this run only (no other test's workers match)
    env_file.write_text(f"RUN={uuid.uuid4().hex}\n")
    assert fleet.cli("deploy", str(PROJECTS / "v1"), "--env-file", str(env_file)).returncode == 0  # #1
    one = _record(fleet, "1")
    marker = tmp_path / "migrated"
    v2 = _with_migrate_hook(tmp_path, marker)

    for number, phase in enumerate(PHASES, 2):
        started = fleet.cli("deploy", str(v2), "--env-file", str(env_file), "--detach")
        assert started.returncode == 0, started.stderr
        paused = _paused(fleet, number)
        assert paused["phase"] == phase and paused["status"] != "cancelled", paused
        cancelled = fleet.cli("deploys", "cancel", str(number))
        assert cancelled.returncode == 0, cancelled.stderr
        r = _ended(fleet, number)
        phases = {p["name"]: p["status"] for p in r["phases"]}
        assert phases[phase] == "cancelled" and r["errorPhase"] == phase, phases
        later = list(phases)[list(phases).index(phase) + 1 :]  # the record lists phases in order
        assert later and all(phases[p] != "completed" for p in later), phases  # nothing ran after it
        assert not r["isActive"] and r["message"] == f"cancelled during {phase}"
        assert _record(fleet, "1")["isActive"]  # nothing switched
        assert get(fleet.host, "/hello").json() == {"v": 1, "version": one["versionId"], "greeting": ""}
        if r["versionId"]:
            _no_workers(r["versionId"], f"#{number}, cancelled in {phase}")
        if number == 5:
            assert not marker.exists()  # cancelled at migrate's start: the hook never ran
        if phase in ("migrate", "service_deploy"):  # uploaded: no orphan objects stay in the store
            assert r["bundles"], r
            _collected(fleet, number, phase)
    assert marker.read_text().split() == [r["id"]]  # only #6 ran it (then was cancelled in service_deploy)
