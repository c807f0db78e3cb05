"""The migrate hook (`[deploy] migrate` in the deployed version's stephost.toml), on a real host
and a real Python agent: it runs after upload and before the switch, with the deployment's env,
its output in the deploy log; a non-zero exit, a deadline passed or a malformed [deploy] table
fails the deploy naming stephost.toml and why, and the old version goes on serving."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get

MIGRATE = """\
import os
import pathlib

print("migrating to", os.environ["STEPHOST_VERSION"], "on", os.environ["DATABASE"])
pathlib.Path(os.environ["MARKER"]).write_text(os.environ["STEPHOST_DEPLOYMENT_ID"])
"""


def _project(base: Path, name: str, toml: str) -> Path:
    """v1's steps with this stephost.toml and migration script."""
    folder = base / name
    shutil.copytree(PROJECTS / "v1", folder)
    (folder / "stephost.toml").write_text(toml)
    (folder / "migrate.py").write_text(MIGRATE)
    return folder


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


def _phases(record: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["status"] for p in record["phases"]}


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_migrate_hook_runs_before_the_switch_or_fails_the_deploy(fleet: Fleet, tmp_path: Path) -> None:
    fleet.agent("python")
    marker = tmp_path / "migrated"
    env_file = tmp_path / "prod.env"
    env_file.write_text(f"DATABASE=postgres://db/prod\nMARKER={marker}\n")

    # A hook that succeeds: it ran with the deployment's env, its output is in the deploy log.
    ok = _project(tmp_path, "ok", '[deploy]\nmigrate = "python3 migrate.py"\n')
    done = fleet.cli("deploy", str(ok), "--env-file", str(env_file))
    assert done.returncode == 0, done.stdout + done.stderr
    one = _record(fleet, "1")
    assert _phases(one)["migrate"] == "completed" and one["isActive"]
    assert marker.read_text() == one["id"]
    logs = fleet.cli("deploys", "logs", "1").stdout
    assert f"migrating to {one['versionId']} on postgres://db/prod" in logs
    assert "$ python3 migrate.py" in logs
    assert get(fleet.host, "/hello").json()["version"] == one["versionId"]

    # A hook that exits non-zero: failed in migrate, naming why; #1 goes on serving.
    broken = _project(
        tmp_path,
        "broken",
        '[deploy]\nmigrate = "python3 -c \'import sys; print(\\"no such table\\"); sys.exit(3)\'"\n',
    )
    failed = fleet.cli("deploy", str(broken), "--env-file", str(env_file))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    two = _record(fleet, "2")
    assert two["status"] == "failed" and two["errorPhase"] == "migrate", two
    assert "exited with code 3" in two["error"] and "no such table" in two["error"]
    assert two["errorFile"] == "stephost.toml" and not two["isActive"]
    assert _phases(two)["service_deploy"] == "skipped"
    assert get(fleet.host, "/hello").json()["version"] == one["versionId"]

    # A hook past its own deadline is stopped.
    slow = _project(tmp_path, "slow", '[deploy]\nmigrate = "sleep 60"\nmigrate_timeout = 1\n')
    late = fleet.cli("deploy", str(slow))
    assert late.returncode == 1, late.stdout + late.stderr
    three = _record(fleet, "3")
    assert three["errorPhase"] == "migrate" and "ran past its deadline of 1s" in three["error"], three
    assert three["duration"] < 120

    # A malformed [deploy] table fails before anything is built.
    typo = _project(tmp_path, "typo", '[deploy]\nmigrat = "python3 migrate.py"\n')
    refused = fleet.cli("deploy", str(typo))
    assert refused.returncode == 1
    four = _record(fleet, "4")
    assert four["errorPhase"] == "download" and "unknown key(s) [deploy] migrat" in four["error"], four
    assert four["errorFile"] == "stephost.toml" and _phases(four)["build"] == "skipped"
    assert get(fleet.host, "/hello").json()["version"] == one["versionId"]
