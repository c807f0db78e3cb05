"""`stephost deploy` and `stephost deploys` against a real host and a real Python agent in an
empty folder: v1, a dry run of v2 (the plan), v2 (changed handler, one step added, one
removed), the same content again (nothing re-uploaded), a rollback, a broken version that
aborts naming its file while the old one keeps serving, and the history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get
from tests.harness import eventually


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_deploy_v1_v2_rollback_and_a_broken_version(fleet: Fleet, tmp_path: Path) -> None:
    for language in ("python", "node", "ruby"):
        fleet.agent(language)
    env_file = tmp_path / "prod.env"
    env_file.write_text("# production\nGREETING='hello from v1'\n")

    first = fleet.cli("deploy", str(PROJECTS / "mixed_v1"), "--env-file", str(env_file), "-m", "first", "-v")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "completed" in first.stdout and "  | " in first.stdout  # -v: the log lines
    one = _record(fleet, "1")
    hello = get(fleet.host, "/hello")
    assert hello.json() == {"v": 1, "version": one["versionId"], "greeting": "hello from v1"}
    assert hello.headers["x-stephost-version"] == one["versionId"]
    assert one["status"] == "completed" and one["progress"] == 100 and one["isActive"]
    assert one["activation"] == "active" and one["description"] == "first" and one["envKeys"] == ["GREETING"]
    phases = {p["name"]: p["status"] for p in one["phases"]}
    assert phases == {**{n: "completed" for n in phases}, "migrate": "skipped"}
    assert sorted((b["packagePath"], b["language"], b["status"]) for b in one["build"]) == [
        ("steps/gone_step.py", "python", "built"),
        ("steps/hello_rb_step.rb", "ruby", "built"),
        ("steps/hello_step.py", "python", "built"),
        ("steps/hello_ts.step.ts", "node", "built"),
        ("steps/slow_step.py", "python", "built"),
    ]
    assert sorted((u["language"], u["status"], u["reused"]) for u in one["upload"]) == [
        ("node", "uploaded", False),
        ("python", "uploaded", False),
        ("ruby", "uploaded", False),
    ]
    assert one["metadata"]["totalSteps"] == one["metadata"]["completedSteps"] == 5
    ts = {"v": 1, "version": one["versionId"], "greeting": "hello from v1"}
    assert get(fleet.host, "/hello-ts").json() == ts
    assert get(fleet.host, "/hello-rb").json() == {"v": 1, "version": one["versionId"]}
    assert one["buildLogs"] and one["uploadLogs"] and one["deployLogs"]

    dry = fleet.cli("deploy", str(PROJECTS / "mixed_v2"), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "routes added: GET /added" in dry.stdout and "steps removed: deploy-gone" in dry.stdout
    assert "topics removed: deploy.ping -> deploy-gone" in dry.stdout
    assert get(fleet.host, "/hello").json()["v"] == 1  # a dry run switches nothing

    second = fleet.cli("deploy", str(PROJECTS / "mixed_v2"), "--env-file", str(env_file))
    assert second.returncode == 0, second.stdout + second.stderr
    three = _record(fleet, "3")
    assert get(fleet.host, "/hello").json()["v"] == 2
    assert get(fleet.host, "/added").json() == {"added": True}
    assert get(fleet.host, "/hello-ts").json()["v"] == 2  # the changed TypeScript handler
    assert get(fleet.host, "/hello").headers["x-stephost-version"] == three["versionId"]
    assert three["plan"]["steps"]["added"] == ["deploy-added"]
    before = _record(fleet, "1")
    assert not before["isActive"] and before["activation"] == "draining"

    again = fleet.cli("deploy", str(PROJECTS / "mixed_v2"), "--env-file", str(env_file), "--detach")
    assert again.returncode == 0, again.stderr
    four = eventually(lambda: (r := _record(fleet, "4"))["status"] == "completed" and r, timeout=180)
    assert [u["reused"] for u in four["upload"]] == [True, True, True]  # same content: nothing sent again
    assert four["versionId"] == three["versionId"]

    back = fleet.cli("deploys", "rollback", "1")
    assert back.returncode == 0, back.stdout + back.stderr
    eventually(lambda: get(fleet.host, "/hello").json()["v"] == 1, timeout=120, what="the rollback")
    restored = _record(fleet, "1")
    assert (
        restored["isActive"]
        and restored["activation"] == "active"
        and restored["rolledBackFrom"] == four["id"]
    )
    assert get(fleet.host, "/hello").json()["greeting"] == "hello from v1"  # its env came back with it

    broken = fleet.cli("deploy", str(PROJECTS / "broken_import"))
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "steps/hello_step.py" in broken.stdout and "missing setting" in broken.stdout
    failed = json.loads(fleet.cli("deploys", "show", "6", "--json").stdout)
    assert failed["status"] == "failed" and failed["errorPhase"] == "build"
    assert failed["errorFile"] == "steps/hello_step.py"
    assert get(fleet.host, "/hello").json()["v"] == 1  # the old version never stopped serving

    broken_ts = fleet.cli("deploy", str(PROJECTS / "broken_ts"))
    assert broken_ts.returncode == 1, broken_ts.stdout + broken_ts.stderr
    assert "node build failed" in broken_ts.stdout and "steps/hello_ts.step.ts" in broken_ts.stdout
    assert get(fleet.host, "/hello-ts").json()["v"] == 1

    listing = fleet.cli("deploys", "list")
    assert listing.returncode == 0 and listing.stdout.count("\n") == 7
    assert fleet.cli("deploys", "list", token="wrong").returncode == 3
    logs = fleet.cli("deploys", "logs", "3")
    assert "switched: version" in logs.stdout
