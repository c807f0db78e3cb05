"""The Workbench's Deployments panel in a real browser: a `stephost start` host (Workbench on)
on an empty folder, a real Python agent, two `stephost deploy`s of a tiny project, then
deployments.mjs in Debian's chromium reads the history, the completed deploy's phases and log,
and rolls back to #1 through the panel (after confirming). The host then serves v1 again.
The screenshot goes to tests/browser/screenshots/deployments.png (look at it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_workbench_browser import HERE, SHOTS, check_browser
from tests.deployments.conftest import PROJECTS, Fleet, fleet, get  # noqa: F401 (fixture)
from tests.harness import eventually


@pytest.fixture
def fleet_env() -> dict[str, str]:
    return {"STEPHOST_WORKBENCH": "true"}


@pytest.mark.timeout(600)  # two real deploys and a rollback on a shared 2-core machine
def test_the_deployments_panel_shows_phases_and_rolls_back(fleet: Fleet, tmp_path: Path) -> None:  # noqa: F811
    check_browser()
    fleet.agent("python")
    for project, message in (("v1", "first"), ("v2", "second")):
        done = fleet.cli("deploy", str(PROJECTS / project), "-m", message)
        assert done.returncode == 0, done.stdout + done.stderr
    assert get(fleet.host, "/hello").json()["v"] == 2

    SHOTS.mkdir(exist_ok=True)
    args = {
        "base": fleet.host.url,
        "token": fleet.host.secret,
        "out": str(SHOTS),
        "userDataDir": str(tmp_path / "p"),
    }
    ran = subprocess.run(
        ["node", "deployments.mjs", json.dumps(args)], cwd=HERE, capture_output=True, text=True, timeout=400
    )
    assert ran.returncode == 0, ran.stderr
    seen: dict[str, Any] = json.loads(ran.stdout)
    assert "error" not in seen, (seen["error"], seen["console"])

    assert [r["number"] for r in seen["rows"]] == [2, 1]
    assert "second" in seen["rows"][0]["text"] and "active" in seen["rows"][0]["text"]
    latest = seen["latest"]
    assert latest["status"] == "completed" and latest["progress"] == "100"
    assert latest["phases"] == {**{n: "completed" for n in latest["phases"]}, "migrate": "skipped"}
    assert len(latest["phases"]) == 9 and latest["rollbackOffered"] is False
    assert "#1" in seen["asked"]
    assert "rollback" in seen["rollback"]["text"] and seen["rollback"]["offered"] is False

    # The panel's rollback is the real one: #1's version serves again and is the active record.
    one = fleet.api().get("/deployments/1").json()
    assert one["isActive"] is True
    eventually(lambda: get(fleet.host, "/hello").json()["v"] == 1, timeout=60, what="v1 serving again")
    assert (SHOTS / "deployments.png").stat().st_size > 10_000
