"""`stephost sidecar LANG --check DIR`: a project's steps, loaded as a worker would, as JSON."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.agents.conftest import PROJECTS
from tests.harness import STEPHOST

BROKEN = {"python": "steps/broken_step.py", "node": "steps/broken.step.ts", "ruby": "steps/broken_step.rb"}


def _check(language: str, variant: str) -> tuple[int, dict, str]:
    done = subprocess.run(
        [*STEPHOST, "sidecar", language, "--check", str(PROJECTS / language / variant)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.mark.parametrize("language", ["python", "node", "ruby"])
def test_check_prints_the_manifests_and_exits_1_on_a_load_error(language: str) -> None:
    code, found, err = _check(language, "v1")
    assert code == 0, err
    [step] = found["steps"]
    assert step["name"] == f"agent-hello-{language}" and step["type"] == "api"
    assert json.loads(step["configJson"])["path"] == f"/agent/{language}"
    assert not found.get("loadErrors")

    code, found, _ = _check(language, "broken")
    assert code == 1
    assert [e["file"] for e in found["loadErrors"]] == [BROKEN[language]]
    assert [s["name"] for s in found["steps"]] == [f"agent-fine-{language}"]
