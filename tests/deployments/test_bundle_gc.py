"""Bundle garbage collection (deploy_keep_versions=1) on a real host, agent and object store:
after each completed deploy the bundles of deployments older than the last one are deleted,
never those of the active, draining or staged ones; a rollback to a collected deployment is
refused (410) saying why, and the kept ones still roll back."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get
from tests.harness import eventually


@pytest.fixture
def fleet_env() -> dict[str, str]:
    return {"STEPHOST_DEPLOY_KEEP_VERSIONS": "1", "STEPHOST_DEPLOY_KEEP_WARM_SECONDS": "20"}


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


def _deploy(fleet: Fleet, project: Path, *args: str) -> dict[str, Any]:
    done = fleet.cli("deploy", str(project), *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return _record(fleet, fleet.api().get("/deployments").json()["deployments"][0]["id"])


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_old_bundles_are_deleted_and_a_rollback_to_them_says_so(fleet: Fleet, tmp_path: Path) -> None:
    fleet.agent("python")
    one = _deploy(fleet, PROJECTS / "v1")
    two = _deploy(fleet, PROJECTS / "v2")
    # #1 is draining (warm for 20 s): kept, though older than the last one.
    first = _record(fleet, "1")
    assert first["activation"] == "draining" and not first["bundlesCollected"], first
    eventually(lambda: _record(fleet, "1")["activation"] == "retired", timeout=120, what="#1 to retire")

    v3 = tmp_path / "v3"
    shutil.copytree(PROJECTS / "v2", v3)
    (v3 / "steps" / "notes.txt").write_text("v3: new content, new bundles\n")
    three = _deploy(fleet, v3, "--no-promote")  # staged; #2 stays active
    assert three["activation"] == "staged" and two["id"] == _active(fleet)
    assert _record(fleet, "1")["bundlesCollected"]  # neither among the last 1, active, staged nor draining
    assert not _record(fleet, "2")["bundlesCollected"] and not three["bundlesCollected"]

    refused = fleet.api().post(f"/deployments/{one['id']}/rollback")
    assert refused.status_code == 410, refused.text
    assert (
        "bundles were deleted" in refused.json()["error"]
        and "deploy_keep_versions" in refused.json()["error"]
    )
    cli = fleet.cli("deploys", "rollback", "1")
    assert cli.returncode != 0 and "bundles were deleted" in cli.stdout + cli.stderr
    assert get(fleet.host, "/hello").json()["version"] == two["versionId"]  # nothing changed

    # The staged one (kept) is promoted; the one it replaces rolls back while still kept.
    assert fleet.cli("deploys", "promote", "3").returncode == 0
    eventually(lambda: get(fleet.host, "/hello").json()["version"] == three["versionId"], timeout=120)
    back = fleet.cli("deploys", "rollback", "2")
    assert back.returncode == 0, back.stdout + back.stderr
    eventually(lambda: get(fleet.host, "/hello").json()["version"] == two["versionId"], timeout=120)


def _active(fleet: Fleet) -> str:
    return next(r["id"] for r in fleet.api().get("/deployments").json()["deployments"] if r["isActive"])
