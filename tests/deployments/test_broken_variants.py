"""The broken variants the Python and TypeScript ones (test_deploy_cli.py) leave: a Ruby step
with a load error fails the build naming its file and the reason, and a version whose worker
exits a moment after its hello fails before the switch naming the language and the exit; in
both cases the version before goes on serving and none of the broken version's workers is left."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get, workers_of
from tests.harness import eventually


def _show(fleet: Fleet, number: int) -> dict[str, Any]:
    shown = fleet.cli("deploys", "show", str(number), "--json")
    assert shown.returncode == 0, shown.stderr
    return dict(json.loads(shown.stdout))


@pytest.mark.timeout(600)  # three real deploys on a shared 2-core machine
def test_a_ruby_load_error_and_a_worker_that_exits_leave_v1_serving(fleet: Fleet, tmp_path: Path) -> None:
    fleet.agent("python")
    fleet.agent("ruby")
    env_file = tmp_path / "run.env"  # a version id of this run only (no other test's workers match)
    env_file.write_text(f"RUN={uuid.uuid4().hex}\n")
    first = fleet.cli("deploy", str(PROJECTS / "v1"), "--env-file", str(env_file))
    assert first.returncode == 0, first.stdout + first.stderr
    assert get(fleet.host, "/hello").json()["v"] == 1

    ruby = fleet.cli("deploy", str(PROJECTS / "broken_rb"), "--env-file", str(env_file))
    assert ruby.returncode == 1, ruby.stdout + ruby.stderr
    assert "steps/hello_rb_step.rb" in ruby.stdout and "stephost_no_such_gem" in ruby.stdout, ruby.stdout
    two = _show(fleet, 2)
    assert two["status"] == "failed" and two["errorPhase"] == "build", two
    assert two["errorFile"] == "steps/hello_rb_step.rb" and "cannot load such file" in two["error"], two
    assert ("steps/hello_rb_step.rb", "ruby", "error") in {
        (b["packagePath"], b["language"], b["status"]) for b in two["build"]
    }
    assert not two["isActive"]
    assert get(fleet.host, "/hello").json()["v"] == 1  # v1 never stopped serving
    assert get(fleet.host, "/hello-rb").status_code == 404  # nothing of the broken version routed

    exits = fleet.cli("deploy", str(PROJECTS / "exits_after_hello"), "--env-file", str(env_file))
    assert exits.returncode == 1, exits.stdout + exits.stderr
    three = _show(fleet, 3)
    assert three["status"] == "failed" and three["errorPhase"] == "service_deploy", three
    exited = f"the python worker of version {three['versionId']} exited with code 3"
    assert exited in three["error"], three["error"]
    assert "exiting on purpose" in three["error"], three["error"]
    assert not three["isActive"] and three["activation"] != "active"
    assert get(fleet.host, "/hello").json()["v"] == 1
    eventually(
        lambda: not workers_of(three["versionId"]), timeout=60, what="the broken version's workers to go"
    )
