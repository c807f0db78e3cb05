"""The Workbench's Deployments panel in a real browser: a `stephost start` host (Workbench on)
on an empty folder, a real Python agent and three `stephost deploy`s of a tiny project: #1
(v1, active), #2 (v2, staged with --no-promote) and #3 (held at a test pause point in build).
deployments.mjs in Debian's chromium then watches #3 run and cancels it, promotes #2, rolls
back to #1 (each asked first) and shows a refused action's reason. The host's side is checked
here: what serves, which record is active. Screenshots: tests/browser/screenshots/deployments*.png."""

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
    return {"STEPHOST_WORKBENCH": "true", "STEPHOST_TEST_DEPLOY_PAUSE": "build@3"}


@pytest.mark.timeout(900)  # three real deploys and two switches on a shared 2-core machine
def test_the_deployments_panel_cancels_promotes_and_rolls_back(fleet: Fleet, tmp_path: Path) -> None:  # noqa: F811
    check_browser()
    fleet.agent("python")
    for project, flags in (("v1", ["-m", "first"]), ("v2", ["-m", "second", "--no-promote"])):
        done = fleet.cli("deploy", str(PROJECTS / project), *flags)
        assert done.returncode == 0, done.stdout + done.stderr
    started = fleet.cli("deploy", str(PROJECTS / "v2"), "-m", "third", "--detach")
    assert started.returncode == 0, started.stdout + started.stderr
    assert get(fleet.host, "/hello").json()["v"] == 1  # #2 is staged, #3 not switched

    SHOTS.mkdir(exist_ok=True)
    args = {
        "base": fleet.host.url,
        "token": fleet.host.secret,
        "out": str(SHOTS),
        "userDataDir": str(tmp_path / "p"),
    }
    ran = subprocess.run(
        ["node", "deployments.mjs", json.dumps(args)], cwd=HERE, capture_output=True, text=True, timeout=600
    )
    assert ran.returncode == 0, ran.stderr
    seen: dict[str, Any] = json.loads(ran.stdout)
    assert "error" not in seen, (seen["error"], seen["console"])

    rows = {r["number"]: r["text"] for r in seen["rows"]}
    assert list(rows) == [3, 2, 1] and "staged" in rows[2] and "active" in rows[1]
    assert seen["running"]["phases"]["build"] == "in_progress", seen["running"]
    assert seen["running"]["offered"] is False  # a running deploy offers only Cancel

    assert "#3" in seen["cancel"]["asked"] and "cancel asked" in seen["cancel"]["note"]
    assert seen["cancel"]["phases"]["build"] == "cancelled"
    assert "#2" in seen["promote"]["asked"] and "#1" in seen["rollback"]["asked"]
    assert "rollback" in seen["rollback"]["text"] and seen["rollback"]["offered"] is False
    assert "#2" in seen["refusedAsked"]
    assert seen["refused"] == "rollback refused: wrong token", seen["refused"]

    # The panel's actions are the real ones: #3 never switched, #2 was promoted (record #4),
    # then #1 serves again (record #5); the refused rollback changed nothing.
    api = fleet.api()
    three = api.get("/deployments/3").json()
    assert three["status"] == "cancelled" and three["message"] == "cancelled during build"
    assert api.get("/deployments/4").json()["kind"] == "promote"
    assert api.get("/deployments/1").json()["isActive"] is True
    assert api.get("/deployments").json()["total"] == 5
    eventually(lambda: get(fleet.host, "/hello").json()["v"] == 1, timeout=60, what="v1 serving again")
    for name in ("deployments", "deployments-running", "deployments-refused"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000, name
