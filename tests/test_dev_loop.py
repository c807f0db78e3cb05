"""The `stephost dev` loop, with a real host, NATS and sidecars: hot reload is complete
(a deleted step is gone, a new language's first file starts its sidecar, an empty project is
watched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.harness import eventually

KEEP = """
config = {"name": "keep", "type": "api", "path": "/keep", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"keep": True}}
"""
GONE = """
config = {"name": "gone", "type": "api", "path": "/gone", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"gone": False}}
"""
TICK = """
config = {"name": "%s", "type": "cron", "cron": "* * * * * *", "emits": []}


async def handler(ctx):
    pass
"""
NODE = """
exports.config = { name: 'hi-js', type: 'api', path: '/hi-js', method: 'GET', emits: [] }
exports.handler = async () => ({ status: 200, body: { hi: 'js' } })
"""


def cron_runs(host: Any, step: str) -> int:
    return len(host.log_lines(f"[{step}]", "cron run done"))


def test_deleting_a_step_file_unregisters_it(start_host: Any, tmp_path: Path) -> None:
    steps = tmp_path / "proj" / "steps"
    steps.mkdir(parents=True)
    (steps / "keep_step.py").write_text(KEEP)
    (steps / "gone_step.py").write_text(GONE)
    (steps / "tick_step.py").write_text(TICK % "tick")
    (steps / "clock_step.py").write_text(TICK % "clock")
    host = start_host(tmp_path / "proj", live_steps=4, mode="dev")
    assert httpx.get(host.url + "/gone").json() == {"gone": False}
    eventually(lambda: cron_runs(host, "tick") >= 1, what="the cron step to run")

    (steps / "gone_step.py").unlink()
    (steps / "tick_step.py").unlink()
    eventually(
        lambda: httpx.get(host.url + "/gone").status_code == 404,
        timeout=30,
        what="the deleted api step's route to answer 404",
    )
    assert set(host.steps()) == {"keep", "clock"}
    health = httpx.get(host.url + "/__stephost/health").json()
    assert (health["steps"], health["live"]) == (2, 2)
    assert httpx.get(host.url + "/keep").json() == {"keep": True}
    # The deleted cron step stops: while the remaining one fires three more times, it fires
    # at most once more (a tick already under way when the file went).
    ticks, clock = cron_runs(host, "tick"), cron_runs(host, "clock")
    eventually(lambda: cron_runs(host, "clock") >= clock + 3, timeout=30, what="three more clock ticks")
    assert cron_runs(host, "tick") <= ticks + 1
    assert not host.log_lines("cron tick skipped")


def test_an_empty_project_is_watched_and_a_new_language_starts_its_sidecar(
    start_host: Any, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    host = start_host(project, live_steps=0, mode="dev")
    (project / "steps").mkdir()
    (project / "steps" / "keep_step.py").write_text(KEEP)
    eventually(
        lambda: httpx.get(host.url + "/keep").status_code == 200,
        timeout=40,
        what="the first python step to be served without a restart",
    )
    (project / "steps" / "hi.step.js").write_text(NODE)
    eventually(
        lambda: httpx.get(host.url + "/hi-js").status_code == 200,
        timeout=40,
        what="the first node step to start the node sidecar",
    )
    assert httpx.get(host.url + "/hi-js").json() == {"hi": "js"}
    assert host.log_lines("starting the node sidecar")
